"""Options, declared once.

A command's flags are the fields of its config dataclass: name, type, default and
help text are written there and nowhere else. From those fields come the CLI
command's signature and ``--help`` (:func:`command`), the checks of every value
(:meth:`Options.validate`), and the conversion of what fire parsed into the
field's type (:meth:`Options.from_flags`). Groups that several commands share
(the endpoint and the request layer) are base classes.
"""
from __future__ import annotations

import dataclasses
import inspect
import math
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable

from .errors import UsageError


@dataclass(frozen=True)
class Flag:
    help: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    #: The placeholder shown in --help when the default is computed ("gpt-4o-mini for chat").
    default_text: str = ""
    #: An empty text is a value ("--system ''": no system message), not "unset".
    keep_empty: bool = False
    #: The word --help shows for the value when the type alone does not say it: "duration" (a text
    #: flag parsed later), "seconds" (a float flag that also takes a duration such as 5m).
    kind: str = ""


def flag(default, help: str, *, choices: tuple | None = None, low: float | None = None, high: float | None = None,
         default_text: str = "", keep_empty: bool = False, kind: str = ""):
    return dataclasses.field(default=default,
                             metadata={"flag": Flag(help, choices, low, high, default_text, keep_empty, kind)})


def _kind(annotation) -> tuple[type, bool]:
    """(base type, may be None) of a field annotation such as ``int | None``."""
    if isinstance(annotation, str):
        annotation = eval(annotation, {}, {})  # our own annotations: builtins and "X | None" only
    args = typing.get_args(annotation)
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        base = [a for a in args if a is not type(None)]
        return base[0], True
    return annotation, False


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _convert(name: str, value: Any, base: type, optional: bool) -> Any:
    """What fire parsed (a Python literal, or the text when it is not one) as the field's type."""
    if value is None or (optional and value == ""):
        if optional:
            return None
        raise UsageError(f"--{name} needs a value")
    if base is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise UsageError(f"--{name} is true or false (got {value!r})")
    if base is str:
        if isinstance(value, bool):  # "--model_name" with nothing after it
            raise UsageError(f"--{name} needs a value")
        return str(value)
    if base is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageError(f"--{name} must be a whole number, got {value!r}")
        return value
    if base is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UsageError(f"--{name} must be a number, got {value!r}")
        return float(value)
    return value


def duration_seconds(name: str, value, examples: str = "30s or 5m", *, zero: bool = True,
                     most: float | None = None) -> float:
    """A flag's value in seconds, given as seconds or a duration ("90s", "5m", "1h30m", "20ms"), or
    the one-line error. ``zero``: 0 is allowed; ``most``: the longest (86400: a day)."""
    from .server_errors import parse_duration

    text = str(value).strip()
    # parse_duration reads servers' headers and clamps what it cannot use to 0; a flag refuses it.
    unusable = text.startswith("-") or text.lower() in ("nan", "inf", "infinity")
    seconds = None if unusable else parse_duration(text)
    if seconds is None or not math.isfinite(seconds) or (seconds == 0 and not zero) or \
            (most is not None and seconds > most):
        limit = ", up to a day" if most == 86400 else ""
        raise UsageError(f"{name} must be seconds or a duration such as {examples}{limit}, got {value!r}")
    return seconds


class Options:
    """Mixin for option dataclasses: conversion from flags, validation, the spec.

    ``given`` holds the names a user set (from :meth:`from_flags`), so a mode such as
    ``--local`` can choose its own defaults for the rest."""

    given: frozenset = frozenset()

    @classmethod
    def flag_fields(cls) -> list[dataclasses.Field]:
        return [f for f in dataclasses.fields(cls) if "flag" in f.metadata]

    @classmethod
    def flag_names(cls) -> list[str]:
        return [f.name for f in cls.flag_fields()]

    @classmethod
    def from_flags(cls, **flags):
        """A config from CLI values (fire's literals) or library keyword arguments."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        unknown = sorted(set(flags) - set(known))
        if unknown:
            raise UsageError(f"unknown option{'s' if len(unknown) > 1 else ''}: {', '.join('--' + u for u in unknown)}")
        values = {}
        for name, value in flags.items():
            base, optional = _kind(known[name].type)
            if value == "" and base is str and known[name].metadata.get("flag", Flag("")).keep_empty:
                values[name] = ""
                continue
            meta = known[name].metadata.get("flag", Flag(""))
            if meta.kind == "seconds" and isinstance(value, str) and value.strip():
                value = duration_seconds(f"--{name}", value)
            values[name] = _convert(name, value, base, optional)
        config = cls(**values)
        config.given = frozenset(flags)
        config.validate()
        return config

    def with_flags(self, **flags):
        """This config with some options replaced (checked like any other)."""
        merged = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        unknown = sorted(set(flags) - set(merged))
        if unknown:
            raise UsageError(f"unknown option{'s' if len(unknown) > 1 else ''}: {', '.join('--' + u for u in unknown)}")
        merged.update(flags)
        return type(self).from_flags(**merged)

    def validate(self) -> None:
        for f in self.flag_fields():
            spec: Flag = f.metadata["flag"]
            value = getattr(self, f.name)
            base, optional = _kind(f.type)
            if value is None:
                if not optional:
                    raise UsageError(f"--{f.name} needs a value")
                continue
            if base in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float)) or
                                         (base is int and not isinstance(value, int))):
                what = "a whole number" if base is int else "a number"
                raise UsageError(f"--{f.name} must be {what}, got {value!r}")
            if base is str and not isinstance(value, str):
                raise UsageError(f"--{f.name} must be text, got {value!r}")
            if spec.choices is not None and value not in spec.choices:
                raise UsageError(f"--{f.name} must be one of: {', '.join(map(str, spec.choices))} (got {value!r})")
            if spec.low is not None and value < spec.low or spec.high is not None and value > spec.high:
                raise UsageError(f"--{f.name} must be {_range_text(base, spec)}, got {value!r}")
        self.check()

    def check(self) -> None:
        """Rules between options (override)."""


def _range_text(base: type, spec: Flag) -> str:
    whole = base is int
    if spec.high is None:
        return f"a whole number ≥ {spec.low:g}" if whole else f"a number ≥ {spec.low:g}"
    return f"{'a whole number' if whole else 'a number'} from {spec.low:g} to {spec.high:g}"


def _help_line(f: dataclasses.Field) -> str:
    spec: Flag = f.metadata["flag"]
    text = spec.help
    if spec.choices and "one of" not in text:
        text += f" One of: {', '.join(map(str, spec.choices))}."
    return text


#: The flag names on the command line being run (set by the CLI before fire dispatches).
GIVEN_FLAGS: set[str] = set()


@dataclass(frozen=True)
class CommandSpec:
    """What :func:`command` was built from, for the CLI's own ``--help`` and checks."""
    config_cls: type
    summary: str
    positional: tuple[str, ...]
    extra: dict


def command(config_cls: type, run: Callable[..., Any], summary: str, *, positional: tuple[str, ...] = (),
            extra: dict[str, tuple[Any, str]] | None = None) -> Callable[..., Any]:
    """A function fire can call, whose signature and ``Args:`` help come from the
    config's flag fields (plus ``positional`` fields first, and ``extra`` CLI-only
    parameters given as name -> (default, help)). ``run`` receives the keyword values.

    Only the ``positional`` fields can be given without their --name: the others are
    keyword-only, so fire never binds a stray argument to the next option. The spec is
    kept as ``handler.spec`` (:func:`command_help` renders the help from it)."""
    flag_fields = config_cls.flag_fields()
    by_name = {f.name: f for f in flag_fields}
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    lines = [summary, "", "Args:"]
    # The command's own options first, then the shared groups it extends.
    own = [name for name in vars(config_cls).get("__annotations__", {}) if name in by_name]
    order = list(dict.fromkeys([*positional, *own, *(f.name for f in flag_fields)]))
    for name in order:
        f = by_name[name]
        base, optional = _kind(f.type)
        # Positional options keep their default so that a missing one reaches the config's
        # own check (one line), not fire's usage screen.
        default = f.default
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD if name in positional else inspect.Parameter.KEYWORD_ONLY
        params.append(inspect.Parameter(name, kind, default=default, annotation=base))
        lines.append(f"  {name}: {_help_line(f)}")
    for name, (default, help_text) in (extra or {}).items():
        params.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default))
        lines.append(f"  {name}: {help_text}")

    defaults = {p.name: p.default for p in params[1:]}

    def handler(self, *args, **kwargs):
        names = [p.name for p in params[1:]]
        values = dict(zip(names, args))
        values.update(kwargs)
        # fire passes every parameter; only what the command line set goes on, so the config
        # knows which options were given (--local picks its own defaults for the others).
        given = set(GIVEN_FLAGS) | set(positional)
        return run(**{name: value for name, value in values.items()
                      if name in given or value is not defaults[name] and value != defaults[name]})

    handler.__signature__ = inspect.Signature(params)
    handler.__doc__ = "\n".join(lines)
    handler.__name__ = getattr(run, "__name__", "command")
    handler.spec = CommandSpec(config_cls, summary, tuple(positional), dict(extra or {}))
    return handler


def cli_names(handler: Callable) -> set[str]:
    """The flags a command built by :func:`command` accepts."""
    return {name for name in inspect.signature(handler).parameters if name != "self"}


# -- help, rendered from the spec ---------------------------------------------------------------

#: Text options that name a file or a folder, by name: they are shown as ``path`` in --help.
#: (An option with choices shows its choices instead, e.g. generate's --tokenizer.)
PATH_OPTIONS = frozenset({"path", "input", "output", "flagged", "dropped", "file", "results", "template",
                          "tokenizer", "local_model", "save_rejects", "answers_a", "answers_b", "judge_prompt",
                          "eval_set", "plot"})
PATH_SUFFIXES = ("_path", "_dir", "_file", "_folder")
URL_SUFFIXES = ("_url",)


@dataclass(frozen=True)
class Param:
    """One parameter of a command as the command line sees it."""
    name: str
    kind: str  # "bool", "int", "float", "seconds", "text", "path", "url", "duration" or "choice"
    default: Any
    help: str
    choices: tuple | None = None
    low: float | None = None
    high: float | None = None
    default_text: str = ""


def _word(name: str, base: type) -> str:
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is float:
        return "float"
    if name in PATH_OPTIONS or name.endswith(PATH_SUFFIXES):
        return "path"
    if name.endswith(URL_SUFFIXES):
        return "url"
    return "text"


def command_params(handler: Callable) -> list[Param]:
    """The parameters of a command built by :func:`command`, in --help order."""
    spec: CommandSpec = handler.spec
    fields = {f.name: f for f in spec.config_cls.flag_fields()}
    out = []
    for name, p in inspect.signature(handler).parameters.items():
        if name == "self":
            continue
        f = fields.get(name)
        if f is None:  # an ``extra`` parameter: its type is its default's
            default, help_text = spec.extra[name]
            base = type(default) if default is not None else str
            out.append(Param(name, _word(name, base), default, help_text))
            continue
        meta: Flag = f.metadata["flag"]
        base, _ = _kind(f.type)
        kind = "choice" if meta.choices else meta.kind or _word(name, base)
        out.append(Param(name, kind, f.default, meta.help, meta.choices, meta.low, meta.high, meta.default_text))
    return out


def _value_text(p: Param) -> str:
    """What follows --name in the help: the value's type or choices."""
    if p.kind == "choice":
        return "|".join(map(str, p.choices))
    return p.kind


def _default_text(p: Param) -> str:
    if p.default_text:
        return p.default_text
    if p.default is None or p.default == "" or "Default:" in p.help or "default:" in p.help:
        return ""
    if isinstance(p.default, bool):
        return "true" if p.default else "false"
    return str(p.default)


def _notes(p: Param, local_defaults: dict | None = None) -> str:
    notes = []
    default = _default_text(p)
    if default:
        notes.append(f"default: {default}")
    if local_defaults and p.name in local_defaults and local_defaults[p.name] != p.default:
        notes.append(f"with --local: {local_defaults[p.name]}")
    if p.kind in ("int", "float", "seconds") and (p.low is not None or p.high is not None):
        if p.low is not None and 0 < p.low < 1e-6 and p.high is None:
            notes.append("more than 0")  # low=1e-9: any positive number
            return f"  ({', '.join(notes)})"
        low = f"{p.low:g}" if p.low is not None else None
        high = f"{p.high:g}" if p.high is not None else None
        notes.append(f"{low} to {high}" if low is not None and high is not None
                     else f"at least {low}" if low is not None else f"at most {high}")
    return f"  ({', '.join(notes)})" if notes else ""


def _wrapped(text: str, indent: int, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width=max(40, width - indent), break_on_hyphens=False, break_long_words=False) or [""]


def usage_line(handler: Callable, prog: str) -> str:
    """``usage: alpaca-gen check INPUT [--flags]``: the positional arguments by name,
    in brackets when they may be left out (a default other than "")."""
    spec: CommandSpec = handler.spec
    by_name = {p.name: p for p in command_params(handler)}
    words = [prog]
    for name in spec.positional:
        words.append(name.upper() if by_name[name].default == "" else f"[{name.upper()}]")
    words.append("[--flags]")
    return "usage: " + " ".join(words)


def command_help(handler: Callable, prog: str, width: int = 100) -> str:
    """The --help of a command built by :func:`command`: usage, summary, the positional
    arguments, then every flag with its type (``int``, ``float``, ``text``, ``path``,
    the choices, or ``--flag / --noflag`` for true/false), default and range."""
    spec: CommandSpec = handler.spec
    params = command_params(handler)
    lines = [usage_line(handler, prog), ""]
    lines += _wrapped(spec.summary, 0, width)
    pad = " " * 6
    if spec.positional:
        lines += ["", "arguments:"]
        for p in params:
            if p.name in spec.positional:
                lines.append(f"  {p.name.upper()}  {_value_text(p)}{_notes(p)}  (or --{p.name})")
                lines += [pad + line for line in _wrapped(p.help, len(pad), width)]
    flags = [p for p in params if p.name not in spec.positional]
    # What --local sets unless given (config.with_local_defaults), shown beside the default.
    local_defaults = getattr(spec.config_cls, "local_defaults", {}) if any(p.name == "local" for p in flags) else {}
    if flags:
        lines += ["", "flags:"]
    for p in flags:
        if p.kind == "bool":
            head = f"  --{p.name} / --no{p.name}"
        else:
            head = f"  --{p.name} {_value_text(p)}"
        lines.append(head + _notes(p, local_defaults))
        lines += [pad + line for line in _wrapped(p.help, len(pad), width)]
    lines += ["", "A flag's value follows it (--flag VALUE) or an equals sign (--flag=VALUE).",
              "'alpaca-gen --help' lists the commands."]
    return "\n".join(lines)
