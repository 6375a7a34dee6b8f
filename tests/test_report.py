"""``alpaca-gen report``: its numbers checked against hand-made data, the Korean verb
heuristic against hand labels, Korean text in the figures, and the folder as a user gets it."""
from __future__ import annotations

import csv
import json
import re
import sys
import warnings
from pathlib import Path

import pytest

pytest.importorskip("matplotlib", reason="the report extra is part of the test extra")
kiwipiepy = pytest.importorskip("kiwipiepy", reason="the ko extra is part of the test extra")

from alpaca_gen.records import Record  # noqa: E402
from alpaca_gen.report import build_report, report_numbers  # noqa: E402
from alpaca_gen.report import figures  # noqa: E402
from alpaca_gen.report.measures import classification_like  # noqa: E402
from alpaca_gen.report.verbs import KoreanVerbObjects, korean_pair, summarize_pairs  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def kiwi():
    return kiwipiepy.Kiwi()


def prov(*seed_ids, model="m-1", api="chat", lang="en"):
    return {"lang": lang, "model": model, "api": api, "seed_task_ids": list(seed_ids)}


SAMPLE = [
    Record("Write a short poem about the sea.", "", "Waves fold and unfold along the shore.", lang="en",
           provenance=prov("seed_en_001", "seed_en_002")),
    Record("Classify the sentiment of this review as positive or negative.", "The soup was cold.", "negative",
           lang="en", provenance=prov("seed_en_002")),
    Record("Summarize the paragraph in one sentence.", "Cats sleep a lot. They nap in the sun all day long.",
           "Cats spend most of the day sleeping.", lang="en", provenance=prov("seed_en_002", "seed_en_003")),
    Record("다음 글을 두 문장으로 요약해 주세요.", "서울은 한국의 수도이다. 인구가 많다.", "서울은 한국의 수도입니다. 사람이 많이 삽니다.",
           lang="ko", provenance=prov("seed_ko_001", lang="ko", model="m-2")),
    Record("이 후기가 긍정인지 부정인지 분류해 주세요.", "", "부정", lang="ko", provenance=prov("seed_ko_001", lang="ko", model="m-2")),
    # A structure leak in the output: check cuts it (a fix), the record stays.
    Record("Name three primary colors.", "", "Red, yellow and blue.\n5. Instruction: Name a fruit.", lang="en"),
]


def test_the_numbers_match_the_data():
    runs = [
        {"command": "generate", "stats": {"prompt_tokens": 100, "completion_tokens": 40, "funnel": [
            {"stage": "parse", "in": 10, "out": 6, "dropped": {"malformed": 3, "truncated": 1}},
            {"stage": "similarity", "in": 6, "out": 4, "dropped": {"near_duplicate": 2}}]}},
        {"command": "generate", "stats": {"prompt_tokens": 50, "completion_tokens": 20, "funnel": [
            {"stage": "parse", "in": 5, "out": 4, "dropped": {"malformed": 1}},
            {"stage": "similarity", "in": 4, "out": 2, "dropped": {"near_duplicate": 2}}]}},
    ]
    numbers, raw = report_numbers(SAMPLE, [f"element {i}" for i in range(len(SAMPLE))], runs=runs,
                                  summary={"all_runs": {"cost_usd": 0.0123}})
    o = numbers["overview"]
    assert (o["records"], o["languages"], o["with_input"], o["classification_like"]) == (6, {"en": 4, "ko": 2}, 3, 2)
    assert o["models"] == {"m-1": 3, "m-2": 2, "unknown": 1} and o["runs"] == 2 and o["cost_usd"] == 0.0123
    assert (o["prompt_tokens"], o["completion_tokens"]) == (150, 60)

    f = numbers["funnel"]
    assert [(s["stage"], s["in"], s["out"]) for s in f["stages"]] == [("parse", 15, 10), ("similarity", 10, 6)]
    assert f["dropped_by_reason"] == {"malformed": 4, "near_duplicate": 4, "truncated": 1}

    en = numbers["lengths"]["en"]
    words = [len(r.instruction.split()) for r in SAMPLE if r.lang == "en"]
    assert en["instruction"]["words"]["mean"] == round(sum(words) / len(words), 2)
    assert en["input"]["words"]["count"] == 2  # only the non-empty inputs
    ko = numbers["lengths"]["ko"]
    assert ko["instruction"]["eojeol"]["mean"] == 6.0  # 다음·글을·두·문장으로·요약해·주세요. and 6 more
    assert ko["output"]["characters"]["max"] == len("서울은한국의수도입니다.사람이많이삽니다.")
    assert ko["input"]["characters"]["count"] == 1

    seeds_en = numbers["seeds"]["en"]
    assert seeds_en["records_with_provenance"] == 3
    assert seeds_en["counts"]["seed_en_002"] == 3 and seeds_en["counts"]["seed_en_001"] == 1
    assert seeds_en["most_productive"][0] == {"id": "seed_en_002", "records": 3}
    assert numbers["seeds"]["ko"]["counts"]["seed_ko_001"] == 2

    nov = numbers["novelty"]["en"]["max_rouge_vs_seeds"]
    assert nov["count"] == 4 and 0 <= nov["mean"] <= 1 and sum(nov["histogram"]["counts"]) == 4
    assert len(raw["novelty"]["ko"]["max_rouge_vs_seeds"]) == 2

    q = numbers["quality"]
    assert (q["records"], q["dropped"], q["fixed"]) == (6, 0, 1)
    assert q["rules"]["output_structure_leak"]["examples"][0]["location"] == "element 5"

    ko_verbs = numbers["diversity"]["ko"]
    assert (ko_verbs["with_pair"], ko_verbs["distinct_verbs"]) == (1, 1)  # 요약하다+글; 분류하다 has no object
    assert ko_verbs["top_verbs"][0] == {"verb": "요약하다", "pairs": 1, "nouns": [{"noun": "글", "count": 1}]}


def test_a_novel_instruction_scores_lower_than_a_copied_seed(tmp_path):
    seeds = tmp_path / "seeds.jsonl"
    seeds.write_text(json.dumps({"id": "s1", "name": "a", "instruction": "Write a haiku about winter mornings.",
                                 "instances": [{"input": "", "output": "Frost on the window"}],
                                 "is_classification": False, "lang": "en"}) + "\n", encoding="utf-8")
    records = [Record("Write a haiku about winter mornings.", "", "x", lang="en"),
               Record("Convert 5 kilometres to miles.", "", "3.1 miles", lang="en")]
    numbers, raw = report_numbers(records, ["a", "b"], seed_tasks_path=str(seeds), verbs=False)
    assert raw["novelty"]["en"]["max_rouge_vs_seeds"] == [1.0, 0.0]
    assert numbers["novelty"]["en"]["max_rouge_vs_seeds"]["above_0_7"] == 1
    assert numbers["diversity"]["en"]["how_to_enable"] == "not parsed (--noverbs)"


# --- Korean verb and object ---------------------------------------------------------------------

@pytest.mark.parametrize("text, pair", [
    ("다음 문장을 요약하세요.", ("요약하다", "문장")),
    ("다음 글을 영어로 번역해 주세요.", ("번역하다", "글")),  # 주다 is an auxiliary
    ("건강을 유지하기 위한 세 가지 팁을 알려주세요.", ("알리다", "팁")),
    ("맞춤법 다섯 가지를 골라 주세요.", ("고르다", "맞춤법")),  # past the counter
    ("이메일 초안 좀 써 줘.", ("쓰다", "초안")),  # no object particle
    ("이 문장도 요약해 줘.", ("요약하다", "문장")),
    ("이 기사를 요약을 해 주세요.", ("요약하다", "기사")),  # the light verb 하다
    ("축하 문자를 써 줄 수 있나요?", ("쓰다", "문자")),  # 수 있다 is not the task
    ("한국의 수도는 어디인가요?", (None, None)),  # a copula question has no verb
    ("동아리방 공지가 너무 딱딱합니다.", ("딱딱하다", None)),  # adjectives take no object
    ("버스를 갈아탈 때 요금이 어떻게 계산되는지 알려 주세요.", ("알리다", None)),  # the object is the clause's
    ("가을밤이라는 세 글자로 삼행시를 지어 보세요.", ("짓다", "삼행시")),  # nouns of one word stay together
])
def test_korean_pairs(kiwi, text, pair):
    assert korean_pair(kiwi.tokenize(text)) == pair


def _gold_scores():
    rows = list(csv.DictReader((DATA / "ko_verb_object_gold.tsv").open(encoding="utf-8"), delimiter="\t"))
    pairs = KoreanVerbObjects().pairs([r["instruction"] for r in rows])
    scores: dict[str, dict[str, int]] = {}
    for row, (verb, noun) in zip(rows, pairs):
        s = scores.setdefault(row["set"], {"items": 0, "pairs": 0, "correct": 0, "verbs": 0})
        verb_ok = (verb or "-") in row["verb"].split("/")
        noun_ok = (noun or "-") in row["object"].split("/")
        s["items"] += 1
        s["verbs"] += verb_ok
        if verb and noun:
            s["pairs"] += 1
            s["correct"] += verb_ok and noun_ok
    return scores


def test_korean_verb_object_precision_on_hand_labels():
    """218 Korean instructions labelled by hand (150 used to tune the rules, 68 held out):
    the precision of the pairs the heuristic gives, and how many it gives."""
    scores = _gold_scores()
    tune, holdout = scores["tune"], scores["holdout"]
    assert tune["items"] == 150 and holdout["items"] == 68
    assert tune["correct"] / tune["pairs"] >= 0.97 and tune["pairs"] >= 105
    assert holdout["correct"] / holdout["pairs"] >= 0.88 and holdout["pairs"] >= 38
    assert tune["verbs"] + holdout["verbs"] >= 214


def test_summarize_pairs_is_the_papers_aggregation():
    pairs = [(f"v{i}", f"n{j}") for i in range(25) for j in range(6) for _ in range(25 - i + (5 - j))]
    pairs += [("v0", None), (None, None)]
    s = summarize_pairs(pairs)
    assert [v for v, _, _ in s.top] == [f"v{i}" for i in range(20)]
    assert all(len(nouns) == 4 for _, _, nouns in s.top)
    assert s.top[0][2][0] == ("n0", 30)
    assert s.with_pair == len(pairs) - 2 and s.with_verb == len(pairs) - 1 and s.distinct_verbs == 25
    assert s.shown == sum(c for _, _, nouns in s.top for _, c in nouns)


def test_english_pairs_follow_the_papers_rule():
    spacy = pytest.importorskip("spacy", reason="the report-en extra is part of the test extra")
    from alpaca_gen.report.verbs import EnglishVerbObjects

    parser = EnglishVerbObjects()
    got = parser.pairs(["Write a poem about autumn.", "Rewrite the paragraph in the passive voice.",
                        "Generate a list of five names for a coffee shop.", "Which of these animals is a mammal?",
                        "Give me three tips. Then explain each one."])
    assert got[:3] == [("write", "poem"), ("rewrite", "paragraph"), ("generate", "list")]
    assert got[3] == (None, None)  # a question: no verb near the root
    assert got[4] == ("give", "tip")  # the first sentence only
    assert spacy.__version__


# --- classification-like -------------------------------------------------------------------------

def test_classification_rule_against_the_seed_labels():
    """The keyword rule against the is_classification flags of the 376 shipped seeds."""
    from alpaca_gen.resources import default_seed_tasks_path
    from alpaca_gen.seeds import load_seed_tasks

    tp = fp = fn = 0
    for task in load_seed_tasks(default_seed_tasks_path()):
        got = classification_like(Record(task.instruction), task.lang)
        tp += got and task.is_classification
        fp += got and not task.is_classification
        fn += task.is_classification and not got
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.9, (tp, fp, fn)


# --- Korean in the figures ------------------------------------------------------------------------

KOREAN_TOP = [("쓰다", 30, [("이메일", 12), ("편지", 9), ("문자", 5), ("시", 4)]),
              ("요약하다", 20, [("기사", 11), ("문단", 9)])]


def _glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_korean_text_renders_with_no_missing_glyph():
    assert figures.has_hangul_font(), "NanumGothic (koreanize-matplotlib or fonts-nanum) should be found"
    assert _glyph_warnings(lambda: figures.sunburst("한국어: 동사와 목적어", KOREAN_TOP)) == []
    assert _glyph_warnings(lambda: figures.bars("규칙별 기록 수", ["한글 깨짐", "영어 답변"], [3, -1])) == []


def test_the_glyph_check_would_catch_a_missing_font(monkeypatch):
    """Without the Hangul font in the family, the same figure warns: the test above can fail."""
    monkeypatch.setattr(figures, "_FONT_FAMILY", ["DejaVu Sans"])
    assert _glyph_warnings(lambda: figures.sunburst("한국어", KOREAN_TOP))


# --- the folder ------------------------------------------------------------------------------------

def _write(path: Path, rows) -> Path:
    path.write_text(json.dumps([r.to_dict() for r in rows], ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_report_folder_is_self_contained(tmp_path, run_cli):
    data = _write(tmp_path / "regen.json", SAMPLE)
    (tmp_path / "runs.jsonl").write_text(json.dumps({"command": "generate", "stats": {"funnel": [
        {"stage": "parse", "in": 4, "out": 3, "dropped": {"malformed": 1}}]}}) + "\n" + '{"command": "gene',
        encoding="utf-8")  # a last line cut by a crash is skipped
    result = run_cli("report", data)
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "report"
    assert "-> " + str(Path("report") / "report.html") in result.stdout or "report.html" in result.stdout
    numbers = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert numbers["funnel"]["runs"] == 1
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(numbers["figures"] + ["report.html", "report.json"])
    assert {"verbs_ko.png", "lengths_ko_eojeol.png", "lengths_en_words.png", "funnel.png", "quality.png"} <= set(files)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == len(numbers["figures"])
    assert not re.search(r"(src|href)=\"(https?:|//|file:)", html)
    assert "default-src 'none'" in html and "요약하다" in html
    assert not list(tmp_path.glob(".report.*"))  # no temporary folder left


def test_report_replaces_an_earlier_report_but_nothing_else(tmp_path, run_cli):
    data = _write(tmp_path / "data.json", SAMPLE[:3])
    assert run_cli("report", data, "--output", tmp_path / "r").returncode == 0
    assert run_cli("report", data, "--output", tmp_path / "r", "--noverbs").returncode == 0
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine", encoding="utf-8")
    result = run_cli("report", data, "--output", other)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "not an alpaca-gen report" in result.stderr
    assert (other / "keep.txt").read_text(encoding="utf-8") == "mine"
    # A report.json of someone else's, or a file of the user's inside a report, is not ours to delete.
    (other / "report.json").write_text("{}", encoding="utf-8")
    assert run_cli("report", data, "--output", other).returncode == 2
    (tmp_path / "r" / "NOTES.md").write_text("notes", encoding="utf-8")
    assert run_cli("report", data, "--output", tmp_path / "r").returncode == 2
    assert (tmp_path / "r" / "NOTES.md").read_text(encoding="utf-8") == "notes" and (other / "keep.txt").exists()
    # The folder that holds the input (here the working folder) is never the report's.
    result = run_cli("report", data, "--output", ".")
    assert result.returncode == 2 and "holds" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("make, message, code", [
    (lambda d: d / "missing.json", "missing.json", 66),
    (lambda d: (d / "bad.json").write_text("[{", encoding="utf-8") and d / "bad.json", "not valid JSON", 65),
    (lambda d: (d / "obj.json").write_text('{"a": 1}', encoding="utf-8") and d / "obj.json", "", 65),
])
def test_bad_input_is_one_line(tmp_path, run_cli, make, message, code):
    result = run_cli("report", make(tmp_path))
    assert result.returncode == code, result.stderr
    assert result.stderr.startswith("alpaca-gen: error:") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert not list(tmp_path.glob("*_report"))


def test_odd_values_beside_and_in_the_data_do_not_stop_a_report(tmp_path, run_cli):
    """Found by review: NaN scores, runs.jsonl lines of other shapes, a cost that is text, a
    document-long instruction, an empty regen.json, <noinput> as an input."""
    rows = [dict(SAMPLE[0].to_dict(), avg_similarity_score=float("nan")),
            dict(SAMPLE[1].to_dict(), avg_similarity_score=float("inf")),
            {"instruction": "Summarize this. " + "word " * 250_000, "input": "", "output": "A summary."},
            {"instruction": "Name a color.", "input": "<noinput>", "output": "Blue."}]
    data = tmp_path / "regen.json"
    data.write_text(json.dumps(rows), encoding="utf-8")  # json.dumps writes NaN and Infinity
    (tmp_path / "runs.jsonl").write_text("\n".join(json.dumps(line) for line in (
        {"stats": None}, {"stats": [1]}, {"stats": {"prompt_tokens": "abc", "funnel": ["parse"]}},
        {"stats": {"funnel": [{"stage": "parse", "in": None, "out": 2, "dropped": {"x": None, "malformed": 3}}]}},
    )) + "\n", encoding="utf-8")
    (tmp_path / "summary.json").write_text(json.dumps({"output": "regen.json", "all_runs": {"cost_usd": "1.5"}}),
                                           encoding="utf-8")
    result = run_cli("report", data)
    assert result.returncode == 0, result.stderr
    numbers = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))  # valid JSON: no NaN
    assert numbers["overview"]["with_input"] == 1 and numbers["overview"]["cost_usd"] is None  # <noinput> is none
    assert numbers["funnel"]["dropped_by_reason"] == {"malformed": 3}
    assert numbers["novelty"]["en"]["avg_similarity_score"] is None
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "regen.json").write_text("[]", encoding="utf-8")
    (empty / "runs.jsonl").write_text(json.dumps({"command": "generate", "stats": {"funnel": [
        {"stage": "parse", "in": 9, "out": 0, "dropped": {"malformed": 9}}]}}) + "\n", encoding="utf-8")
    result = run_cli("report", empty / "regen.json")
    assert result.returncode == 0, result.stderr
    assert "0 records" in result.stdout
    assert json.loads((empty / "report" / "report.json").read_text())["funnel"]["dropped_by_reason"] == {"malformed": 9}


def test_a_bad_seed_file_fails_before_the_work(tmp_path, run_cli):
    data = _write(tmp_path / "data.json", SAMPLE)
    result = run_cli("report", data, "--seed_tasks_path", tmp_path / "missing.jsonl")
    assert result.returncode == 66 and result.stderr.count("\n") == 1
    assert not list(tmp_path.glob("data_report*")) and not list(tmp_path.glob(".data_report*"))


def test_without_the_english_parser_the_page_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "spacy", None)  # as if the report-en extra were not installed
    result = build_report(str(_write(tmp_path / "data.json", SAMPLE[:3])), quiet=True)
    assert result.numbers["diversity"]["en"]["how_to_enable"].endswith("pip install 'alpaca-gen[report-en]'")
    assert "alpaca-gen[report-en]" in (result.output / "report.html").read_text(encoding="utf-8")
    assert "verbs_en.png" not in result.numbers["figures"]
