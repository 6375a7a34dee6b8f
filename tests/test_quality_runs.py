"""Defects through whole runs: the fake server writes every defect class, real small-model
completions are replayed through the pipeline, and regen.json must come out clean."""
from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest

try:
    from tests.defects import FIXES, defect_tasks, render_tasks
    from tests.fakeserver import Reply, generate_tasks
except ImportError:  # tests/ not importable as a package
    from defects import FIXES, defect_tasks, render_tasks
    from fakeserver import Reply, generate_tasks

from alpaca_gen.answers import Choice, RoundResult, Unusable
from alpaca_gen.check import check_file, check_records
from alpaca_gen.config import GenerateConfig
from alpaca_gen.pipeline import Generator
from alpaca_gen.records import read_records

DATA = Path(__file__).resolve().parent / "data"


def defect_completion(lang: str, api: str) -> str:
    """One completion holding every defect class of ``lang`` and the fixable cases, among good tasks."""
    good = generate_tasks(f"good tasks {lang}", 0, lang == "ko", last=3)
    tasks = [task for _, task in defect_tasks(lang)] + [task for _, code, task, _, _ in FIXES if code == lang] + good
    text = render_tasks(tasks, 4)
    return text[len("4. Instruction:"):] if api == "completions" else text


@pytest.mark.parametrize("api", ["completions", "chat"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_a_run_fed_every_defect_keeps_none_of_them(fake, run_cli, tmp_path, util, lang, api):
    fake.enqueue(Reply(defect_completion(lang, api)))
    out = tmp_path / "out"
    result = run_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--lang", lang, "--api", api,
                     "--request_batch_size", 1, "--max_requests", 1, "--num_instructions_to_generate", 100, "--seed", 3)
    assert result.returncode == 0, result.stderr
    summary = util.load_summary(out)
    quality = summary["this_run"]["funnel"][3]
    expected = Counter(reason for reason, _ in defect_tasks(lang))
    assert quality["stage"] == "quality" and quality["dropped"] == dict(expected), quality
    assert quality["fixed"] == {"noinput_marker": 1, "output_structure_leak": 1}
    # What was kept is clean: the checker finds nothing to drop or fix in it.
    report = check_file(str(out / "regen.json"))
    assert report.flagged == 0, report.as_dict()["rules"]
    records = util.load_regen(out)
    fixed = {code_task[0]: (field, value) for _, code, code_task, field, value in FIXES if code == lang}
    kept = {r["instruction"]: r for r in records}
    for instruction, (field, value) in fixed.items():
        assert kept[instruction][field] == value
    assert len(records) == len(fixed) + 4  # the fixed ones and the four good tasks
    assert f"quality {quality['in']} → passed {quality['out']}; dropped {sum(expected.values())}" in result.stdout


def test_check_counts_every_defect_class_once(tmp_path):
    rows = []
    for lang in ("en", "ko"):
        for reason, (instruction, task_input, output) in defect_tasks(lang):
            rows.append({"instruction": instruction, "input": task_input, "output": output, "lang": lang})
    path = tmp_path / "defects.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report = check_file(str(path), output=str(tmp_path / "clean.jsonl"), flagged=str(tmp_path / "flagged.jsonl"))
    want = Counter(reason for lang in ("en", "ko") for reason, _ in defect_tasks(lang))
    assert report.dropped == len(rows) and report.kept == 0
    assert (tmp_path / "clean.jsonl").read_text() == ""
    flagged = [json.loads(line) for line in (tmp_path / "flagged.jsonl").read_text(encoding="utf-8").splitlines()]
    # Each record is flagged for its own defect first; a few carry a second one (the
    # input leak "6. Output: <noinput>" is also a <noinput> beside text).
    assert [f["reasons"][0] for f in flagged] == [reason for lang in ("en", "ko") for reason, _ in defect_tasks(lang)]
    counts = {name: rule.records for name, rule in report.rules.items()}
    assert set(counts) == set(want) and all(counts[name] >= n for name, n in want.items()), counts
    assert sum(len(f["reasons"]) for f in flagged) == sum(counts.values())
    assert all(rule.example for rule in report.rules.values())


# -- real completions of a small model, replayed through the pipeline ------------------------------------


class ReplaySource:
    """An answer source that answers each prompt with the next saved completion: the
    committer does not care where answers come from."""

    def __init__(self, completions: list[dict]):
        self.completions = list(completions)
        self.max_tokens = 512
        self.sent = 0

    @property
    def in_flight(self) -> int:
        return 0

    def calls_for(self, n_prompts: int) -> int:
        return n_prompts

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        await asyncio.sleep(0)
        choices = []
        for _ in prompts:
            if self.sent < len(self.completions):
                saved = self.completions[self.sent]
                choices.append(Choice(saved["text"], saved["finish_reason"]))
            else:
                choices.append(Unusable("garbled"))
            self.sent += 1
        return RoundResult(choices, api_calls=len(prompts))

    async def close(self) -> None:
        pass


def load_captured(name: str, lang: str, api: str) -> list[dict]:
    rows = [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["lang"] == lang and r["api"] == api]


@pytest.mark.parametrize("fixture", ["llama_completions.jsonl", "llama_completions_holdout.jsonl",
                                     "llama_completions_holdout2.jsonl"])
@pytest.mark.parametrize("api", ["completions", "chat"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_real_small_model_completions_leave_a_clean_regen_json(tmp_path, capsys, fixture, lang, api):
    captured = load_captured(fixture, lang, api)
    assert captured, f"no {lang}/{api} completions in {fixture}"
    config = GenerateConfig.from_flags(output_dir=str(tmp_path / "out"), lang=lang, api=api, request_batch_size=1,
                                       concurrency=1, max_requests=len(captured), num_instructions_to_generate=1000,
                                       seed=1, progress=False)
    summary = Generator(config, source=ReplaySource(captured)).run()
    capsys.readouterr()
    funnel = summary["this_run"]["funnel"]
    assert funnel[0]["in"] == len(captured)
    for stage in funnel:
        assert stage["in"] == stage["out"] + sum(stage["dropped"].values()), stage
    regen = tmp_path / "out" / "regen.json"
    if regen.exists():
        records = read_records(regen, allow_empty=True).records
        report, _, _ = check_records(records, [str(i) for i in range(len(records))], lang=lang)
        assert report.flagged == 0, report.as_dict()["rules"]


def test_a_model_that_only_repeats_itself_is_reported_after_20_40_80_idle_rounds(tmp_path, capsys):
    """The idle-round count lives on the round processor from its first round on (it used to
    be created on the fly with getattr). The warnings thin out as the streak grows."""
    same = {"text": render_tasks([("Name three colors of the rainbow.", "", "Red, orange and yellow.")], 1),
            "finish_reason": "stop"}
    config = GenerateConfig.from_flags(output_dir=str(tmp_path / "out"), api="chat", request_batch_size=1,
                                       concurrency=1, max_requests=101, num_instructions_to_generate=1000, seed=1,
                                       progress=False)
    errors = []

    class Recording(Generator):
        def warn(self, message):
            errors.append(message)

    summary = Recording(config, source=ReplaySource([same] * 101)).run()
    capsys.readouterr()
    assert summary["records_in_file"] == 1  # the first round kept the task; the 100 after it kept nothing
    idle = [m for m in errors if "kept nothing" in m]
    assert [m.split(" rounds")[0] for m in idle] == ["the last 20", "the last 40", "the last 80"], errors
