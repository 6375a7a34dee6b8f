"""End to end: ``python -m alpaca_gen generate`` in a subprocess against the fake server.

The real openai client inside the CLI talks HTTP to FakeOpenAI on 127.0.0.1; the
fake's default responder is deterministic (seeded by the prompt text).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DEFAULT_MODEL = {"completions": "gpt-3.5-turbo-instruct", "chat": "gpt-4o-mini"}
RECORD_FIELDS = {"instruction", "input", "output", "most_similar_instructions", "avg_similarity_score", "provenance"}
# Reasons the parser counts before a task becomes a candidate; every other reason
# in "dropped" is a filter or similarity decision about a candidate.
PARSE_REASONS = {"truncated", "malformed", "empty_instruction", "empty_output"}
COMPLETION_REASONS = {"no_tasks_in_completion", "garbled", "empty_completion"}
HANGUL_ESCAPE = re.compile(rb"\\u(?:a[c-f]|[bc][0-9a-f]|d[0-7])[0-9a-f]{2}", re.I)

def check_summary_counts(summary: dict, target: int) -> None:
    assert summary["records_in_file"] == target
    assert summary["target"] == target
    for part in ("this_run", "all_runs"):
        run = summary[part]
        assert_funnel_adds_up(run)
        dropped = run["dropped"]
        judged = sum(v for k, v in dropped.items() if k not in PARSE_REASONS and k not in COMPLETION_REASONS)
        assert run["candidates"] == run["kept"] + judged, (part, run)
        assert all(isinstance(v, int) and v >= 0 for v in dropped.values())
        assert run["api_calls"] >= run["rounds"] >= 1


def assert_funnel_adds_up(run: dict) -> None:
    """Each stage: in = out + dropped; from parse on, each stage's in is the previous out."""
    stages = run["funnel"]
    assert [s["stage"] for s in stages] == ["completions", "parse", "fields", "quality", "similarity", "target"]
    for stage in stages:
        assert stage["in"] == stage["out"] + sum(stage["dropped"].values()), stage
    for before, after in zip(stages[1:], stages[2:]):
        assert after["in"] == before["out"], (before, after)
    assert stages[-1]["out"] == run["kept"] and stages[1]["out"] == run["candidates"]


@pytest.mark.parametrize("api", ["completions", "chat"])
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_generate_end_to_end(fake, run_cli, tmp_path, util, lang, api):
    target, batch, k = 25, 3, 3
    out = tmp_path / "out"
    result = run_cli(
        "generate", "--output_dir", out, "--base_url", fake.base_url, "--lang", lang, "--api", api,
        "--num_instructions_to_generate", target, "--request_batch_size", batch, "--num_prompt_instructions", k,
        "--seed", 1234, "--backoff_base", 0.01,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{target}/{target} records" in result.stdout  # the summary
    util.assert_no_secret(result, out)

    raw = (out / "regen.json").read_bytes()
    records = json.loads(raw.decode("utf-8"))
    assert isinstance(records, list) and len(records) == target
    seeds = util.seed_tasks()
    instructions = [r["instruction"] for r in records]
    assert len(set(instructions)) == target, "duplicate instructions kept"
    last_request = -1
    for record in records:
        assert set(record) == RECORD_FIELDS, record.keys()
        assert isinstance(record["instruction"], str) and record["instruction"].strip()
        assert isinstance(record["input"], str) and isinstance(record["output"], str) and record["output"].strip()
        assert isinstance(record["most_similar_instructions"], dict)
        assert isinstance(record["avg_similarity_score"], float)
        prov = record["provenance"]
        assert prov["lang"] == lang and prov["api"] == api and prov["model"] == DEFAULT_MODEL[api]
        assert isinstance(prov["request"], int) and prov["request"] >= last_request  # committed in request order
        last_request = prov["request"]
        assert prov["prompt"] in range(batch)
        assert len(prov["seed_task_ids"]) == k and len(set(prov["seed_task_ids"])) == k
        for seed_id in prov["seed_task_ids"]:
            assert seed_id in seeds, f"unknown seed task {seed_id}"
            assert seeds[seed_id].get("lang", "en") == lang
        if lang == "ko":
            assert util.hangul_share(record["instruction"]) >= 0.5, record["instruction"]
    # Stanford's layout, Hangul stored as UTF-8 rather than \\uXXXX escapes.
    assert raw == json.dumps(records, indent=4, ensure_ascii=False).encode("utf-8")
    if lang == "ko":
        assert not HANGUL_ESCAPE.search(raw)
        assert any("\uac00" <= ch <= "\ud7a3" for ch in raw.decode("utf-8"))

    summary = util.load_summary(out)
    check_summary_counts(summary, target)
    run = summary["this_run"]
    assert run["kept"] == target
    assert summary["lang"] == lang and summary["api"] == api and summary["seed"] == 1234

    requests = util.generation_requests(fake)
    calls_per_round = 1 if api == "completions" else batch
    # Rounds answered after the target was reached are counted (they were billed) but
    # keep no records, and so are the answered calls of a chat round the end cut short;
    # calls still in flight then are counted as abandoned.
    assert run["api_calls"] == (run["rounds"] + run["unused_rounds"]) * calls_per_round + run["cut_short_calls"]
    util.assert_every_request_counted(run, fake)
    assert max(r["provenance"]["request"] for r in records) < run["rounds"]
    for request in requests:
        body = request["body"]
        assert request["headers"]["authorization"] == f"Bearer {util.SECRET}"
        assert body["model"] == DEFAULT_MODEL[api]
        if api == "completions":
            assert request["path"] == "/v1/completions"
            assert isinstance(body["prompt"], list) and len(body["prompt"]) == batch
            assert all(isinstance(p, str) and p.rstrip().endswith(f"{k + 1}. Instruction:") for p in body["prompt"])
            prompts = body["prompt"]
        else:
            assert request["path"] == "/v1/chat/completions"
            assert body["messages"] == [{"role": "user", "content": body["messages"][0]["content"]}]
            assert isinstance(body["messages"][0]["content"], str)
            prompts = [body["messages"][0]["content"]]
        for prompt in prompts:
            header = prompt.split("###", 1)[0]
            assert (util.hangul_share(header) > 0.3) == (lang == "ko")


def test_dry_run_contacts_nothing_and_needs_no_key(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    env = util.make_env(api_key=None)
    result = run_cli("generate", "--dry_run", "--output_dir", out, "--base_url", fake.base_url,
                     "--request_batch_size", 2, "--seed", 9, env=env)
    assert result.returncode == 0, result.stderr
    assert "request 0, prompt 0" in result.stdout and "request 0, prompt 1" in result.stdout
    assert "request 0, prompt 2" not in result.stdout
    assert "4. Instruction:" in result.stdout
    assert fake.requests == []
    assert not (out / "regen.json").exists()


def test_a_proxy_in_the_environment_does_not_take_requests_to_this_machine(fake, run_cli, tmp_path, util, cli_env):
    # A machine whose proxy reaches only the internet (CI, a company network): a server on
    # 127.0.0.1 (--local's included) must still be reached directly.
    dead_proxy = "http://127.0.0.1:9"
    env = cli_env(NO_PROXY="", no_proxy="", HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy, ALL_PROXY=dead_proxy,
                  http_proxy=dead_proxy, https_proxy=dead_proxy, all_proxy=dead_proxy)
    result = run_cli("generate", "--base_url", fake.base_url, "--output_dir", tmp_path / "out", "--seed", 1,
                     "--num_instructions_to_generate", 5, env=env)
    assert result.returncode == 0, result.stderr
    assert len(util.load_regen(tmp_path / "out")) == 5


def test_max_requests_stops_and_resumes(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    args = ("generate", "--output_dir", out, "--base_url", fake.base_url, "--num_instructions_to_generate", 500,
            "--request_batch_size", 1, "--max_requests", 2, "--seed", 5, "--concurrency", 4)
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    assert len(util.generation_requests(fake)) == 2
    summary = util.load_summary(out)
    assert summary["this_run"]["api_calls"] == 2
    assert "max_requests" in summary["stopped_because"]
    records = util.load_regen(out)
    assert 0 < len(records) < 500
    assert {r["provenance"]["request"] for r in records} <= {0, 1}

    fake.clear()
    second = run_cli(*args)
    assert second.returncode == 0, second.stderr
    assert len(util.generation_requests(fake)) == 2
    more = util.load_regen(out)
    assert more[: len(records)] == records and len(more) > len(records)
    assert {r["provenance"]["request"] for r in more[len(records):]} <= {2, 3}
    summary = util.load_summary(out)
    assert summary["all_runs"]["api_calls"] == 4 and summary["this_run"]["api_calls"] == 2
    util.assert_no_secret(second, out)


def test_max_requests_chat_counts_each_call(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--api", "chat",
                     "--num_instructions_to_generate", 500, "--request_batch_size", 5, "--max_requests", 2, "--seed", 5)
    assert result.returncode == 0, result.stderr
    assert len(util.generation_requests(fake)) == 2
    assert util.load_summary(out)["this_run"]["api_calls"] == 2


@pytest.mark.parametrize("command,config", [
    (("generate",), "GenerateConfig"), (("check",), "CheckOptions"), (("export",), "ExportOptions"),
    (("dedup",), "DedupOptions"), (("report",), "ReportOptions"),
    (("seeds", "check"), "SeedCheckOptions"),
    (("batch", "prepare"), "BatchPrepareOptions"), (("batch", "ingest"), "BatchIngestOptions"),
])
def test_help_lists_every_flag_of_the_spec(run_cli, command, config):
    """Every option declared in the command's spec appears in its --help (the list is the
    spec itself, not one written here)."""
    from alpaca_gen import config as config_module

    names = getattr(config_module, config).flag_names()
    result = run_cli(*command, "--help")
    assert result.returncode == 0
    text = result.stdout + result.stderr
    missing = [name for name in names if f"--{name}" not in text and name.upper() not in text]
    assert not missing, f"{' '.join(command)} --help does not mention {missing}"
    assert "Traceback" not in text
    assert len(names) >= {"generate": 32, "check": 6, "export": 18, "dedup": 7, "report": 6, "seeds": 5,
                          "batch": 2}[command[0]]


def test_every_flag_the_docs_name_exists(run_cli):
    """The README and pyproject.toml name flags; each must be one a command's --help lists
    (pyproject once named a --ko_tokenizer that never existed)."""
    from alpaca_gen.argv import command_table
    from alpaca_gen.cli import _build_commands

    known = {"help", "version", "nosimilarity_stats", "flags"}  # [--flags] in a usage line
    for command in command_table(*_build_commands()):
        text = run_cli(*command, "--help").stdout
        # A flag's line starts with it ("  --lang en|ko", "  --dry_run / --nodry_run"); a positional
        # argument's line ends with "(or --input)".
        known.update(re.findall(r"(?m)^  --([a-z][a-z_]+)", text))
        known.update(re.findall(r"\(or --([a-z][a-z_]+)\)", text))
    known.update({"no" + name for name in known})  # fire's --noflag for a boolean
    assert {"output_dir", "tokenizer", "similarity_stats"} <= known
    repo = Path(__file__).resolve().parents[1]
    for name in ("README.md", "pyproject.toml"):
        # Lines that run other programs (pip, llama.cpp's server) name their own flags; a line
        # showing a misspelt flag's suggestion names the misspelling.
        lines = [line for line in (repo / name).read_text(encoding="utf-8").splitlines()
                 if "llama_cpp.server" not in line and "pip install" not in line and "vllm run-batch" not in line
                 and "did you mean" not in line]
        named = set(re.findall(r"(?<![\w-])--([a-z][a-z_]+)", "\n".join(lines)))
        unknown = sorted(named - known)
        assert not unknown, f"{name} names flags that do not exist: {unknown}"


def test_python_dash_m_works(run_cli):
    # With no command: the usage, listing the commands, and no traceback.
    bare = run_cli()
    text = bare.stdout + bare.stderr
    assert "Traceback" not in text
    assert bare.returncode in (0, 2), text
    for command in ("generate", "dedup", "seeds"):
        assert command in text


def test_top_level_help_lists_commands(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    text = result.stdout + result.stderr
    for command in ("generate", "dedup", "seeds"):
        assert command in text
    assert "Traceback" not in text


def test_same_seed_same_output_across_concurrency(fake, run_cli, tmp_path, util):
    outputs = {}
    for concurrency in (1, 8):
        fake.clear()
        out = tmp_path / f"out{concurrency}"
        result = run_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--num_instructions_to_generate",
                         60, "--request_batch_size", 2, "--seed", 11, "--concurrency", concurrency)
        assert result.returncode == 0, result.stderr
        outputs[concurrency] = (out / "regen.json").read_bytes()
        summary = util.load_summary(out)
        logged = len(util.generation_requests(fake))
        if concurrency == 1:
            assert summary["this_run"]["api_calls"] == logged  # nothing sent beyond the committed rounds
        else:
            assert logged >= summary["this_run"]["api_calls"]
        util.assert_no_secret(result, out)
    assert len(json.loads(outputs[1])) == 60
    assert outputs[1] == outputs[8]


@pytest.mark.parametrize("lang, api", [("ko", "chat"), ("en", "completions")])
def test_generated_data_has_no_near_duplicates_left(fake, run_cli, tmp_path, util, lang, api):
    """`dedup` applies the same rule, so it must find nothing to drop in what `generate` kept,
    seeds included, also after the pool passes the index's re-ranking at 256 entries."""
    out = tmp_path / "out"
    result = run_cli("generate", "--output_dir", out, "--base_url", fake.base_url, "--lang", lang, "--api", api,
                     "--num_instructions_to_generate", 150, "--seed", 2, timeout=120)
    assert result.returncode == 0, result.stderr
    check = run_cli("dedup", out / "regen.json", "--output", tmp_path / "d.jsonl", "--lang", lang,
                    "--seed_tasks_path", util.SEED_FILE)
    assert check.returncode == 0, check.stderr
    assert "kept 150 of 150 records, dropped 0" in check.stdout, check.stdout


def test_heavy_imports_leave_the_collector_on_and_their_objects_frozen():
    """`generate` imports openai with the collector paused; a run of hours must still
    collect its own garbage, also when the import fails."""
    import gc

    from alpaca_gen import cli

    gc.unfreeze()
    before = gc.get_freeze_count()
    with cli._heavy_imports():
        assert not gc.isenabled()
        built = [[i] for i in range(1000)]  # stands for the import's objects
    assert gc.isenabled()
    assert gc.get_freeze_count() >= before + len(built)
    with pytest.raises(ImportError):
        with cli._heavy_imports():
            raise ImportError("no module named openai")
    assert gc.isenabled()
    gc.unfreeze()
