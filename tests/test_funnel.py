"""The funnel adds up: each stage's input is its output plus its drops, in the summary,
summary.json, the run state and runs.jsonl, whatever mix of answers and faults a run meets.

The whole pipeline runs in-process: the real ``openai`` client over an in-memory HTTP
transport (the request client takes any HTTP client), so hypothesis can try many runs.
"""
from __future__ import annotations

import json
import random

import openai
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

try:
    from tests.defects import FIXES, defect_tasks, render_tasks
    from tests.fakeserver import generate_tasks
except ImportError:  # tests/ not importable as a package
    from defects import FIXES, defect_tasks, render_tasks
    from fakeserver import generate_tasks

from alpaca_gen.config import GenerateConfig
from alpaca_gen.funnel import Funnel
from alpaca_gen.pipeline import Generator
from alpaca_gen.state import RunState


def http_module():
    """The httpx the installed openai client is built on (httpx, or its fork httpx2)."""
    import importlib

    return importlib.import_module(openai.DefaultAsyncHttpxClient.__mro__[1].__module__.split(".")[0])


KINDS = ("tasks", "defects", "truncated", "malformed", "no_tasks", "empty", "garbled", "server_error")


class ScriptedServer:
    """Answers each request with the next drawn kind; a completions list prompt gets one
    choice per prompt."""

    def __init__(self, kinds: list[str], lang: str, seed: int):
        self.kinds = list(kinds)
        self.lang = lang
        self.rng = random.Random(seed)
        self.sent = 0

    def _text(self, kind: str, api: str) -> tuple[str, str]:
        korean = self.lang == "ko"
        start = 4 if api == "completions" else 1
        if kind == "tasks":
            tasks = generate_tasks(f"{self.rng.random()}", start, korean, last=start + self.rng.randint(0, 6))
            if self.rng.random() < 0.3:  # repeats of earlier tasks: near duplicates
                tasks += tasks[:2]
            text, finish = render_tasks(tasks, start), "stop"
        elif kind == "defects":
            pool = [task for _, task in defect_tasks(self.lang)] + [t for _, code, t, _, _ in FIXES if code == self.lang]
            text, finish = render_tasks(self.rng.sample(pool, self.rng.randint(1, len(pool))), start), "stop"
        elif kind == "truncated":
            tasks = generate_tasks(f"{self.rng.random()}", start, korean, last=start + 2)
            text = render_tasks(tasks, start)
            text, finish = text[: max(10, int(len(text) * 0.8))], "length"
        elif kind == "malformed":
            text, finish = f"{start}. Instruction: Say something kind.\nNo labels follow here.", "stop"
        elif kind == "no_tasks":
            text, finish = "Sure! I will write the tasks now." if self.lang == "en" else "네, 곧 과제를 쓰겠습니다.", "stop"
        else:  # empty
            text, finish = "   ", "stop"
        if api == "completions":
            text = text[len(f"{start}. Instruction:"):] if text.startswith(f"{start}. Instruction:") else text
        return text, finish

    def __call__(self, request):
        httpx = http_module()
        body = json.loads(request.content)
        api = "chat" if request.url.path.endswith("/chat/completions") else "completions"
        kind = self.kinds[self.sent % len(self.kinds)]
        self.sent += 1
        if kind == "server_error" and self.sent % 2:
            return httpx.Response(500, json={"error": {"message": "boom", "type": "server_error"}})
        if kind == "garbled":
            return httpx.Response(200, content=b"{not json", headers={"content-type": "application/json"})
        prompts = body["prompt"] if api == "completions" and isinstance(body.get("prompt"), list) else [None]
        choices = []
        for index, _ in enumerate(prompts):
            text, finish = self._text(self.rng.choice(KINDS[:6]) if kind == "server_error" else kind, api)
            if api == "chat":
                choices.append({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish})
            else:
                choices.append({"index": index, "text": text, "finish_reason": finish})
        return httpx.Response(200, json={"id": "x", "object": "x", "model": "m", "choices": choices,
                                         "usage": {"prompt_tokens": 50 * len(prompts), "completion_tokens": 80 * len(prompts)}})


def run_in_process(tmp_path, kinds, lang, api, seed, target, max_requests, concurrency):
    httpx = http_module()
    server = ScriptedServer(kinds, lang, seed)
    client = openai.DefaultAsyncHttpxClient(transport=httpx.MockTransport(server))
    config = GenerateConfig.from_flags(
        output_dir=str(tmp_path), base_url="http://scripted.test/v1", api_key="sk-test-funnel", lang=lang, api=api,
        request_batch_size=3, concurrency=concurrency, max_requests=max_requests, num_instructions_to_generate=target,
        seed=seed, backoff_base=0.0, progress=False,
    )
    return Generator(config, http_client=client).run()


def assert_adds_up(funnel_list: list[dict]) -> None:
    funnel = Funnel.from_list(funnel_list)
    assert funnel.problems() == [], funnel.problems()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=12),
    lang=st.sampled_from(["en", "ko"]),
    api=st.sampled_from(["completions", "chat"]),
    seed=st.integers(0, 10**6),
    targets=st.tuples(st.integers(1, 40), st.integers(0, 40)),
    max_requests=st.integers(1, 8),
    concurrency=st.sampled_from([1, 3]),
)
def test_the_funnel_adds_up_over_random_mixes_of_faults(tmp_path_factory, capsys, kinds, lang, api, seed, targets,
                                                        max_requests, concurrency):
    out = tmp_path_factory.mktemp("funnel")
    first, more = targets
    summaries = [run_in_process(out, kinds, lang, api, seed, first, max_requests, concurrency)]
    summaries.append(run_in_process(out, kinds, lang, api, seed + 1, first + more, max_requests, concurrency))
    printed = capsys.readouterr().out
    records = json.loads((out / "regen.json").read_text(encoding="utf-8")) if (out / "regen.json").exists() else []
    for summary in summaries:
        assert_adds_up(summary["this_run"]["funnel"])
        assert_adds_up(summary["all_runs"]["funnel"])
        run = summary["this_run"]
        assert run["kept"] == run["funnel"][-1]["out"] and run["candidates"] == run["funnel"][1]["out"]
        assert sum(run["dropped"].values()) == sum(sum(s["dropped"].values()) for s in run["funnel"])
    assert summaries[-1]["all_runs"]["kept"] == len(records)
    # summary.json, the run state and runs.jsonl say the same.
    saved = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert saved["all_runs"]["funnel"] == summaries[-1]["all_runs"]["funnel"]
    state = RunState.from_dict(json.loads((out / ".alpaca-gen" / "state.json").read_text(encoding="utf-8")))
    assert state.totals.funnel.as_list() == summaries[-1]["all_runs"]["funnel"]
    lines = [json.loads(line) for line in (out / "runs.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2
    total = Funnel()
    for line in lines:
        assert_adds_up(line["stats"]["funnel"])
        total = total.merged(Funnel.from_list(line["stats"]["funnel"]))
    assert total.as_list() == summaries[-1]["all_runs"]["funnel"]
    # The printed summary shows every stage that saw anything, with its numbers.
    for stage in summaries[-1]["this_run"]["funnel"]:
        if stage["in"]:
            assert f"{stage['stage']} {stage['in']} → " in printed


def test_the_old_summary_did_not_add_up_and_this_one_does(tmp_path, capsys):
    """The run the issue quotes mixed parse drops into one counter; here every stage is its own line."""
    summary = run_in_process(tmp_path, ["tasks", "truncated", "malformed", "defects"], "en", "completions", 7,
                             30, 4, 1)
    printed = capsys.readouterr().out
    run = summary["this_run"]
    assert_adds_up(run["funnel"])
    parse = run["funnel"][1]
    assert parse["dropped"].get("truncated") and parse["dropped"].get("malformed")
    assert f"parse {parse['in']} → tasks {parse['out']}; dropped" in printed
    assert "quality" in printed and "similarity" in printed
