"""User-facing errors, in one place.

Every problem a user can cause or meet (a bad flag, a broken file, a server that
says no) is raised as an :class:`AlpacaGenError`. The CLI prints its message as
one line and exits with its code; nothing else in the package prints errors.
Exit codes follow sysexits(3) where one fits, so scripts can tell causes apart.
"""
from __future__ import annotations

import re


class AlpacaGenError(Exception):
    """Base class: a message for the user and a process exit code."""

    exit_code = 1


class UsageError(AlpacaGenError):
    """A flag or argument is wrong (EX_USAGE)."""

    exit_code = 2


class DataError(AlpacaGenError):
    """An input file is malformed: seed file, regen.json, dedup input (EX_DATAERR)."""

    exit_code = 65


class NoInputError(AlpacaGenError):
    """An input file does not exist or cannot be read (EX_NOINPUT)."""

    exit_code = 66


class CannotWriteError(AlpacaGenError):
    """An output file cannot be created or written (EX_CANTCREAT)."""

    exit_code = 73


class ServerUnavailableError(AlpacaGenError):
    """The endpoint cannot be reached or keeps failing (EX_UNAVAILABLE)."""

    exit_code = 69


class BusyError(AlpacaGenError):
    """Another run holds the output directory (EX_TEMPFAIL)."""

    exit_code = 75


class ApiRefusedError(AlpacaGenError):
    """The server refused for a reason retrying cannot fix: bad key, no access,
    unknown model, quota exhausted, malformed request (EX_NOPERM)."""

    exit_code = 77


class Interrupted(AlpacaGenError):
    """SIGINT or SIGTERM: not an error (the CLI prints it without "error:"), committed data
    is kept; exit 128 + signal number."""

    def __init__(self, signum: int):
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        how = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        super().__init__(f"stopped by {how}; rerun the same command to resume")


_KEYLIKE = re.compile(r"\b(sk-[A-Za-z0-9_\-*]{4,}|Bearer\s+\S+)")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove API keys from text that is about to be shown or stored.

    Servers echo keys back in error messages (OpenAI shows a masked prefix and
    suffix); we remove the exact secret and anything shaped like a key.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return _KEYLIKE.sub("***", text)
