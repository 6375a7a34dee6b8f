"""seeds and seedcheck: the shipped seed file, and malformed files named by line."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from alpaca_gen.errors import DataError, NoInputError
from alpaca_gen.resources import default_seed_tasks_path
from alpaca_gen.seedcheck import check_seed_file, print_report
from alpaca_gen.seeds import load_seed_tasks, read_seed_file, seeds_for_lang

SHIPPED = Path(__file__).resolve().parents[1] / "seed_tasks.jsonl"


def seed(i: int, kind: str = "en", **overrides) -> dict:
    """A valid record of the given kind (language); keyword arguments override its fields."""
    if kind == "ko":
        record = {
            "id": f"seed_ko_{i:03d}", "name": f"task_{i}",
            "instruction": f"다음 문장에서 {i}번째 단어의 품사를 알려 주세요.",
            "instances": [{"input": "오늘은 날씨가 정말 좋다.", "output": "명사"}],
            "is_classification": False, "lang": "ko",
        }
    else:
        record = {
            "id": f"seed_en_{i:03d}", "name": f"task_{i}",
            "instruction": f"Give {i} tips for writing a clear cover letter.",
            "instances": [{"input": "", "output": "Keep it short and specific."}],
            "is_classification": False, "lang": "en",
        }
    record.update(overrides)
    return record


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines),
                    encoding="utf-8")
    return path


# --- the shipped file --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def shipped_report():
    assert default_seed_tasks_path().resolve() == SHIPPED
    return check_seed_file()


def test_shipped_seed_file_is_ok(shipped_report):
    assert shipped_report.ok
    assert shipped_report.problems == []
    assert shipped_report.near_pair_count == 0
    assert [r.lang for r in shipped_report.languages] == ["en", "ko"]


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_shipped_seed_file_per_language(shipped_report, lang):
    report = next(r for r in shipped_report.languages if r.lang == lang)
    assert report.count >= 175
    assert 0.10 <= report.classification_share <= 0.20
    assert 0.30 <= report.input_share <= 0.50
    assert report.near_pairs == []
    assert report.wrong_language == []


def test_shipped_seed_file_per_language_check_agrees():
    report = check_seed_file(SHIPPED, lang="ko")
    assert [r.lang for r in report.languages] == ["ko"]
    assert report.ok and report.near_pair_count == 0


def test_shipped_seed_file_loads():
    tasks = load_seed_tasks(SHIPPED)
    assert len({t.id for t in tasks}) == len(tasks)
    ko = seeds_for_lang(tasks, "ko")
    en = seeds_for_lang(tasks, "en")
    assert len(ko) + len(en) == len(tasks)
    assert all(t.lang == "ko" for t in ko)
    assert all(t.output.strip() for t in tasks)


# --- malformed files -----------------------------------------------------------------------------
def problems_of(path: Path) -> list[tuple[int, str]]:
    report = check_seed_file(path)
    assert not report.ok
    return [(p.line, p.message) for p in report.problems]


def test_bad_json_on_line_3(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2), '{"id": "seed_en_003", "instruction": "Name a', seed(4)])
    problems = problems_of(path)
    assert len(problems) == 1
    assert problems[0][0] == 3
    assert "not valid JSON" in problems[0][1]
    with pytest.raises(DataError, match=r"seeds\.jsonl:3: not valid JSON"):
        load_seed_tasks(path)
    out = io.StringIO()
    print_report(check_seed_file(path), out=out)
    assert "line 3: not valid JSON" in out.getvalue()
    assert "FAILED" in out.getvalue()


def test_missing_instruction(tmp_path):
    bad = seed(2)
    del bad["instruction"]
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), bad])
    assert problems_of(path) == [(2, "missing field 'instruction'")]
    with pytest.raises(DataError, match=r":2: missing field 'instruction'"):
        load_seed_tasks(path)


def test_blank_instruction(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1, instruction="   ")])
    assert problems_of(path) == [(1, "'instruction' must be a non-empty string")]


def test_empty_instances(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2), seed(3), seed(4, instances=[])])
    assert problems_of(path) == [(4, "'instances' must be a non-empty list")]


def test_empty_output(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1, instances=[{"input": "", "output": " "}])])
    assert problems_of(path) == [(1, "'output' is empty")]


def test_empty_file(tmp_path):
    path = tmp_path / "seeds.jsonl"
    path.write_text("")
    assert problems_of(path) == [(0, "the file holds no seed tasks")]
    with pytest.raises(DataError, match="no seed tasks"):
        load_seed_tasks(path)


def test_blank_lines_are_skipped_but_counted(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), "", "   ", seed(2, instances="none")])
    assert problems_of(path) == [(4, "'instances' must be a non-empty list")]


def test_unknown_lang(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2, lang="ja")])
    ((line, message),) = problems_of(path)
    assert line == 2
    assert "'lang' must be one of en, ko" in message and "'ja'" in message


def test_duplicate_id(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2), seed(3, id="seed_en_001")])
    assert problems_of(path) == [(3, "duplicate id 'seed_en_001' (first on line 1)")]


def test_several_problems_are_all_reported(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), "[1, 2]", seed(3, instances=[]), seed(1, lang="ko")])
    assert [line for line, _ in problems_of(path)] == [2, 3, 4]
    with pytest.raises(DataError, match=r":2: not a JSON object \(and 2 more problems"):
        load_seed_tasks(path)


def test_text_in_the_wrong_language(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [
        seed(1),
        seed(2, lang="ko", instruction="Translate the following sentence into Korean."),
        seed(3, "ko"),
    ])
    report = check_seed_file(path)
    assert report.problems == []
    assert not report.ok
    ko = next(r for r in report.languages if r.lang == "ko")
    assert ko.wrong_language == [(2, "seed_en_002")]


def test_near_duplicate_pairs_are_found(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [
        seed(1, "ko", instruction="다음 문장을 영어로 번역하세요."),
        seed(2, "ko", instruction="김치찌개를 맛있게 끓이는 방법을 알려 주세요."),
        seed(3, "ko", instruction="다음 문장을 영어로 번역해 주세요."),
    ])
    report = check_seed_file(path)
    assert report.ok  # near pairs are a warning, not a failure
    (pair,) = report.languages[0].near_pairs
    assert pair[:2] == ("seed_ko_001", "seed_ko_003")
    assert pair[2] > 0.7


def test_three_identical_seeds_are_three_pairs(tmp_path):
    # Scores used to be keyed by instruction text, so identical instructions collapsed into
    # one entry: two pairs were reported and (2, 3) was missed.
    same = "다음 문장을 영어로 번역하세요."
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(i, "ko", instruction=same) for i in (1, 2, 3)])
    pairs = check_seed_file(path).languages[0].near_pairs
    assert sorted(pair[:2] for pair in pairs) == [("seed_ko_001", "seed_ko_002"), ("seed_ko_001", "seed_ko_003"),
                                                  ("seed_ko_002", "seed_ko_003")]
    assert all(score == 1.0 for *_, score in pairs)


def test_missing_file(tmp_path):
    with pytest.raises(NoInputError):
        load_seed_tasks(tmp_path / "nope.jsonl")


def test_stanford_records_without_lang_are_english(tmp_path):
    record = seed(1)
    del record["lang"]
    del record["is_classification"]
    path = write_jsonl(tmp_path / "seeds.jsonl", [record])
    (task,) = load_seed_tasks(path)
    assert task.lang == "en" and task.is_classification is False and task.line == 1


# --- seeds_for_lang ---------------------------------------------------------------------------------
def test_seeds_for_lang_without_cross_lang(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2)])
    tasks = load_seed_tasks(path)
    with pytest.raises(DataError, match=r"no seed tasks with lang 'ko' \(it has: en\).*--cross_lang_seeds"):
        seeds_for_lang(tasks, "ko", path=path)


def test_seeds_for_lang_with_cross_lang(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), seed(2)])
    tasks = load_seed_tasks(path)
    assert seeds_for_lang(tasks, "ko", cross_lang=True) == tasks
    # With matching seeds present, cross_lang changes nothing.
    mixed = load_seed_tasks(write_jsonl(tmp_path / "mixed.jsonl", [seed(1), seed(2, "ko")]))
    assert [t.id for t in seeds_for_lang(mixed, "ko", cross_lang=True)] == ["seed_ko_002"]


def test_read_seed_file_returns_good_tasks_and_problems(tmp_path):
    path = write_jsonl(tmp_path / "seeds.jsonl", [seed(1), "not json", seed(3, "ko")])
    tasks, problems = read_seed_file(path)
    assert [t.id for t in tasks] == ["seed_en_001", "seed_ko_003"]
    assert [p.line for p in problems] == [2]
    assert tasks[1].line == 3 and tasks[1].input == "오늘은 날씨가 정말 좋다."


def test_line_separator_inside_a_string(tmp_path):
    # Text pasted from a web page or a word processor can carry U+2028 LINE SEPARATOR.
    record = seed(1, "ko", instances=[{"input": "첫째 줄입니다.\u2028둘째 줄입니다.",
                                       "output": "This is the first line.\u2028This is the second line."}],
                  instruction="다음 두 줄을 영어로 번역하세요.")
    path = write_jsonl(tmp_path / "seeds.jsonl", [record, seed(2, "ko")])
    tasks, problems = read_seed_file(path)
    assert problems == []
    assert [t.line for t in tasks] == [1, 2]
    assert tasks[0].input == "첫째 줄입니다.\u2028둘째 줄입니다."
