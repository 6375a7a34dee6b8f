"""``eval annotate A.jsonl B.jsonl --annotator NAME``: blind pairwise judging by people, in a local page.

A small HTTP server on 127.0.0.1 serves one page (no external request: its
Content-Security-Policy allows only itself) and a JSON API. The page shows the
instruction and input and the two answers side by side, left and right as
:mod:`.votes` decides per item; it never receives the model names or which side is
which until every item has a vote and the summary is asked for. Each vote is saved
before the page moves on; reload and the next unvoted item comes back.
"""
from __future__ import annotations

import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

from ..errors import UsageError
from .judge import AnswerPair, answer_length, pair_answers, read_answers
from .votes import CHOICES, VotesFile, left_is_a

_PAGE_FILES = {"/": ("annotate.html", "text/html; charset=utf-8"),
               "/annotate.js": ("annotate.js", "text/javascript; charset=utf-8"),
               "/annotate.css": ("annotate.css", "text/css; charset=utf-8")}
CSP = "default-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'"


def _page_file(name: str) -> bytes:
    return resources.files("alpaca_gen.eval").joinpath("page", name).read_bytes()


class AnnotationSession:
    """The items, one annotator's votes, and what the page may see."""

    def __init__(self, pairs: list[AnswerPair], votes: VotesFile):
        self.pairs = pairs
        self.votes = votes
        self.by_id = {pair.id: pair for pair in pairs}
        self.lock = threading.Lock()

    def state(self) -> dict:
        """The next item to vote on, as the page shows it: no model name, no side mapping."""
        with self.lock:
            voted = self.votes.voted()
            total, done = len(self.pairs), sum(1 for p in self.pairs if p.id in voted)
            nxt = next((p for p in self.pairs if p.id not in voted), None)
            out = {"annotator": self.votes.annotator, "done": done, "total": total, "can_undo": bool(self.votes.standing),
                   "item": None}
            if nxt is not None:
                a_left = left_is_a(self.votes.annotator, nxt.id, self.votes.seed)
                out["item"] = {"id": nxt.id, "lang": nxt.lang, "instruction": nxt.instruction, "input": nxt.input,
                               "left": nxt.a if a_left else nxt.b, "right": nxt.b if a_left else nxt.a}
            return out

    def vote(self, item: str, choice: str) -> dict:
        if choice not in CHOICES:
            raise ValueError(f"choice must be one of {', '.join(CHOICES)}")
        with self.lock:
            pair = self.by_id.get(item)
            if pair is None:
                raise ValueError(f"no item {item!r}")
            if item in self.votes.voted():
                raise ValueError(f"item {item!r} already has a vote (undo it first)")
            self.votes.vote(item, choice, lang=pair.lang, length_a=answer_length(pair.a, pair.lang),
                            length_b=answer_length(pair.b, pair.lang))
        return self.state()

    def undo(self) -> dict:
        with self.lock:
            self.votes.undo()
        return self.state()

    def summary(self) -> dict:
        """Names and counts: only once every item has a vote."""
        with self.lock:
            voted = self.votes.voted()
            if any(p.id not in voted for p in self.pairs):
                raise PermissionError("the names are shown once every item has a vote")
            counts = {"a": 0, "b": 0, "tie": 0, "both_bad": 0}
            for vote in self.votes.standing:
                counts[vote.outcome] = counts.get(vote.outcome, 0) + 1
            return {"model_a": self.votes.model_a, "model_b": self.votes.model_b, "counts": counts,
                    "votes_file": str(self.votes.path)}


def _handler(session: AnnotationSession):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - no access log on the terminal
            pass

        def _send(self, status: int, body: bytes, content_type: str = "application/json; charset=utf-8") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", CSP)
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, obj: dict) -> None:
            self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"))

        def do_GET(self):  # noqa: N802
            path = self.path.split("?", 1)[0]
            if path in _PAGE_FILES:
                name, kind = _PAGE_FILES[path]
                self._send(200, _page_file(name), kind)
            elif path == "/api/state":
                self._json(200, session.state())
            elif path == "/api/summary":
                try:
                    self._json(200, session.summary())
                except PermissionError as exc:
                    self._json(403, {"error": str(exc)})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self):  # noqa: N802
            # Only the page itself may vote: a form on another site cannot send JSON with this type.
            if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
                self._json(415, {"error": "send JSON"})
                return
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(min(length, 1 << 16)) or b"{}")
            except (ValueError, UnicodeDecodeError):
                self._json(400, {"error": "not JSON"})
                return
            try:
                if self.path == "/api/vote":
                    self._json(200, session.vote(str(body.get("item")), str(body.get("choice"))))
                elif self.path == "/api/undo":
                    self._json(200, session.undo())
                else:
                    self._json(404, {"error": "not found"})
            except ValueError as exc:
                self._json(409, {"error": str(exc)})

    return Handler


def session_for(options) -> AnnotationSession:
    a, b = read_answers(options.answers_a), read_answers(options.answers_b)
    pairs = pair_answers(a, b)
    folder = Path(options.votes_dir) if options.votes_dir else a.path.parent / "annotations" / f"{a.label}-vs-{b.label}"
    return AnnotationSession(pairs, VotesFile(folder / f"{options.annotator}.jsonl", annotator=options.annotator,
                                              model_a=a.label, model_b=b.label, seed=options.seed))


def _stop_by_signal(signum, frame) -> None:
    raise KeyboardInterrupt


def serve(options, *, out, ready=None) -> None:
    """Serve the page until Ctrl-C / SIGTERM (or ``ready``'s server is shut down)."""
    session = session_for(options)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", options.port), _handler(session))
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{options.port}: {exc.strerror or exc}; pass --port 0 for any "
                         "free port") from None
    server.daemon_threads = True
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    state = session.state()
    print(f"alpaca-gen: annotating {len(session.pairs)} items as {options.annotator} at {url} "
          f"({state['done']} voted so far; votes in {session.votes.path}); Ctrl-C to stop", file=out, flush=True)
    if session.votes.skipped_lines:
        print(f"alpaca-gen: {session.votes.skipped_lines} unreadable line(s) in {session.votes.path} (a write cut by a "
              "crash) were skipped; the votes before and after them count", file=out, flush=True)
    if options.open_browser:
        import webbrowser

        webbrowser.open(url)
    if ready is not None:
        ready(server, url)
    # Stopping the server is how annotation ends: Ctrl-C and SIGTERM both end it cleanly (exit 0).
    previous = signal.signal(signal.SIGTERM, _stop_by_signal) if threading.current_thread() is threading.main_thread() else None
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    done = session.state()["done"]
    saved = f"saved in {session.votes.path}" if done else "nothing to save"
    print(f"alpaca-gen: stopped; {done} of {len(session.pairs)} items voted, {saved}", file=out, flush=True)
