"""``alpaca-gen eval``: answers, the LLM judge and the summary, through the real CLI and the fake server.

The fake answers the eval set and plays the judge with scripted verdicts: a judge that
prefers the answer marked GOOD (consistent), one that always says [[1]] (position bias:
every item becomes a tie), garbage that a reminder fixes, garbage that stays. A judge
run killed and resumed writes what an uninterrupted one writes; --batch judges through
the Batch API; the numbers of the summary are checked against hand-computed ones.
"""
from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import pytest

from alpaca_gen.eval.stats import bootstrap_interval, cohen_kappa, sign_test, win_rate
from alpaca_gen.eval.verdicts import combine, parse_verdict, side

try:
    from tests.fakeserver import Reply, answer_responder
except ImportError:
    from fakeserver import Reply, answer_responder

ITEMS = [
    ("en_1", "en", "Write a subject line for this email.", "Hi team, the review moves to Friday."),
    ("en_2", "en", "Suggest a name for a budgeting app.", ""),
    ("en_3", "en", "Fix the grammar of the sentence.", "She don't like apples."),
    ("ko_1", "ko", "다음 문장을 존댓말로 바꿔 주세요.", "내일 회의 몇 시야?"),
    ("ko_2", "ko", "주말에 가족과 갈 만한 서울 근교 여행지를 추천해 주세요.", ""),
    ("ko_3", "ko", "아래 공지를 단톡방에 올릴 수 있게 짧게 줄여 주세요.", "이번 주 금요일 저녁 7시에 회식이 있습니다. 장소는 회사 앞 식당입니다."),
]


def _answers(path: Path, good: set[str], *, english_for: set[str] = frozenset(), model="m") -> Path:
    lines = []
    for item_id, lang, instruction, task_input in ITEMS:
        if item_id in english_for:
            text = "Here is a short answer in English for the user. GOOD"
        elif lang == "ko":
            text = "요청하신 내용을 정리한 답변입니다." + (" GOOD" if item_id in good else "")
        else:
            text = "A plain answer." + (" GOOD" if item_id in good else "")
        lines.append({"id": item_id, "lang": lang, "instruction": instruction, "input": task_input, "output": text,
                      "provenance": {"respond": {"model": model}}})
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), encoding="utf-8")
    return path


_BLOCK = re.compile(r"\[(?:Answer|답변) 1\]\n(.*?)\n\[(?:End of answer|답변) 1.*?\[(?:Answer|답변) 2\]\n(.*?)\n\[", re.S)


def prefers_good(text: str, body: dict) -> Reply:
    first, second = _BLOCK.search(text).groups()
    verdict = "[[1]]" if "GOOD" in first else "[[2]]" if "GOOD" in second else "[[tie]]"
    return Reply(f"Weighing both answers.\n{verdict}")


def _judge(fake, a, b, *more):
    return ("eval", "judge", a, b, "--judge_model", "judge-x", "--base_url", fake.base_url, "--backoff_base", 0.01,
            "--progress", "false", *more)


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_verdict_parsing_and_both_orders():
    assert parse_verdict("reasoning [[1]] ... final: [[2]]") == "2"  # the last mark counts
    assert parse_verdict("비슷합니다.\n[[무승부]]") == "tie" and parse_verdict("[[ Tie ]]") == "tie"
    assert parse_verdict("Answer 1 is better.") is None
    assert side("1", "ab") == "a" and side("1", "ba") == "b" and side("tie", "ba") == "tie"
    assert combine("a", "a") == ("a", True)
    assert combine("a", "b") == ("tie", False)  # a verdict that follows the position is no preference
    assert combine(None, "a") == ("unparsed", False)


def test_statistics_against_hand_computed_values():
    assert sign_test(90, 89) == pytest.approx(1.0)  # Alpaca's 90 : 89
    assert sign_test(10, 2) == pytest.approx(0.03857, abs=1e-5)  # 2 * (1 + 12 + 66) / 4096
    assert sign_test(0, 0) == 1.0
    assert win_rate(["a", "a", "b", "tie"]) == pytest.approx(0.625)
    low, high = bootstrap_interval(["a"] * 30 + ["b"] * 10, seed=1)
    assert low < 0.75 < high and high - low < 0.35
    assert bootstrap_interval(["a"] * 30 + ["b"] * 10, seed=1) == (low, high)  # seeded: the same every time
    # Cohen's kappa: 10 items, agreement 0.8, chance 0.5 * 0.6 + 0.5 * 0.4 = 0.5 -> 0.6.
    first = ["a"] * 5 + ["b"] * 5
    second = ["a"] * 5 + ["b"] * 3 + ["a"] * 2
    assert cohen_kappa(first, second) == pytest.approx((0.8 - 0.5) / 0.5)
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None


def test_answer_the_shipped_set_in_both_languages(make_fake, run_cli, tmp_path):
    fake = make_fake(responder=answer_responder)
    result = run_cli("eval", "answer", "--output", tmp_path / "a.jsonl", "--base_url", fake.base_url, "--concurrency", 8,
                     "--progress", "false")
    assert result.returncode == 0, result.stderr
    lines = _read(tmp_path / "a.jsonl")
    assert len(lines) == 200 and sum(x["lang"] == "ko" for x in lines) == 100
    assert all(x["output"].startswith("요청하신 과제" if x["lang"] == "ko" else "Here is") for x in lines)
    assert all("previous_output" not in x["provenance"] for x in lines)
    bodies = [r["body"] for r in fake.requests if r["path"].endswith("completions")]
    assert len(bodies) == 200 and all(len(b["messages"]) == 1 for b in bodies)  # no system message by default
    only_ko = run_cli("eval", "answer", "--output", tmp_path / "ko.jsonl", "--lang", "ko", "--base_url", fake.base_url,
                      "--progress", "false")
    assert only_ko.returncode == 0 and len(_read(tmp_path / "ko.jsonl")) == 100


def test_answer_dry_run_writes_nothing(run_cli, tmp_path):
    folder = tmp_path / "answers"
    folder.mkdir()
    result = run_cli("eval", "answer", "--output", folder / "a.jsonl", "--lang", "ko", "--limit", 3, "--dry_run")
    assert result.returncode == 0, result.stderr
    assert "items.jsonl" not in result.stdout + result.stderr  # the temporary items file is not named
    assert "===== item ko_0001 (ko) =====" in result.stdout and "# 3 records, 3 to answer" in result.stdout
    assert list(folder.iterdir()) == []


def test_judge_counts_consistent_verdicts_and_korean_rule(make_fake, run_cli, tmp_path):
    a = _answers(tmp_path / "alpha.jsonl", {"en_1", "en_2", "ko_1"}, english_for={"ko_3"})
    b = _answers(tmp_path / "beta.jsonl", {"en_3"})
    fake = make_fake(responder=prefers_good)
    result = run_cli(*_judge(fake, a, b))
    assert result.returncode == 0, result.stderr
    judgments = {x["id"]: x for x in _read(tmp_path / "judge-alpha-vs-beta.jsonl")}
    assert {k: x["winner"] for k, x in judgments.items()} == {
        "en_1": "a", "en_2": "a", "en_3": "b", "ko_1": "a", "ko_2": "tie", "ko_3": "b"}
    # The judge preferred A on ko_3, but A answered a Korean task in English.
    assert judgments["ko_3"]["rule"] == "not_korean" and judgments["ko_3"]["verdict_ab"] == "a"
    assert all(x["consistent"] for k, x in judgments.items())
    assert judgments["en_1"]["verdict_ab"] == "a" and "[[1]]" in judgments["en_1"]["raw_ab"]
    assert "[[2]]" in judgments["en_1"]["raw_ba"]  # the same answer, shown second
    prompts = [r["body"]["messages"][-1]["content"] for r in fake.requests if r["path"].endswith("completions")]
    assert len(prompts) == 12 and sum("[요청]" in p for p in prompts) == 6  # Korean items get the Korean judge prompt
    assert "alpha 3 : beta 2 : tie 1" in result.stdout


def test_a_judge_biased_to_the_first_answer_gives_ties(make_fake, run_cli, tmp_path):
    a, b = _answers(tmp_path / "a.jsonl", {"en_1"}), _answers(tmp_path / "b.jsonl", set())
    fake = make_fake(responder=lambda text, body: Reply("The first one.\n[[1]]"))
    result = run_cli(*_judge(fake, a, b))
    assert result.returncode == 0, result.stderr
    lines = _read(tmp_path / "judge-a-vs-b.jsonl")
    assert [x["winner"] for x in lines] == ["tie"] * 6 and not any(x["consistent"] for x in lines)


def test_garbage_verdicts_are_asked_again_then_counted(make_fake, run_cli, tmp_path):
    a, b = _answers(tmp_path / "a.jsonl", {"en_1", "en_2", "en_3", "ko_1", "ko_2", "ko_3"}), _answers(tmp_path / "b.jsonl", set())

    def judge(text, body):
        reminded = "End your reply with one line holding only" in text or "답의 마지막 줄에는" in text
        if "회식" in text:
            return Reply("I cannot decide.")  # never a verdict, even when reminded
        if not reminded and ("budgeting" in text or "존댓말" in text):
            return Reply("Hmm, both have merits.")  # a verdict only once reminded
        return prefers_good(text, body)

    fake = make_fake(responder=judge)
    result = run_cli(*_judge(fake, a, b, "--unparsed_retries", 2))
    assert result.returncode == 0, result.stderr
    lines = {x["id"]: x for x in _read(tmp_path / "judge-a-vs-b.jsonl")}
    assert lines["en_2"]["winner"] == "a" and lines["ko_1"]["winner"] == "a"  # fixed by the reminder
    assert lines["ko_3"]["winner"] == "unparsed" and lines["ko_3"]["raw_ab"] == "I cannot decide."
    calls = [r for r in fake.requests if r["path"].endswith("completions")]
    # 12 first verdicts; en_2 and ko_1: 2 orders x 1 retry; ko_3: 2 orders x 2 retries.
    assert len(calls) == 12 + 4 + 4
    assert "1 unparsed" in result.stdout


def test_judge_killed_and_resumed_writes_the_same_judgments(make_fake, run_cli, start_cli, tmp_path):
    many = [(f"en_{k}", "en", f"Write reply number {k} to a customer.", "") for k in range(40)]
    for name, good in (("a", {f"en_{k}" for k in range(0, 40, 3)}), ("b", {f"en_{k}" for k in range(1, 40, 3)})):
        rows = [{"id": i, "lang": lang, "instruction": ins, "input": inp,
                 "output": "An answer." + (" GOOD" if i in good else "")} for i, lang, ins, inp in many]
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    reference = make_fake(responder=prefers_good)
    assert run_cli(*_judge(reference, a, b, "--output", tmp_path / "ref.jsonl")).returncode == 0
    fake = make_fake(responder=prefers_good, latency=0.03)
    out = tmp_path / "j.jsonl"
    rng, kills = random.Random(3), 0
    for _ in range(15):
        proc = start_cli(*_judge(fake, a, b, "--output", out, "--concurrency", 4))
        time.sleep(rng.uniform(0.4, 1.2))
        if proc.poll() is not None:
            assert proc.wait().returncode == 0
            break
        proc.kill()
        kills += 1
        if out.exists():
            assert [x["id"] for x in _read(out)] == [f"en_{k}" for k in range(len(_read(out)))]
    else:
        assert run_cli(*_judge(fake, a, b, "--output", out)).returncode == 0
    assert kills >= 1
    assert out.read_bytes() == (tmp_path / "ref.jsonl").read_bytes()


def test_judge_through_the_batch_api(make_fake, run_cli, tmp_path):
    a, b = _answers(tmp_path / "a.jsonl", {"en_1", "ko_2"}), _answers(tmp_path / "b.jsonl", {"en_3"})
    live, batch = make_fake(responder=prefers_good), make_fake(responder=prefers_good)
    assert run_cli(*_judge(live, a, b, "--output", tmp_path / "live.jsonl")).returncode == 0
    result = run_cli(*_judge(batch, a, b, "--output", tmp_path / "batch.jsonl", "--batch", "--batch_poll_interval", 0.01))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "batch.jsonl").read_bytes() == (tmp_path / "live.jsonl").read_bytes()
    assert batch.batches.created and batch.batches.created[0]["requests"] == 12


def test_summary_of_a_judge_and_two_annotators(run_cli, tmp_path):
    folder = tmp_path / "eval"
    folder.mkdir()
    outcomes = ["a"] * 6 + ["b"] * 3 + ["tie"]
    judgments = [{"id": f"i{k}", "lang": "en" if k < 5 else "ko", "instruction": "x", "judge": "J", "model_a": "m1",
                  "model_b": "m2", "winner": o, "consistent": True, "length_a": 10, "length_b": 20}
                 for k, o in enumerate(outcomes)]
    (folder / "judge-m1-vs-m2.jsonl").write_text("".join(json.dumps(j) + "\n" for j in judgments), encoding="utf-8")
    votes_dir = folder / "annotations" / "m1-vs-m2"
    votes_dir.mkdir(parents=True)
    # Ann agrees with the judge on every item; Bo, who wrote the pair the other way round, on 8 of 10.
    ann = [{"type": "vote", "annotator": "ann", "item": f"i{k}", "outcome": o, "model_a": "m1", "model_b": "m2"}
           for k, o in enumerate(outcomes)]
    ann.insert(3, {"type": "vote", "annotator": "ann", "item": "i3", "outcome": "b", "model_a": "m1", "model_b": "m2"})
    ann.insert(4, {"type": "undo", "annotator": "ann", "item": "i3"})
    (votes_dir / "ann.jsonl").write_text("".join(json.dumps(v) + "\n" for v in ann[:3] + ann[3:5] + ann[5:]) +
                                         '{"type": "vote", "annot', encoding="utf-8")  # a line cut by a crash
    flip = {"a": "b", "b": "a", "tie": "tie", "both_bad": "both_bad"}
    bo_outcomes = outcomes[:8] + ["both_bad", "a"]
    bo = [{"type": "vote", "annotator": "bo", "item": f"i{k}", "outcome": flip[o], "model_a": "m2", "model_b": "m1"}
          for k, o in enumerate(bo_outcomes)]
    (votes_dir / "bo.jsonl").write_text("".join(json.dumps(v) + "\n" for v in bo), encoding="utf-8")
    result = run_cli("eval", "summary", folder, "--json")
    assert result.returncode == 0, result.stderr
    pair = json.loads(result.stdout)["pairs"][0]
    by_name = {s["name"]: s for s in pair["sources"]}
    assert (by_name["J"]["wins_a"], by_name["J"]["wins_b"], by_name["J"]["ties"]) == (6, 3, 1)
    assert by_name["ann"]["wins_a"] == 6 and by_name["ann"]["items"] == 10  # the undone vote and the cut line left out
    assert (by_name["bo"]["wins_a"], by_name["bo"]["wins_b"], by_name["bo"]["both_bad"]) == (7, 2, 1)  # flipped back
    assert by_name["J"]["win_rate_a"] == pytest.approx(0.65)
    assert by_name["J"]["sign_test_p"] == pytest.approx(sign_test(6, 3))
    kappas = {tuple(g["between"]): g for g in pair["agreement"]}
    assert kappas[("judge J", "annotator ann")]["cohen_kappa"] == pytest.approx(1.0)
    bo_vs_j = kappas[("judge J", "annotator bo")]
    expected = cohen_kappa(outcomes, outcomes[:8] + ["tie", "a"])
    assert bo_vs_j["agreement"] == pytest.approx(0.8) and bo_vs_j["cohen_kappa"] == pytest.approx(expected)
    text = run_cli("eval", "summary", folder, "--plot", tmp_path / "wins.png")
    assert text.returncode == 0, text.stderr
    assert "judge J: m1 6 : m2 3 : tie 1" in text.stdout
    assert "mean length en: A 10, B 20 words; ko: A 10, B 20 characters" in text.stdout
    assert (tmp_path / "wins.png").read_bytes()[:4] == b"\x89PNG"


def test_verdict_only_on_completions_completes_the_opened_mark(make_fake, run_cli, tmp_path):
    a, b = _answers(tmp_path / "a.jsonl", {"en_1", "ko_1"}), _answers(tmp_path / "b.jsonl", {"en_2"})

    def judge(text, body):
        assert body["prompt"].endswith(("Verdict: [[", "판정: [[")) and "First explain" not in body["prompt"]
        first, second = _BLOCK.search(body["prompt"]).groups()
        return Reply("1]]" if "GOOD" in first else "2]] and more" if "GOOD" in second else "tie]]")

    fake = make_fake(responder=judge)
    result = run_cli(*_judge(fake, a, b, "--api", "completions", "--verdict_only", "--max_tokens", 4))
    assert result.returncode == 0, result.stderr
    winners = {x["id"]: x["winner"] for x in _read(tmp_path / "judge-a-vs-b.jsonl")}
    assert winners == {"en_1": "a", "en_2": "b", "en_3": "tie", "ko_1": "a", "ko_2": "tie", "ko_3": "tie"}


def test_judge_refuses_one_file_twice_and_names_unpaired_items(make_fake, run_cli, tmp_path):
    a = _answers(tmp_path / "a.jsonl", {"en_1"})
    fake = make_fake(responder=prefers_good)
    same = run_cli(*_judge(fake, a, a))
    assert same.returncode == 2 and "compares two answers files" in same.stderr
    rows = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()][:4]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    partial = run_cli(*_judge(fake, a, tmp_path / "b.jsonl"))
    assert partial.returncode == 0, partial.stderr
    assert "4 items are in both files; 2 of a.jsonl and 0 of b.jsonl have no partner" in partial.stderr


def test_annotate_stops_cleanly_on_sigterm(start_cli, tmp_path):
    import signal as signals

    a, b = _answers(tmp_path / "a.jsonl", set()), _answers(tmp_path / "b.jsonl", {"en_1"})
    proc = start_cli("eval", "annotate", a, b, "--annotator", "kim", "--port", 0)
    deadline = time.monotonic() + 20
    while "annotating" not in proc.result().stdout and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signals.SIGTERM)
    result = proc.wait(timeout=20)
    assert result.returncode == 0, result.stderr
    assert "stopped; 0 of 6 items voted, nothing to save" in result.stdout and "Traceback" not in result.stderr
