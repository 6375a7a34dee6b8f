"""The command line before fire sees it: help, and every usage error as one line.

fire calls a command with the flags it understood and only then complains about the
rest, in a screen of several lines (or binds a stray word to the next parameter), so
the CLI reads the arguments first, the way fire will: the command (and a group's
subcommand), ``--flag VALUE`` / ``--flag=VALUE`` / ``--flag`` / ``--noflag``, and the
positional arguments. What fire would misread is refused here with one line and a
suggestion; ``--help`` and ``-h`` are answered here, from the option specs
(:func:`alpaca_gen.options.command_help`). Everything is generic over the commands
built with :func:`alpaca_gen.options.command`, so a new command needs nothing here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from .errors import UsageError
from .options import command_help, command_params

PROG = "alpaca-gen"
HELP_FLAGS = ("-h", "--help")
#: Words of a flag name that people write for another word of ours (--seed_file: --seed_tasks_path).
SYNONYMS = {"file": "path", "folder": "dir", "directory": "dir", "number": "num", "count": "num"}


# -- suggestions ---------------------------------------------------------------------------------


def _osa(a: str, b: str) -> int:
    from rapidfuzz.distance import OSA

    return OSA.distance(a, b)


def _words(name: str) -> list[str]:
    return [SYNONYMS.get(w, w) for w in name.split("_") if w]


def _word_matches(typed: str, ours: str) -> bool:
    """A typed word stands for one of ours: a prefix of it (--num_instr), ours as its prefix
    (--output_directory for output_dir, --seeds for seed), or a typo in a long word."""
    if len(typed) >= 2 and ours.startswith(typed):
        return True
    if len(ours) >= 3 and typed.startswith(ours):
        return True
    return len(typed) >= 5 and _osa(typed, ours) <= 1


def _all_words_match(typed: list[str], ours: list[str]) -> tuple[bool, int, int] | None:
    """Every typed word matches one of ours, in order: (first words matched, our words left
    over, typed words that are not one of ours exactly: --timeout is request_timeout's word,
    only close to max_time's "time")."""
    j = 0
    first = None
    inexact = 0
    for word in typed:
        while j < len(ours) and not _word_matches(word, ours[j]):
            j += 1
        if j == len(ours):
            return None
        if first is None:
            first = j == 0
        inexact += word != ours[j]
        j += 1
    return bool(first), len(ours) - len(typed), inexact


def suggest(word: str, candidates: Iterable[str], limit: int = 4) -> list[str]:
    """The candidates a misspelt ``word`` most likely meant, best first (none when nothing is close).

    In order, the first rule that finds any decides: the names that begin with what was
    typed (``model`` → ``model_name``; ``num_instructions`` → ``num_instructions_to_generate``,
    not ``num_prompt_instructions``); the names whose words the typed words all match in
    order (``num_instruction_to_generate``, ``seed_file`` → ``seed_tasks_path``); a typo
    in the whole name (``chek`` → ``check``); a typo in the first letters (``nun_instr``); the
    names the typed one begins with (``output_dir`` → ``output``).
    Where the typed words fit inside several names only (``instructions``), each is offered.
    """
    typed = word.strip("-").lower().replace("-", "_")
    names = sorted(set(candidates))
    if not typed or typed in names:
        return [typed] if typed in names else []
    if typed:
        begins = sorted((n for n in names if n.startswith(typed)), key=lambda n: (len(n), n))
        if begins:
            return begins[:limit]
    if "_" in typed or len(typed) >= 3:
        tw = _words(typed)
        scored = []
        for name in names:
            match = _all_words_match(tw, _words(name))
            if match is not None:
                scored.append(((not match[0], match[2], match[1], len(name)), name))
        if scored:
            scored.sort()
            best = scored[0][0][:3]
            if best[0]:  # the typed words match inside the names only: offer each such name (exact words first)
                return [name for score, name in scored if score[1] == best[1]][:limit]
            return [name for score, name in scored if score[:3] == best][:limit]
    close = max(1, len(typed) // 4)
    typos = sorted((_osa(typed, n), len(n), n) for n in names)
    typos = [n for d, _, n in typos if d <= close]
    if typos:
        return typos[:limit]
    if len(typed) >= 4:
        heads = [n for n in names if _osa(typed, n[:len(typed)]) <= max(1, len(typed) // 6)]
        if heads:
            return sorted(heads, key=lambda n: (len(n), n))[:limit]
    # A longer name of another command's that begins with one of these (respond's --output for
    # generate's --output_dir).
    return sorted((n for n in names if typed.startswith(n + "_")), key=lambda n: (-len(n), n))[:limit]


def _either(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


# -- the command table ---------------------------------------------------------------------------


def _handlers(cls) -> dict[str, Callable]:
    """The commands of a command class: its attributes built by options.command."""
    out = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if not name.startswith("_") and callable(value) and hasattr(value, "spec"):
                out[name] = value
    return out


def command_table(commands, groups: dict) -> dict[tuple[str, ...], Callable]:
    """Every runnable command by its words, e.g. ("generate",), ("seeds", "check")."""
    table = {(name,): handler for name, handler in _handlers(commands).items()}
    for group, cls in groups.items():
        for name, handler in _handlers(cls).items():
            table[(group, name)] = handler
    return table


def group_help(group: str, cls) -> str:
    subs = _handlers(cls)
    width = max(len(s) for s in subs) + 2
    lines = [f"usage: {PROG} {group} COMMAND [--flags]", "", (cls.__doc__ or "").strip(), "", "commands:"]
    lines += [f"  {name.ljust(width)}{handler.spec.summary}" for name, handler in subs.items()]
    lines += ["", f"'{PROG} {group} COMMAND --help' shows a command's flags."]
    return "\n".join(lines)


# -- reading the arguments -------------------------------------------------------------------------


def _is_flag(arg: str) -> bool:
    """fire's test: --anything, or a dash and a letter (-5 and -0.5 are values)."""
    return arg.startswith("--") or re.match(r"^-[a-zA-Z]", arg) is not None


def _short_option(arg: str) -> bool:
    return not arg.startswith("--") and re.match(r"^-[a-zA-Z]", arg) is not None


def _short_error(arg: str, where: str) -> UsageError:
    return UsageError(f"{arg}: short options are not supported; use --long names (see '{PROG} {where}--help')")


@dataclass
class Parsed:
    """What the command line asks for: a help text to print, or a command to run."""
    help: str | None = None
    path: tuple[str, ...] = ()
    given: frozenset = frozenset()


def _commands_with_flag(table, name: str) -> list[str]:
    return [" ".join(path) for path, handler in table.items()
            if name in {p.name for p in command_params(handler)}]


def parse(args: list[str], commands, groups: dict) -> Parsed:
    """Check ``args`` (without the program name) as fire will read them.

    Returns the help to print for ``--help``/``-h`` (and a group given alone), else the
    command and the flags given; raises :class:`UsageError` with one line otherwise."""
    table = command_table(commands, groups)
    tops = sorted({path[0] for path in table})
    first = args[0]
    if first.startswith("--") or _short_option(first):
        if _short_option(first):
            raise _short_error(first, "")
        name = first[2:].split("=", 1)[0].replace("-", "_")
        owners = _commands_with_flag(table, name)
        hint = f" (--{name} is a flag of {_either([repr(o) for o in owners])})" if owners else ""
        raise UsageError(f"expected a command before {first.split('=', 1)[0]}{hint}; see '{PROG} --help'")
    if first not in tops:
        subs = [" ".join(path) for path in table if len(path) > 1 and path[-1] == first]
        close = subs or suggest(first, tops)
        hint = f" (did you mean {_either([repr(c) for c in close])}?)" if close else ""
        raise UsageError(f"unknown command '{first}'{hint}; see '{PROG} --help'")
    if first in groups:
        rest = args[1:]
        subs = sorted(path[1] for path in table if path[0] == first)
        if not rest or rest[0] in HELP_FLAGS:
            return Parsed(help=group_help(first, groups[first]))
        if _short_option(rest[0]):
            raise _short_error(rest[0], f"{first} ")
        if rest[0].startswith("--"):
            raise UsageError(f"'{first}' needs a command before {rest[0].split('=', 1)[0]}: {_either(subs)}; "
                             f"see '{PROG} {first} --help'")
        if rest[0] not in subs:
            close = suggest(rest[0], subs)
            hint = f" (did you mean {_either([repr(f'{first} {c}') for c in close])}?)" if close else ""
            raise UsageError(f"unknown command '{first} {rest[0]}'{hint}; see '{PROG} {first} --help'")
        path = (first, rest[0])
    else:
        path = (first,)
    return _parse_command(path, table[path], args[len(path):], table)


def _parse_command(path: tuple[str, ...], handler, rest: list[str], table) -> Parsed:
    cmd = " ".join(path)
    see = f"see '{PROG} {cmd} --help'"
    params = {p.name: p for p in command_params(handler)}
    positional = handler.spec.positional
    if any(arg in HELP_FLAGS for arg in rest):  # also after '--', fire's own way of asking
        return Parsed(help=command_help(handler, f"{PROG} {cmd}"))
    given: dict[str, str] = {}
    values: list[str] = []
    i = 0
    while i < len(rest):
        arg = rest[i]
        if arg == "--":
            raise UsageError(f"unexpected '--' (alpaca-gen reads no options of fire's after it); {see}")
        if _short_option(arg):
            raise _short_error(arg, f"{cmd} ")
        if not arg.startswith("--"):
            values.append(arg)
            i += 1
            continue
        key, equals, _ = arg[2:].partition("=")
        name = key.replace("-", "_")
        has_next = i + 1 < len(rest) and not _is_flag(rest[i + 1])
        if name in params:
            p = params[name]
            if p.kind != "bool" and not equals and not has_next:
                raise UsageError(f"--{name} needs a value ({_value_text(p)}); {see}")
            step = 1 if equals or (p.kind == "bool" and not has_next) else 2
        elif name.startswith("no") and name[2:] in params:
            p = params[name[2:]]
            if p.kind != "bool":
                raise UsageError(f"--{name}: only true/false flags have a --no form, and --{p.name} takes a value "
                                 f"({_value_text(p)}); {see}")
            if equals or has_next:
                raise UsageError(f"--{name} takes no value (write --{p.name}=false, or --{name} alone); {see}")
            name, step = p.name, 1
        else:
            raise UsageError(_unknown_flag(name, params, path, table, see))
        given[name] = arg if step == 1 else f"{arg} {rest[i + 1]}"
        i += step
    if len(values) > len(positional):
        extra = values[len(positional):]
        if positional:
            takes = " ".join(n.upper() for n in positional)
            raise UsageError(f"too many arguments: '{cmd}' takes {takes}, then --flags; unexpected "
                             f"{' '.join(map(repr, extra))}; {see}")
        raise UsageError(f"'{cmd}' takes only --flags; unexpected {' '.join(map(repr, extra))}; {see}")
    for name, value in zip(positional, values):
        if name in given:
            raise UsageError(f"{name.upper()} given twice: as {value!r} and as {given[name]}; {see}")
    return Parsed(path=path, given=frozenset(given))


def _unknown_flag(name: str, params: dict, path: tuple[str, ...], table, see: str) -> str:
    cmd = " ".join(path)
    close = suggest(name, params)
    if close:
        hint = f" (did you mean {_either(['--' + c for c in close])}?)"
    else:
        owners = [o for o in _commands_with_flag(table, name) if o != cmd]
        hint = f" (--{name} is a flag of {_either([repr(o) for o in owners])})" if owners else ""
    return f"unknown flag --{name} for '{cmd}'{hint}; {see}"


def _value_text(p) -> str:
    return "|".join(map(str, p.choices)) if p.kind == "choice" else p.kind
