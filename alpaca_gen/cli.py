"""The ``alpaca-gen`` command: a thin fire shell over the library.

Errors are printed here and nowhere else: one line, ``alpaca-gen: error: …``, and
an exit code from :mod:`alpaca_gen.errors`. Tracebacks are shown only with
ALPACA_GEN_DEBUG=1.
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys

from .errors import AlpacaGenError, DataError, UsageError, redact

_SECRETS: list[str] = []


def _seeds_check(**values):
    from .config import SeedCheckOptions
    from .seedcheck import check_seed_file, print_report

    options = SeedCheckOptions.from_flags(**values)
    report = check_seed_file(options.path, lang=options.lang, threshold=options.threshold)
    print_report(report, max_pairs=options.max_pairs, strict=options.strict)
    if not report.ok or (options.strict and report.near_pair_count):
        raise DataError(f"{report.path}: seed check failed")


def _generate(**values):
    with _heavy_imports():
        from .config import GenerateConfig
        from .pipeline import Generator

    if values.get("api_key") in (None, "") and _SECRETS:
        values["api_key"] = _SECRETS[-1]
    Generator(GenerateConfig.from_flags(**values)).run()


def _dedup(**values):
    from .config import DedupOptions
    from .dedup import dedup_file

    o = DedupOptions.from_flags(**values)
    dedup_file(o.input, o.output, seed_tasks_path=o.seed_tasks_path, lang=o.lang, threshold=o.similarity_threshold,
               tokenizer=o.tokenizer, field=o.field)


def _check(**values):
    import json

    from .check import CheckFailed, check_file, print_report
    from .config import CheckOptions

    o = CheckOptions.from_flags(**values)
    report = check_file(o.input, lang=o.lang, output=o.output, flagged=o.flagged)
    if o.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report)
    if o.strict and report.flagged:
        raise CheckFailed(f"{report.flagged} of {report.records} records flagged ({report.dropped} dropped, {report.fixed} fixed)")


def _export(**values):
    from .config import ExportOptions
    from .export import export_file

    export_file(ExportOptions.from_flags(**values))


def _report(**values):
    from .config import ReportOptions
    from .report import build_report

    o = ReportOptions.from_flags(**values)
    build_report(o.input, output=o.output, lang=o.lang, seed_tasks_path=o.seed_tasks_path, examples=o.examples,
                 verbs=o.verbs)


def _batch_prepare(**values):
    from .batch.engines import describe, prepare
    from .config import BatchPrepareOptions

    o = BatchPrepareOptions.from_flags(**values)
    print(describe(prepare(o, o.requests, out_file=o.file, again=o.again)))


def _batch_ingest(**values):
    from .batch.engines import ingest
    from .config import BatchIngestOptions, GenerateConfig

    o = BatchIngestOptions.from_flags(**values)
    with _heavy_imports():
        ingest(o.output_dir, o.results, config_class=GenerateConfig)


def _build_commands():
    """The command classes fire dispatches to, with signatures and help from the option specs."""
    from .config import (BatchIngestOptions, BatchPrepareOptions, CheckOptions, DedupOptions, ExportOptions,
                         GenerateConfig, ReportOptions, SeedCheckOptions)
    from .options import command

    seeds = type("Seeds", (), {
        "__doc__": "Work with seed task files.",
        "check": command(SeedCheckOptions, _seeds_check, "Validate a seed file and report per language: counts, shares, "
                         "near-duplicate pairs, problems.", positional=("path",)),
    })

    batch = type("Batch", (), {
        "__doc__": "Batch files for engines without a Batch API (vllm run-batch, Ray Data).",
        "prepare": command(BatchPrepareOptions, _batch_prepare, "Write the next requests of OUTPUT_DIR as an OpenAI batch "
                           "input file and record them.", positional=("output_dir",)),
        "ingest": command(BatchIngestOptions, _batch_ingest, "Commit a results file (OpenAI batch output format) into "
                          "OUTPUT_DIR, in round order.", positional=("output_dir", "results")),
    })
    groups = {"seeds": seeds, "batch": batch}

    def init(self):
        self.seeds = seeds()
        self.batch = batch()

    return type("Commands", (), {
        "__doc__": "alpaca-gen: self-instruct instruction data in English and Korean (Stanford Alpaca, rebuilt).",
        "__init__": init,
        "generate": command(GenerateConfig, _generate,
                            "Generate instruction/input/output records into OUTPUT_DIR/regen.json, resuming it if present."),
        "export": command(ExportOptions, _export, "Write an Alpaca-format data set in a trainer's format (alpaca, jsonl, "
                          "messages, sharegpt, llama-factory, parquet) or as tokenized training features (sft).",
                          positional=("input",)),
        "report": command(ReportOptions, _report, "Describe a data set in numbers and pictures: report.html (one page, "
                          "no network), report.json and PNG figures.", positional=("input",)),
        "dedup": command(DedupOptions, _dedup, "Drop near-duplicate records from an existing data set, keeping input order.",
                         positional=("input",)),
        "check": command(CheckOptions, _check, "Check records against the field and quality rules; report per-rule counts, "
                         "write the kept and the flagged records.", positional=("input",)),
    }), groups


def _take_api_key(argv: list[str]) -> list[str]:
    """Remove --api_key from argv before fire sees it, so fire can never echo the key."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        for flag in ("--api_key", "--api-key"):
            if arg == flag and i + 1 < len(argv):
                _SECRETS.append(argv[i + 1])
                i += 2
                break
            if arg.startswith(flag + "="):
                _SECRETS.append(arg.split("=", 1)[1])
                i += 1
                break
        else:
            out.append(arg)
            i += 1
    return out


USAGE = """usage: alpaca-gen COMMAND [FLAGS]

commands:
  generate      generate instruction data into OUTPUT_DIR/regen.json (resumes it)
  check         check a data set against the field and quality rules
  export        write a data set for a trainer (alpaca, messages, sharegpt, llama-factory, parquet, sft)
  report        describe a data set in pictures: report.html, report.json, PNG figures
  dedup         drop near-duplicate records from an existing data set
  seeds check   validate a seed task file
  batch prepare write the next requests as a batch file for another engine (vllm run-batch)
  batch ingest  commit that engine's results file

'alpaca-gen COMMAND --help' shows a command's flags."""

_COMMANDS = {"generate": ("generate",), "check": ("check",), "export": ("export",), "report": ("report",), "dedup": ("dedup",),
             "seeds": ("seeds", "check"), "batch": ("batch",)}


def _check_flags(args: list[str], commands, groups) -> None:
    """Reject unknown flags before fire runs anything, and note the flags given (GIVEN_FLAGS).

    fire calls the command with the flags it understood and only then complains
    about the rest, so a misspelt flag would start a real run with defaults.
    """
    from .options import GIVEN_FLAGS, cli_names

    GIVEN_FLAGS.clear()
    if not args or args[0] not in _COMMANDS:
        return
    rest = args[1:]
    if args[0] in groups:  # seeds check, batch prepare, batch ingest
        group = groups[args[0]]
        if not rest or rest[0].startswith("-") or not hasattr(group, rest[0]):
            return
        path = (args[0], rest[0])
        names = cli_names(getattr(group, rest[0]))
        rest = rest[1:]
    else:
        path = _COMMANDS[args[0]]
        names = cli_names(getattr(commands, path[0]))
    for arg in rest:
        if arg == "--":
            break
        if not arg.startswith("--") or arg in ("--help",):
            continue
        name = arg[2:].split("=", 1)[0].replace("-", "_")
        if name.startswith("no") and name[2:] in names:
            GIVEN_FLAGS.add(name[2:])
            continue  # fire's --noflag form of a boolean
        GIVEN_FLAGS.add(name)
        if name not in names:
            close = sorted(names, key=lambda n: _distance(n, name))[0]
            raise UsageError(f"unknown flag --{name} for '{' '.join(path)}' (did you mean --{close}?); see 'alpaca-gen {' '.join(path)} --help'")


def _distance(a: str, b: str) -> int:
    from rapidfuzz.distance import Levenshtein

    return Levenshtein.distance(a, b)


@contextlib.contextmanager
def _heavy_imports():
    """Import openai (about 700 pydantic models) with the garbage collector paused,
    then freeze what was built. Collections during the import only re-walk objects
    that live for the whole run, and frozen objects are skipped by every later
    collection and at interpreter exit: about 0.25 s less per run (bench/bench_concurrency.py).
    Used once per process, by the CLI: the few hundred cyclic leftovers of the import
    are frozen with the rest rather than paying a full collection to free them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def main(argv: list[str] | None = None) -> int:
    args = _take_api_key(list(sys.argv[1:] if argv is None else argv))
    secrets = tuple(_SECRETS) + (os.environ.get("OPENAI_API_KEY", ""),)
    os.environ.setdefault("PAGER", "cat")  # fire pages --help through less on a terminal otherwise
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if args[0] in ("--version", "version"):
        from . import __version__

        print(f"alpaca-gen {__version__}")
        return 0
    try:
        import fire
    except KeyboardInterrupt:
        print("alpaca-gen: interrupted", file=sys.stderr)
        return 130
    try:
        commands, groups = _build_commands()
        _check_flags(args, commands, groups)
        fire.Fire(commands, command=args, name="alpaca-gen")
    except AlpacaGenError as exc:
        print(f"alpaca-gen: error: {redact(str(exc), secrets)}", file=sys.stderr, flush=True)
        return exc.exit_code
    except fire.core.FireExit as exc:
        return int(exc.code or 0)
    except KeyboardInterrupt:
        print("alpaca-gen: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line, with the traceback only on request
        if os.environ.get("ALPACA_GEN_DEBUG"):
            raise
        print(
            f"alpaca-gen: internal error: {type(exc).__name__}: {redact(str(exc), secrets)} "
            "(set ALPACA_GEN_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 70
    return 0


def entry() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except KeyboardInterrupt:  # Ctrl-C while modules were still importing
        print("alpaca-gen: interrupted", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # `alpaca-gen --help | head`: the reader went away, which is not an error. Point
        # stdout at /dev/null so the interpreter's last flush does not fail as well.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)
