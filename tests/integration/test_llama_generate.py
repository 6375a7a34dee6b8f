"""``alpaca-gen generate`` end to end against a real llama.cpp server (SmolLM2-135M).

The CLI runs as a subprocess (``python -m alpaca_gen``) and talks to the
``llama_server`` fixture through a small recording reverse proxy defined here,
so the test sees every request and every response body and can check that the
run's summary.json accounts for exactly what went over the wire:

* ``this_run.prompt_tokens`` / ``completion_tokens`` are the sums of ``usage``
  over the successful generation responses;
* ``this_run.api_calls`` is the number of generation requests sent (the list
  request that llama.cpp fails with an empty HTTP 500 counts as one call, see
  ``RequestClient.answer``);
* the funnel adds up stage by stage, and its ``completions`` and ``parse``
  stages match a re-parse of the response bodies the proxy saw (completions
  answered, empty ones, ones with no task; task blocks, tasks, and the parse
  drops ``truncated``, ``malformed``, ``empty_instruction``, ``empty_output``).

The 135M model writes poor tasks, so nothing here asserts quality, and
regen.json may well be short or empty.

Time: the server answers one request at a time; a ~700-token prompt plus a
300-token completion took ~10-12 s on a loaded 2-core machine (load ~8).  The
chat run sends 4 requests (~45 s there).  The completions run sends 4 rounds of 2
prompts: the first list request fails (llama.cpp takes no list prompts) and
alpaca-gen falls back to single requests, about 10 requests in all (~100 s
there; much less on an idle machine).
"""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from alpaca_gen.filters import REASONS as FIELD_REASON_LIST  # noqa: E402
from alpaca_gen.quality import REASONS as QUALITY_REASONS  # noqa: E402
from alpaca_gen.parse import parse_completion  # noqa: E402

GENERATION_PATHS = ("/v1/completions", "/v1/chat/completions")
NUM_PROMPT_INSTRUCTIONS = 3  # the CLI default; the completions prompt ends at "4. Instruction:"
MAX_REQUESTS = 4
BATCH = 2
#: Drops counted per candidate task, after parsing (see Generator._commit_round).
FIELD_REASONS = set(FIELD_REASON_LIST)
#: Drops counted while parsing a choice, before any candidate exists (see parse.parse_completion).
FALLBACK_WARNING = "the server failed a list-prompt request; sending one prompt per request from now on"

_HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authenticate", "proxy-authorization", "host", "content-length", "accept-encoding"}


# -- the recording reverse proxy -----------------------------------------------------------------


class RecordingProxy:
    """Forwards every request to ``upstream`` (a base URL) and records each exchange.

    ``exchanges`` holds dicts: method, path, request (parsed JSON or None), status,
    response (parsed JSON, else the raw text), started, ended (time.monotonic()).
    Each response is sent with ``Connection: close``; the proxy reads it whole
    first, which is fine because alpaca-gen never streams.
    """

    def __init__(self, upstream: str):
        parts = urllib.parse.urlsplit(upstream)
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.base_path = parts.path.rstrip("/")  # "/v1"
        self.exchanges: list[dict] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                proxy._forward(self)

            def do_POST(self):  # noqa: N802
                proxy._forward(self)

            def log_message(self, *args):  # keep pytest output clean
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="recording-proxy", daemon=True)

    @property
    def base_url(self) -> str:
        return "http://127.0.0.1:%d%s" % (self._server.server_address[1], self.base_path)

    def start(self) -> "RecordingProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        record = {"method": handler.command, "path": urllib.parse.urlsplit(handler.path).path,
                  "request": _json_or_none(body), "started": time.monotonic()}
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=600)
        try:
            conn.request(handler.command, handler.path, body=body or None, headers=headers)
            upstream = conn.getresponse()
            status, reason = upstream.status, upstream.reason
            data = upstream.read()
            reply_headers = [(k, v) for k, v in upstream.getheaders() if k.lower() not in _HOP_BY_HOP]
        except OSError as exc:
            status, reason, data = 502, "Bad Gateway", json.dumps({"error": {"message": "proxy: %r" % exc}}).encode()
            reply_headers = [("Content-Type", "application/json")]
        finally:
            conn.close()
        record.update(status=status, ended=time.monotonic())
        parsed = _json_or_none(data)
        record["response"] = parsed if parsed is not None else data.decode("utf-8", "replace")
        with self._lock:
            self.exchanges.append(record)
        try:
            handler.send_response(status, reason)
            for key, value in reply_headers:
                handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.send_header("Connection", "close")
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:
            pass  # the client went away; the exchange is recorded anyway
        handler.close_connection = True

    def generation_exchanges(self) -> list[dict]:
        with self._lock:
            return [e for e in self.exchanges if e["method"] == "POST" and e["path"] in GENERATION_PATHS]


def _json_or_none(data: bytes):
    try:
        return json.loads(data.decode("utf-8")) if data else None
    except (UnicodeDecodeError, ValueError):
        return None


@pytest.fixture
def recording_proxy(llama_server):
    proxy = RecordingProxy(llama_server.base_url).start()
    yield proxy
    proxy.stop()


# -- helpers -----------------------------------------------------------------------------------------


def cli_env() -> dict:
    """No API key (a local server needs none), no proxies, the repo importable uninstalled."""
    drop = {"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_ORGANIZATION", "OPENAI_PROJECT_ID",
            "ALPACA_GEN_DEBUG", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def choice_text(api: str, choice: dict):
    if api == "chat":
        return (choice.get("message") or {}).get("content")
    return choice.get("text")


def describe(result: subprocess.CompletedProcess, exchanges: list[dict]) -> str:
    calls = ["%s %s -> %s (%.1fs)" % (e["method"], e["path"], e["status"], e["ended"] - e["started"]) for e in exchanges]
    return "exit %s\n--- stdout\n%s\n--- stderr\n%s\n--- requests\n%s" % (
        result.returncode, result.stdout[-3000:], result.stderr[-3000:], "\n".join(calls))


# -- the test ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("api", [
    pytest.param("completions"),
    "chat",
])
def test_generate_against_llama_server(api, llama_server, recording_proxy, tmp_path):
    out = tmp_path / "out"
    cmd = [
        sys.executable, "-m", "alpaca_gen", "generate",
        "--base_url", recording_proxy.base_url, "--model_name", llama_server.model_name, "--api", api,
        "--output_dir", str(out), "--num_instructions_to_generate", "40", "--request_batch_size", str(BATCH),
        "--max_requests", str(MAX_REQUESTS), "--max_tokens", "300", "--concurrency", "2", "--seed", "7",
        "--temperature", "0.7",
    ]
    started = time.monotonic()
    result = subprocess.run(cmd, cwd=tmp_path, env=cli_env(), capture_output=True, encoding="utf-8",
                            errors="replace", stdin=subprocess.DEVNULL, timeout=400)
    elapsed = time.monotonic() - started
    exchanges = recording_proxy.generation_exchanges()
    why = describe(result, exchanges)
    print("%s run: %.1fs, %d generation requests" % (api, elapsed, len(exchanges)))

    assert result.returncode == 0, why
    assert "Traceback" not in result.stderr, why
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    run = summary["this_run"]
    assert summary["api"] == api and summary["model"] == llama_server.model_name
    assert "max_requests" in summary["stopped_because"] or "target" in summary["stopped_because"], summary

    # -- what went over the wire --------------------------------------------------------------------
    path = "/v1/chat/completions" if api == "chat" else "/v1/completions"
    assert exchanges and all(e["path"] == path for e in exchanges), why
    for e in exchanges:
        assert e["request"]["model"] == llama_server.model_name
        assert e["request"]["max_tokens"] == 300 and e["request"]["temperature"] == 0.7
    ok = [e for e in exchanges if e["status"] == 200]
    failed = [e for e in exchanges if e["status"] != 200]
    if api == "completions":
        # llama.cpp fails a list prompt with an empty HTTP 500; alpaca-gen falls back to single prompts.
        list_requests = [e for e in exchanges if isinstance(e["request"]["prompt"], list)]
        assert list_requests, "expected alpaca-gen to try a list prompt first\n" + why
        assert all(e["status"] == 500 for e in list_requests), why
        assert failed == list_requests, "only the list requests may fail\n" + why
        assert FALLBACK_WARNING in result.stderr, why
        assert all(isinstance(e["request"]["prompt"], str) for e in ok), why
        # Each round of BATCH prompts ends up as BATCH single requests.
        assert len(ok) == run["rounds"] * BATCH, why
    else:
        assert not failed, why
        assert all(isinstance(e["request"]["messages"], list) and len(e["request"]["messages"]) == 1 for e in ok)
        assert len(exchanges) == MAX_REQUESTS, why  # chat: --max_requests counts each call
    if api == "chat":
        assert run["rounds"] == MAX_REQUESTS // BATCH or "target" in summary["stopped_because"], why
    else:
        # The failed list requests count as one call each; after the fallback every prompt is a call.
        assert run["api_calls"] == len(exchanges), why

    # -- accounting: summary.json vs the wire ---------------------------------------------------------
    usage = [e["response"].get("usage") or {} for e in ok]
    assert run["prompt_tokens"] == sum(u.get("prompt_tokens", 0) for u in usage), why
    assert run["completion_tokens"] == sum(u.get("completion_tokens", 0) for u in usage), why
    assert run["prompt_tokens"] > 0 and run["completion_tokens"] > 0
    assert run["retries"] == 0, why
    assert run["api_calls"] == len(exchanges), (
        "api_calls %d but %d generation requests went out (%d failed)\n%s" % (run["api_calls"], len(exchanges), len(failed), why))

    # -- the funnel: every stage adds up, and matches a re-parse of what went over the wire ----------------
    funnel = {stage["stage"]: stage for stage in run["funnel"]}
    for stage in run["funnel"]:
        assert stage["in"] == stage["out"] + sum(stage["dropped"].values()), stage
    for before, after in zip(run["funnel"][1:], run["funnel"][2:]):
        assert after["in"] == before["out"], (before, after)
    assert set(funnel["fields"]["dropped"]) <= FIELD_REASONS, funnel["fields"]
    assert set(funnel["quality"]["dropped"]) <= set(QUALITY_REASONS), funnel["quality"]
    assert run["kept"] == funnel["target"]["out"] and run["candidates"] == funnel["parse"]["out"]

    next_number = NUM_PROMPT_INSTRUCTIONS + 1 if api == "completions" else None
    blocks, candidates, parse_drops, empty, no_tasks = 0, 0, {}, 0, 0
    for e in ok:
        choices = e["response"].get("choices") or []
        assert len(choices) == 1, why  # one prompt per request
        text = choice_text(api, choices[0])
        if not isinstance(text, str) or not text.strip():
            empty += 1
            continue
        parsed = parse_completion(text, choices[0].get("finish_reason"), next_number=next_number)
        no_tasks += not parsed.blocks
        blocks += parsed.blocks
        candidates += len(parsed.tasks)
        for reason, count in parsed.dropped.items():
            parse_drops[reason] = parse_drops.get(reason, 0) + count
    assert funnel["completions"]["in"] == len(ok), (funnel["completions"], len(ok))
    assert funnel["completions"]["dropped"].get("empty_completion", 0) == empty
    assert funnel["completions"]["dropped"].get("no_tasks_in_completion", 0) == no_tasks
    assert funnel["parse"]["in"] == blocks and funnel["parse"]["out"] == candidates, (funnel["parse"], blocks, candidates)
    assert funnel["parse"]["dropped"] == parse_drops, (funnel["parse"], parse_drops)

    # -- regen.json ----------------------------------------------------------------------------------------
    records = json.loads((out / "regen.json").read_text(encoding="utf-8"))
    assert isinstance(records, list)
    assert len(records) == run["kept"] == summary["records_in_file"] <= 40
    for record in records:
        for key in ("instruction", "input", "output", "provenance"):
            assert key in record, record
        assert isinstance(record["instruction"], str) and record["instruction"].strip()
        prov = record["provenance"]
        assert prov["api"] == api and prov["lang"] == "en" and prov["model"] == llama_server.model_name
        assert 0 <= prov["request"] < run["rounds"] and 0 <= prov["prompt"] < BATCH
        assert len(prov["seed_task_ids"]) == NUM_PROMPT_INSTRUCTIONS
