"""Bad input: one ``alpaca-gen: error:`` line, no traceback, the documented exit code,
and existing data left exactly as it was."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import time
from pathlib import Path

import pytest

try:
    from tests.fakeserver import Error, FakeOpenAI
except ImportError:  # tests/ not importable as a package
    from fakeserver import Error, FakeOpenAI

from alpaca_gen.errors import ApiRefusedError, BusyError, DataError, NoInputError, ServerUnavailableError, UsageError

# Exit codes, from alpaca_gen/errors.py (sysexits(3)).
EX_USAGE, EX_DATAERR, EX_NOINPUT = UsageError.exit_code, DataError.exit_code, NoInputError.exit_code
EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOPERM = ServerUnavailableError.exit_code, BusyError.exit_code, ApiRefusedError.exit_code
assert (EX_USAGE, EX_DATAERR, EX_NOINPUT, EX_UNAVAILABLE, EX_TEMPFAIL, EX_NOPERM) == (2, 65, 66, 69, 75, 77)

EN_TASK = {"id": "t1", "name": "t1", "instruction": "Name three primary colors.",
           "instances": [{"input": "", "output": "Red, blue and yellow."}], "is_classification": False, "lang": "en"}


def task(i: int, lang: str = "en", **changes) -> dict:
    record = dict(EN_TASK, id=f"t{i}", name=f"t{i}", instruction=f"Explain idea number {i} to a child.", lang=lang)
    record.update(changes)
    return record


def write_seeds(path: Path, lines: list) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def without(record: dict, field: str) -> dict:
    record = dict(record)
    del record[field]
    return record


def gen(fake_or_url, out, *more):
    url = fake_or_url if isinstance(fake_or_url, str) else fake_or_url.base_url
    return ("generate", "--output_dir", out, "--base_url", url, "--backoff_base", 0.01, *more)


def snapshot(path: Path) -> tuple[bytes, int]:
    """Age the file (so a rewrite would show in its mtime) and return (bytes, mtime)."""
    old = time.time() - 1000
    os.utime(path, (old, old))
    return path.read_bytes(), path.stat().st_mtime_ns


# Input-validation cases: (expected exit code, regex the error line must match).
# All of them fail before any request, so they run concurrently against one fake.
INPUT_CASES = {
    "malformed_seed_line": (EX_DATAERR, r"seeds-malformed\.jsonl:3: not valid JSON"),
    "seed_missing_instruction": (EX_DATAERR, r"seeds-no-instruction\.jsonl:2: missing field 'instruction'"),
    "seed_missing_instances": (EX_DATAERR, r"seeds-no-instances\.jsonl:2: missing field 'instances'"),
    "empty_seed_file": (EX_DATAERR, r"seeds-empty\.jsonl: no seed tasks"),
    "no_korean_seeds": (EX_DATAERR, r"seeds-en-only\.jsonl has no seed tasks with lang 'ko'"),
    "missing_seed_file": (EX_NOINPUT, r"seed file not found: .*nope\.jsonl"),
    "unknown_lang": (EX_USAGE, r"--lang .*'fr'"),
    "num_instructions_not_a_number": (EX_USAGE, r"--num_instructions_to_generate .*'abc'"),
    "missing_api_key": (EX_USAGE, r"no API key: set OPENAI_API_KEY or pass --api_key"),
    "output_dir_is_a_file": (EX_USAGE, r"out\.txt exists and is not a directory"),
    "resume_with_other_lang": (EX_USAGE, r"was generated with --lang ko; resume it with --lang ko"),
}
# regen.json contents that cannot be resumed: left byte-for-byte as they are.
BAD_REGEN = {
    "object": b'{"instruction": "not a list"}',
    "truncated": b'[\n    {"instruction": "a", "input": "", "output": "b"},\n',
    "no_instruction": b'[{"input": "no instruction"}]',
    "not_utf8": b"\xff\xfe garbage",
    "empty": b"",
}


@pytest.fixture(scope="module")
def input_runs(tmp_path_factory, util):
    """Run every input-validation case at once; each test then checks its own."""
    root = tmp_path_factory.mktemp("bad-input")
    fake = FakeOpenAI().start()
    try:
        seeds = {
            "malformed": write_seeds(root / "seeds-malformed.jsonl", [task(1), task(2), '{"id": "t3", "instruction": ', task(4)]),
            "no-instruction": write_seeds(root / "seeds-no-instruction.jsonl", [task(1), without(task(2), "instruction"), task(3)]),
            "no-instances": write_seeds(root / "seeds-no-instances.jsonl", [task(1), without(task(2), "instances"), task(3)]),
            "empty": write_seeds(root / "seeds-empty.jsonl", ["", ""]),
            "en-only": write_seeds(root / "seeds-en-only.jsonl", [task(i) for i in range(1, 6)]),
        }
        case_args = {
            "malformed_seed_line": ("--seed_tasks_path", seeds["malformed"]),
            "seed_missing_instruction": ("--seed_tasks_path", seeds["no-instruction"]),
            "seed_missing_instances": ("--seed_tasks_path", seeds["no-instances"]),
            "empty_seed_file": ("--seed_tasks_path", seeds["empty"]),
            "no_korean_seeds": ("--seed_tasks_path", seeds["en-only"], "--lang", "ko"),
            "missing_seed_file": ("--seed_tasks_path", root / "nope.jsonl"),
            "unknown_lang": ("--lang", "fr"),
            "num_instructions_not_a_number": ("--num_instructions_to_generate", "abc"),
        }
        arg_lists, envs, dirs, files = [], [], {}, {}
        for name in INPUT_CASES:
            out = root / name
            util.write_valid_regen(out, 3)
            dirs[name] = out
            files[name] = snapshot(out / "regen.json")
            if name == "missing_api_key":
                # No OPENAI_API_KEY, no OPENAI_BASE_URL, no --base_url. A proxy on a closed
                # port makes any attempt to reach api.openai.com fail, keeping this hermetic.
                env = util.make_env(api_key=None, HTTPS_PROXY="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
                env.pop("NO_PROXY", None)
                env.pop("no_proxy", None)
                arg_lists.append(("generate", "--output_dir", out))
                envs.append(env)
            elif name == "resume_with_other_lang":
                state = {"version": 1, "records": 3, "next_request": 1, "seed": 5, "lang": "ko"}
                (out / ".alpaca-gen").mkdir()
                (out / ".alpaca-gen" / "state.json").write_text(json.dumps(state), encoding="utf-8")
                arg_lists.append(gen(fake, out, "--lang", "en", "--num_instructions_to_generate", 10))
                envs.append(None)
            elif name == "output_dir_is_a_file":
                target = root / "out.txt"
                target.write_bytes(b"precious")
                files[name] = snapshot(target)
                dirs[name] = target
                arg_lists.append(gen(fake, target, "--num_instructions_to_generate", 10))
                envs.append(None)
            else:
                arg_lists.append(gen(fake, out, *case_args[name]))
                envs.append(None)
        for name, content in BAD_REGEN.items():
            out = root / f"regen-{name}"
            out.mkdir()
            (out / "regen.json").write_bytes(content)
            dirs[f"regen-{name}"] = out
            files[f"regen-{name}"] = snapshot(out / "regen.json")
            arg_lists.append(gen(fake, out, "--num_instructions_to_generate", 10))
            envs.append(None)
        results = util.run_many(arg_lists, cwd=root, envs=envs, timeout=120)
        names = list(INPUT_CASES) + [f"regen-{n}" for n in BAD_REGEN]
        yield {
            name: {"result": result, "dir": dirs[name], "file": files[name]}
            for name, result in zip(names, results)
        }, fake
    finally:
        fake.stop()


def assert_unchanged(path: Path, snap: tuple[bytes, int]) -> None:
    assert path.read_bytes() == snap[0], f"{path} was modified"
    assert path.stat().st_mtime_ns == snap[1], f"{path} was rewritten"


@pytest.mark.parametrize("case", list(INPUT_CASES))
def test_bad_input(input_runs, util, case):
    runs, fake = input_runs
    run = runs[case]
    code, pattern = INPUT_CASES[case]
    line = util.assert_clean_error(run["result"], code)
    assert re.search(pattern, line), f"{line!r} does not match {pattern!r}"
    target = run["dir"] if case == "output_dir_is_a_file" else run["dir"] / "regen.json"
    assert_unchanged(target, run["file"])
    util.assert_no_secret(run["result"], run["dir"])
    assert util.generation_requests(fake) == [], "a request was sent for bad input"


@pytest.mark.parametrize("name", list(BAD_REGEN))
def test_regen_json_not_a_valid_list_is_left_unchanged(input_runs, util, name):
    runs, fake = input_runs
    run = runs[f"regen-{name}"]
    line = util.assert_clean_error(run["result"], EX_DATAERR)
    assert "regen.json cannot be resumed" in line and "left unchanged" in line, line
    assert_unchanged(run["dir"] / "regen.json", run["file"])
    assert sorted(p.name for p in run["dir"].iterdir()) == ["regen.json"], "files created beside a bad regen.json"
    assert util.generation_requests(fake) == []
    util.assert_no_secret(run["result"], run["dir"])


def test_misspelt_flag_is_rejected_before_anything_runs(fake, run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli(*gen(fake, out, "--num_instruction_to_generate", 5, "--seed", 1))
    assert result.returncode == EX_USAGE
    assert fake.requests == [], f"{len(fake.requests)} API requests sent for a command with a misspelt flag"
    assert not (out / "regen.json").exists()
    util.assert_clean_error(result, EX_USAGE)


# -- the server says no, or is not there ---------------------------------------------------------------


@pytest.fixture
def existing(tmp_path, util):
    """An output dir holding a valid regen.json: (dir, snapshot of regen.json)."""
    out = tmp_path / "existing"
    util.write_valid_regen(out, 3)
    return out, snapshot(out / "regen.json")


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_base_url(run_cli, util, existing):
    url = f"http://127.0.0.1:{closed_port()}/v1"
    started = time.monotonic()
    # Default backoff: the run must still give up quickly on a server that is not there.
    result = run_cli("generate", "--output_dir", existing[0], "--base_url", url, "--num_instructions_to_generate", 10,
                     timeout=30)
    elapsed = time.monotonic() - started
    line = util.assert_clean_error(result, EX_UNAVAILABLE)
    assert elapsed < 15, f"took {elapsed:.1f}s to give up on a closed port"
    assert url in line or "127.0.0.1" in line, line
    assert_unchanged(existing[0] / "regen.json", existing[1])
    util.assert_no_secret(result, existing[0])


def test_http_401_bad_key(fake, run_cli, util, existing):
    fake.enqueue(*[Error(401) for _ in range(12)])
    result = run_cli(*gen(fake, existing[0], "--num_instructions_to_generate", 10))
    line = util.assert_clean_error(result, EX_NOPERM)
    assert "401" in line and "key" in line.lower()
    assert_unchanged(existing[0] / "regen.json", existing[1])
    util.assert_no_secret(result, existing[0])
    assert 1 <= len(util.generation_requests(fake)) <= 4  # refused at once: no retries


def test_http_401_key_from_flag_is_never_shown(fake, run_cli, util, existing, secret):
    flag_key = "sk-test-FLAGKEY-zz9988"
    fake.enqueue(*[Error(401, body={"error": {"message": f"Incorrect API key provided: {flag_key}.",
                                              "type": "invalid_request_error", "code": "invalid_api_key"}})
                   for _ in range(12)])
    result = run_cli(*gen(fake, existing[0], "--num_instructions_to_generate", 10, f"--api_key={flag_key}"))
    util.assert_clean_error(result, EX_NOPERM)
    assert fake.requests and fake.requests[0]["headers"]["authorization"] == f"Bearer {flag_key}"
    util.assert_no_secret(result, existing[0], secret=flag_key)
    util.assert_no_secret(result, existing[0], secret=secret)


# -- output directory in use ----------------------------------------------------------------------


def test_second_run_on_same_output_dir_is_refused(make_fake, run_cli, start_cli, tmp_path, util):
    slow = make_fake(latency=6)  # no commit can happen while the second run is refused
    out = tmp_path / "out"
    # One request in flight at a time, so any later request would be the refused run's.
    first = start_cli(*gen(slow, out, "--num_instructions_to_generate", 1000, "--seed", 1, "--concurrency", 1))
    util.wait_for(lambda: util.generation_requests(slow) or first.poll() is not None, timeout=20,
                  what="the first run to send a request")
    assert first.poll() is None, first.result().stderr
    sent_before = len(slow.requests)
    files_before = {p: p.read_bytes() for p in util.files_under(out)}
    second = run_cli(*gen(slow, out, "--num_instructions_to_generate", 1000, "--seed", 1))
    line = util.assert_clean_error(second, EX_TEMPFAIL)
    assert "in use" in line and str(first.pid) in line, line
    # The refused run sent nothing and touched nothing: the first run's files are as they were
    # (its slow requests keep it from committing meanwhile), the lock still names the first run.
    assert len(slow.requests) == sent_before
    assert {p: p.read_bytes() for p in util.files_under(out)} == files_before
    assert (out / ".alpaca-gen" / "lock").read_text().strip() == str(first.pid)
    first.send_signal(signal.SIGTERM)
    done = first.wait(timeout=20)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    util.assert_no_secret(second, out)
    util.assert_no_secret(done, out)
