"""The Files and Batch APIs of the fake OpenAI server (stdlib only).

Enough of ``/v1/files`` and ``/v1/batches`` for the real ``openai`` client to run a
batch job end to end over HTTP:

* ``POST /v1/files`` (multipart: ``purpose``, ``file``), ``GET /v1/files/{id}``,
  ``GET /v1/files/{id}/content``;
* ``POST /v1/batches``, ``GET /v1/batches/{id}``, ``POST /v1/batches/{id}/cancel``,
  ``GET /v1/batches``.

A batch moves one status per ``polls_per_status`` retrieves: validating ->
in_progress -> finalizing -> completed. The input file is validated as OpenAI does
(JSON lines with a unique ``custom_id``, ``method`` POST, ``url`` = the batch's
endpoint, one model); a bad file fails the batch with ``errors``. Each line is
answered by the fake's own generation logic (its responder, not its scripted
queue), and the output file lists the lines in an order that is not the input's,
so a client must join on ``custom_id``. Modes (:class:`BatchMode`): ``failed``,
``expired`` after some lines (the rest ``batch_expired`` in the error file),
error lines (every k-th line a 500 in the error file), slow polls.
"""
from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

_STEPS = ("validating", "in_progress", "finalizing")
ENDPOINTS = ("/v1/completions", "/v1/chat/completions")


@dataclass
class BatchMode:
    polls_per_status: int = 1
    outcome: str = "completed"  # completed, failed or expired
    expire_after: int = 0  # expired: lines answered before the window closed
    error_every: int = 0  # every k-th input line (1-based) errors (0: none)
    upload_delay: float = 0.0  # seconds between storing an upload and answering (a kill lands in between)
    create_delay: float = 0.0  # seconds between creating a batch and answering
    first_only: bool = False  # expiry and error lines only in the first batch created (the rest complete)


@dataclass
class _Batch:
    obj: dict
    lines: list[dict] = field(default_factory=list)
    polls: int = 0
    cancel_requested: bool = False


def _now() -> int:
    return int(time.time())


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:24]}"


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart body: name -> (file name or None, bytes)."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + raw)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


class FakeBatches:
    """State and handlers of the Files and Batch APIs; ``answer(url, body)`` answers one line."""

    def __init__(self, answer: Callable[[str, dict], tuple[int, dict]]):
        self._answer = answer
        self.mode = BatchMode()
        self.files: dict[str, dict] = {}  # id -> {"obj": file object, "data": bytes}
        self.batches: dict[str, _Batch] = {}
        self.created: list[dict] = []  # every batch created: {"id", "input_file_id", "endpoint", "requests"}
        self.uploads: list[str] = []
        self._lock = threading.RLock()  # _advance stores the output files while holding it

    # -- HTTP ------------------------------------------------------------------
    def handle(self, h, method: str, path: str, body: Any, raw: bytes) -> bool:
        """Answer the request if it is a Files or Batch API call; False otherwise."""
        parts = path.strip("/").split("/")  # v1, files|batches, id?, content|cancel?
        if len(parts) < 2 or parts[1] not in ("files", "batches"):
            return False
        kind, rest = parts[1], parts[2:]
        if kind == "files" and method == "POST" and not rest:
            self._upload(h, raw)
        elif kind == "files" and method == "GET" and len(rest) == 1:
            self._send_found(h, self.files.get(rest[0], {}).get("obj"), "file", rest[0])
        elif kind == "files" and method == "GET" and len(rest) == 2 and rest[1] == "content":
            entry = self.files.get(rest[0])
            if entry is None:
                self._send_found(h, None, "file", rest[0])
            else:
                h.send(200, entry["data"], "application/octet-stream")
        elif kind == "batches" and method == "POST" and not rest:
            self._create(h, body)
        elif kind == "batches" and method == "GET" and not rest:
            with self._lock:
                data = [b.obj for b in self.batches.values()]
            h.send_json(200, {"object": "list", "data": data, "has_more": False,
                              "first_id": data[0]["id"] if data else None, "last_id": data[-1]["id"] if data else None})
        elif kind == "batches" and method == "GET" and len(rest) == 1:
            self._retrieve(h, rest[0])
        elif kind == "batches" and method == "POST" and len(rest) == 2 and rest[1] == "cancel":
            self._cancel(h, rest[0])
        else:
            h.send_json(404, _error(f"Invalid URL ({method} {path})", "invalid_request_error"))
        return True

    @staticmethod
    def _send_found(h, obj: dict | None, what: str, ident: str) -> None:
        if obj is None:
            h.send_json(404, _error(f"No such {what}: {ident}", "invalid_request_error", "not_found"))
        else:
            h.send_json(200, obj)

    def _upload(self, h, raw: bytes) -> None:
        content_type = h.headers.get("Content-Type") or ""
        if "multipart/form-data" not in content_type:
            return h.send_json(400, _error("Expected a multipart/form-data body", "invalid_request_error"))
        fields = parse_multipart(content_type, raw)
        purpose = fields.get("purpose", (None, b""))[1].decode("utf-8", "replace")
        name, data = fields.get("file", (None, None))
        if data is None:
            return h.send_json(400, _error("'file' is a required property", "invalid_request_error"))
        if purpose not in ("batch", "fine-tune", "assistants", "user_data"):
            return h.send_json(400, _error(f"Invalid purpose {purpose!r}", "invalid_request_error"))
        obj = self._store_file(data, name or "upload.jsonl", purpose)
        self.uploads.append(obj["id"])
        time.sleep(self.mode.upload_delay)
        h.send_json(200, obj)

    def _store_file(self, data: bytes, name: str, purpose: str) -> dict:
        obj = {"id": _new_id("file"), "object": "file", "bytes": len(data), "created_at": _now(),
               "filename": name, "purpose": purpose, "status": "processed", "expires_at": None}
        with self._lock:
            self.files[obj["id"]] = {"obj": obj, "data": data}
        return obj

    def _create(self, h, body: Any) -> None:
        if not isinstance(body, dict):
            return h.send_json(400, _error("Invalid JSON body", "invalid_request_error"))
        file_id, endpoint = body.get("input_file_id"), body.get("endpoint")
        if body.get("completion_window") != "24h":
            return h.send_json(400, _error("completion_window must be '24h'", "invalid_request_error"))
        if endpoint not in ENDPOINTS:
            return h.send_json(400, _error(f"Unsupported endpoint {endpoint!r}", "invalid_request_error"))
        entry = self.files.get(file_id)
        if entry is None or entry["obj"]["purpose"] != "batch":
            return h.send_json(400, _error(f"Invalid input_file_id {file_id!r}", "invalid_request_error"))
        lines, problems = _validate(entry["data"], endpoint)
        obj = {
            "id": _new_id("batch"), "object": "batch", "endpoint": endpoint, "errors": None,
            "input_file_id": file_id, "completion_window": "24h", "status": "validating",
            "output_file_id": None, "error_file_id": None, "created_at": _now(), "in_progress_at": None,
            "expires_at": _now() + 86400, "finalizing_at": None, "completed_at": None, "failed_at": None,
            "expired_at": None, "cancelling_at": None, "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0}, "metadata": body.get("metadata"),
        }
        batch = _Batch(obj, lines)
        if problems or self.mode.outcome == "failed":
            batch.obj["_problems"] = problems or [{"code": "invalid_request", "line": 1,
                                                   "message": "This batch failed (fake server mode)", "param": None}]
        with self._lock:
            self.batches[obj["id"]] = batch
            self.created.append({"id": obj["id"], "input_file_id": file_id, "endpoint": endpoint,
                                 "requests": len(lines)})
        time.sleep(self.mode.create_delay)
        h.send_json(200, _public(obj))

    def _retrieve(self, h, batch_id: str) -> None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is not None:
                self._advance(batch)
        self._send_found(h, _public(batch.obj) if batch else None, "batch", batch_id)

    def _cancel(self, h, batch_id: str) -> None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is not None and batch.obj["status"] in ("validating", "in_progress", "finalizing"):
                batch.cancel_requested = True
                batch.obj.update(status="cancelling", cancelling_at=_now())
        self._send_found(h, _public(batch.obj) if batch else None, "batch", batch_id)

    # -- the job -----------------------------------------------------------------
    def _advance(self, batch: _Batch) -> None:
        """One retrieve's worth of progress (called under the lock)."""
        obj = batch.obj
        if obj["status"] in ("completed", "failed", "expired", "cancelled"):
            return
        if obj["status"] == "cancelling":
            obj.update(status="cancelled", cancelled_at=_now())
            return
        batch.polls += 1
        step = batch.polls // max(1, self.mode.polls_per_status)
        if step == 0:
            return
        if obj.get("_problems"):
            obj.update(status="failed", failed_at=_now(),
                       errors={"object": "list", "data": obj.pop("_problems")})
            return
        if step < len(_STEPS):
            obj["status"] = _STEPS[step]
            obj["request_counts"]["total"] = len(batch.lines)
            obj.setdefault("in_progress_at", None)
            obj["in_progress_at"] = obj["in_progress_at"] or _now()
            if _STEPS[step] == "finalizing":
                obj["finalizing_at"] = _now()
            return
        self._finish(batch)

    def _finish(self, batch: _Batch) -> None:
        mode, obj = self.mode, batch.obj
        if mode.first_only and self.created and self.created[0]["id"] != obj["id"]:
            mode = BatchMode()
        outputs, errors = [], []
        for number, line in enumerate(batch.lines, 1):
            rid = _new_id("req")
            if mode.outcome == "expired" and number > mode.expire_after:
                errors.append({"id": _new_id("batch_req"), "custom_id": line["custom_id"], "response": None,
                               "error": {"code": "batch_expired",
                                         "message": "This request could not be executed before the completion window expired."}})
                continue
            if mode.error_every and number % mode.error_every == 0:
                errors.append({"id": _new_id("batch_req"), "custom_id": line["custom_id"],
                               "response": {"status_code": 500, "request_id": rid,
                                            "body": _error("The server had an error processing your request.", "server_error")},
                               "error": None})
                continue
            status, body = self._answer(line["url"], line["body"])
            target = outputs if status == 200 else errors
            target.append({"id": _new_id("batch_req"), "custom_id": line["custom_id"],
                           "response": {"status_code": status, "request_id": rid, "body": body}, "error": None})
        outputs.reverse()  # not the input order: clients must join on custom_id
        done = "expired" if mode.outcome == "expired" else "completed"
        obj.update(status=done, request_counts={"total": len(batch.lines), "completed": len(outputs),
                                                "failed": len(errors)})
        obj["completed_at" if done == "completed" else "expired_at"] = _now()
        if outputs:
            obj["output_file_id"] = self._store_file(_jsonl(outputs), f"{obj['id']}_output.jsonl", "batch_output")["id"]
        if errors:
            obj["error_file_id"] = self._store_file(_jsonl(errors), f"{obj['id']}_error.jsonl", "batch_output")["id"]


def _jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def _public(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if not k.startswith("_")}


def _error(message: str, type_: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


def _validate(data: bytes, endpoint: str) -> tuple[list[dict], list[dict]]:
    """The input file's requests, and its problems in OpenAI's ``errors.data`` shape."""
    lines: list[dict] = []
    problems: list[dict] = []
    seen: set[str] = set()
    models: set[str] = set()
    for number, text in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except ValueError:
            problems.append({"code": "invalid_json_line", "line": number, "message": "Line is not valid JSON.", "param": None})
            continue
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        body = line.get("body") if isinstance(line, dict) else None
        if not isinstance(custom_id, str) or custom_id in seen:
            problems.append({"code": "duplicate_custom_id" if custom_id in seen else "missing_required_parameter",
                             "line": number, "message": "custom_id must be a unique string.", "param": "custom_id"})
            continue
        if line.get("method") != "POST" or line.get("url") != endpoint or not isinstance(body, dict):
            problems.append({"code": "invalid_request", "line": number,
                             "message": f"method must be POST and url {endpoint}, with a body.", "param": "url"})
            continue
        seen.add(custom_id)
        models.add(str(body.get("model")))
        lines.append(line)
    if len(models) > 1:
        problems.append({"code": "mismatched_model", "line": None, "message": "One model per batch file.", "param": "model"})
    if not lines and not problems:
        problems.append({"code": "empty_file", "line": None, "message": "The input file has no requests.", "param": None})
    return lines, problems
