"""Shared fixtures for the CLI tests: a fake OpenAI server and a way to run the CLI.

Every CLI test runs ``python -m alpaca_gen ...`` as a real subprocess, with the
real ``openai`` client inside it talking HTTP to :class:`FakeOpenAI` on
127.0.0.1. Nothing in the package is monkeypatched.

Fixtures
--------
``fake``        a started FakeOpenAI (default responder, no latency).
``make_fake``   ``make_fake(latency=..., ...)`` -> another started FakeOpenAI.
``run_cli``     ``run_cli(*args, env=None, timeout=60, cwd=None)`` ->
                ``subprocess.CompletedProcess`` (text, cwd = tmp_path).
``run_cli_many`` ``run_cli_many([args, args, ...], env=None, timeout=60)`` runs
                independent invocations concurrently (to save wall time) and
                returns their CompletedProcess objects in order.
``start_cli``   the same as ``run_cli``, but returns a :class:`CliProcess` running in the
                background (for signals, kills and concurrent runs).
``cli_env``     ``cli_env(api_key=SECRET, **extra)`` -> the environment the
                CLI runs with (OPENAI_* and proxies removed, repo on PYTHONPATH).
``util``        helpers: secret checks, reading regen.json / summary.json, the
                fake's generation requests.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTS = Path(__file__).resolve().parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
try:
    from tests.fakeserver import FakeOpenAI
except ImportError:  # tests/ is not a package under some import modes
    sys.path.insert(0, str(TESTS))
    from fakeserver import FakeOpenAI

#: The API key every run gets; it must never show up in output or on disk.
SECRET = "sk-test-SECRET-abc123"
GENERATION_PATHS = ("/v1/completions", "/v1/chat/completions")
SEED_FILE = REPO / "seed_tasks.jsonl"

_DROP_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_ORGANIZATION", "OPENAI_PROJECT_ID",
             "ALPACA_GEN_DEBUG", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
             "all_proxy")


def make_env(api_key: str | None = SECRET, **extra: str) -> dict[str, str]:
    """The CLI's environment: hermetic, the repo importable without installation."""
    env = {k: v for k, v in os.environ.items() if k not in _DROP_ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    if api_key is not None:
        env["OPENAI_API_KEY"] = api_key
    env.update(extra)
    return env


def _command(args) -> list[str]:
    return [sys.executable, "-m", "alpaca_gen", *[str(a) for a in args]]


class CliProcess:
    """A CLI run in the background; output goes to files so pipes never fill up."""

    def __init__(self, args, env, cwd: Path, tag: str):
        self.args = list(args)
        self.cwd = Path(cwd)
        self._out_path = self.cwd / f".cli-{tag}.stdout"
        self._err_path = self.cwd / f".cli-{tag}.stderr"
        self._out = open(self._out_path, "wb")
        self._err = open(self._err_path, "wb")
        self.proc = subprocess.Popen(_command(args), cwd=cwd, env=env, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL)
        self.started = time.monotonic()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def poll(self):
        return self.proc.poll()

    def send_signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def kill(self) -> None:
        """SIGKILL, then reap."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def wait(self, timeout: float = 60) -> subprocess.CompletedProcess:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return self.result(code)

    def result(self, code=None) -> subprocess.CompletedProcess:
        self._out.flush()
        self._err.flush()
        out = self._out_path.read_bytes().decode("utf-8", "replace")
        err = self._err_path.read_bytes().decode("utf-8", "replace")
        return subprocess.CompletedProcess(_command(self.args), self.proc.returncode if code is None else code, out, err)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        self._out.close()
        self._err.close()


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def secret() -> str:
    return SECRET


@pytest.fixture
def cli_env():
    return make_env


@pytest.fixture
def make_fake():
    started: list[FakeOpenAI] = []

    def factory(**kwargs) -> FakeOpenAI:
        fake = FakeOpenAI(**kwargs).start()
        started.append(fake)
        return fake

    yield factory
    for fake in started:
        fake.stop()


@pytest.fixture
def fake(make_fake) -> FakeOpenAI:
    return make_fake()


@pytest.fixture
def run_cli(tmp_path):
    def run(*args, env: dict | None = None, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            _command(args), cwd=cwd or tmp_path, env=make_env() if env is None else env,
            capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, encoding="utf-8", errors="replace",
        )

    return run


@pytest.fixture
def run_cli_many(tmp_path):
    def run_many(arg_lists, env: dict | None = None, timeout: float = 60, cwd: Path | None = None):
        return run_cli_concurrently(arg_lists, cwd=cwd or tmp_path, env=env, timeout=timeout)

    return run_many


@pytest.fixture
def start_cli(tmp_path):
    procs: list[CliProcess] = []

    def start(*args, env: dict | None = None, cwd: Path | None = None) -> CliProcess:
        proc = CliProcess(args, make_env() if env is None else env, cwd or tmp_path, f"{os.getpid()}-{len(procs)}")
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.close()


# -- helpers (through the ``util`` fixture) -------------------------------------------------------


def run_cli_concurrently(arg_lists, *, cwd: Path, env: dict | None = None, envs: list | None = None,
                         timeout: float = 60) -> list[subprocess.CompletedProcess]:
    """Run independent CLI invocations at the same time; results in the order given.

    ``envs`` (one per invocation, None meaning the default) overrides ``env``.
    """
    envs = list(envs) if envs is not None else [None] * len(arg_lists)
    procs = []
    try:
        for args, one_env in zip(arg_lists, envs):
            chosen = one_env if one_env is not None else (env if env is not None else make_env())
            procs.append(subprocess.Popen(_command(args), cwd=cwd, env=chosen, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL))
        results = []
        for args, proc in zip(arg_lists, procs):
            out, err = proc.communicate(timeout=timeout)
            results.append(subprocess.CompletedProcess(
                _command(args), proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace")))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()



def generation_requests(fake: FakeOpenAI) -> list[dict]:
    """The requests the fake logged on the two generation endpoints."""
    return [r for r in list(fake.requests) if r["path"] in GENERATION_PATHS]


def assert_every_request_counted(usage: dict, fake: FakeOpenAI) -> None:
    """Each request the server logged is in the summary: answered (``api_calls``, cut-short rounds
    included) or cancelled on its way (``abandoned_calls``). A request cancelled before its body
    reached the server is counted as abandoned but never logged, hence a range, not an equality."""
    logged = len(generation_requests(fake))
    assert usage["api_calls"] <= logged <= usage["api_calls"] + usage["abandoned_calls"], (usage, logged)


def files_under(directory: Path) -> list[Path]:
    directory = Path(directory)
    if not directory.exists():
        return []
    if directory.is_file():
        return [directory]
    return [p for p in directory.rglob("*") if p.is_file()]


def assert_no_secret(result: subprocess.CompletedProcess | None = None, *dirs: Path, secret: str = SECRET) -> None:
    """The key is in neither stdout nor stderr nor any file under ``dirs``."""
    if result is not None:
        assert secret not in (result.stdout or ""), "API key printed on stdout"
        assert secret not in (result.stderr or ""), "API key printed on stderr"
    needle = secret.encode()
    for directory in dirs:
        for path in files_under(directory):
            assert needle not in path.read_bytes(), f"API key written to {path}"


def assert_clean_error(result: subprocess.CompletedProcess, code: int) -> str:
    """Bad input: non-zero ``code``, one ``alpaca-gen: error:`` line on stderr, no traceback."""
    assert result.returncode == code, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("alpaca-gen: error:")]
    assert len(errors) == 1, result.stderr
    assert lines[-1] == errors[0], f"the error is not the last line of stderr: {result.stderr!r}"
    assert "internal error" not in result.stderr
    return errors[0]


def load_regen(output_dir: Path):
    """regen.json as a list, or None if it does not exist (it must be valid JSON if it does)."""
    path = Path(output_dir) / "regen.json"
    if not path.exists():
        return None
    data = json.loads(path.read_bytes().decode("utf-8"))
    assert isinstance(data, list), f"regen.json holds a {type(data).__name__}"
    return data


def load_summary(output_dir: Path) -> dict:
    return json.loads((Path(output_dir) / "summary.json").read_text(encoding="utf-8"))


def seed_tasks() -> dict[str, dict]:
    out = {}
    for line in SEED_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip():
            obj = json.loads(line)
            out[str(obj["id"])] = obj
    return out


def hangul_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if "\uac00" <= ch <= "\ud7a3") / len(letters)


def write_valid_regen(output_dir: Path, n: int = 2, lang: str = "en") -> bytes:
    """A small hand-made regen.json in Stanford's layout; returns its bytes."""
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    records = [
        {"instruction": f"Describe hand-made example number {i} in two sentences.", "input": "", "output": f"Example {i}."}
        for i in range(n)
    ]
    data = json.dumps(records, indent=4, ensure_ascii=False).encode("utf-8")
    (output_dir / "regen.json").write_bytes(data)
    return data


def wait_for(predicate, timeout: float = 20, interval: float = 0.02, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="session")
def util():
    return SimpleNamespace(
        run_many=run_cli_concurrently,
        SECRET=SECRET, REPO=REPO, SEED_FILE=SEED_FILE, GENERATION_PATHS=GENERATION_PATHS,
        generation_requests=generation_requests, assert_no_secret=assert_no_secret,
        assert_every_request_counted=assert_every_request_counted,
        assert_clean_error=assert_clean_error, load_regen=load_regen, load_summary=load_summary,
        seed_tasks=seed_tasks, hangul_share=hangul_share, write_valid_regen=write_valid_regen,
        wait_for=wait_for, files_under=files_under, make_env=make_env,
    )
