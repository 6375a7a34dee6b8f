"""``python -m alpaca_gen._local_server PARENT_PID -- LLAMA_CPP_SERVER_ARGS…``

Runs llama-cpp-python's OpenAI-compatible server for ``--local`` so that it cannot
outlive the alpaca-gen process that started it, whatever ends that process
(SIGKILL included):

* on Linux the kernel sends this process SIGKILL when its parent dies
  (``PR_SET_PDEATHSIG``, set before the server starts);
* everywhere, a thread watches standard input, a pipe whose other end only the
  parent holds: end of file means the parent is gone, and the server exits.
"""
from __future__ import annotations

import ctypes
import os
import runpy
import signal
import sys
import threading

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)

    def watch() -> None:
        try:
            while sys.stdin.buffer.read(1 << 16):
                pass
        except (OSError, ValueError):
            pass
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main() -> None:
    parent, separator, *args = sys.argv[1:]
    if separator != "--":
        raise SystemExit("usage: python -m alpaca_gen._local_server PARENT_PID -- ARGS")
    _die_with_parent(int(parent))
    sys.argv = ["llama_cpp.server", *args]
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
