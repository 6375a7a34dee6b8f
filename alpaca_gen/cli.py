"""The ``alpaca-gen`` command: a thin fire shell over the library.

Errors are printed here and nowhere else: one line, ``alpaca-gen: error: …``, and
an exit code from :mod:`alpaca_gen.errors`. Tracebacks are shown only with
ALPACA_GEN_DEBUG=1. A run stopped by Ctrl-C or SIGTERM is not an error: its line
says so without "error:" (exit 130 / 143).
"""
from __future__ import annotations

import contextlib
import gc
import os
import sys

from .errors import AlpacaGenError, DataError, Interrupted, UsageError, redact

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

    _with_key(values)
    Generator(GenerateConfig.from_flags(**values)).run()


def _with_key(values: dict) -> None:
    """The --api_key taken out of argv before fire saw it (see _take_api_key)."""
    if values.get("api_key") in (None, "") and _SECRETS:
        values["api_key"] = _SECRETS[-1]


def _respond(**values):
    with _heavy_imports():
        from .config import RespondOptions
        from .respond import Responder

    _with_key(values)
    Responder(RespondOptions.from_flags(**values)).run()


def _eval_answer(**values):
    with _heavy_imports():
        from .config import EvalAnswerOptions
        from .eval.answer import answer_eval_set

    _with_key(values)
    answer_eval_set(EvalAnswerOptions.from_flags(**values))


def _eval_judge(**values):
    with _heavy_imports():
        from .config import JudgeOptions
        from .eval.judge import Judge

    _with_key(values)
    Judge(JudgeOptions.from_flags(**values)).run()


def _eval_annotate(**values):
    from .config import AnnotateOptions
    from .eval.annotate import serve

    serve(AnnotateOptions.from_flags(**values), out=sys.stdout)


def _eval_summary(**values):
    import json

    from .config import EvalSummaryOptions
    from .eval.summary import lines, plot, summarize

    o = EvalSummaryOptions.from_flags(**values)
    if o.plot:
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib: pip install 'alpaca-gen[report]'")
    summary = summarize(o.files, seed=o.seed)
    print(json.dumps(summary, ensure_ascii=False, indent=2) if o.json else "\n".join(lines(summary)))
    if o.plot:
        plot(summary, o.plot)
        print(f"alpaca-gen: plot written to {o.plot}", file=sys.stderr)


def _dedup(**values):
    from .config import DedupOptions
    from .dedup import dedup_file

    o = DedupOptions.from_flags(**values)
    dedup_file(o.input, o.output, seed_tasks_path=o.seed_tasks_path, lang=o.lang, threshold=o.similarity_threshold,
               tokenizer=o.tokenizer, field=o.field, dropped=o.dropped)


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
    from .config import (AnnotateOptions, BatchIngestOptions, BatchPrepareOptions, CheckOptions, DedupOptions,
                         EvalAnswerOptions, EvalSummaryOptions, ExportOptions, GenerateConfig, JudgeOptions,
                         ReportOptions, RespondOptions, SeedCheckOptions)
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
    evaluation = type("Eval", (), {
        "__doc__": "Blind pairwise comparison of two models: answers, an LLM judge, people in a local page, the numbers.",
        "answer": command(EvalAnswerOptions, _eval_answer, "A model answers an eval set (the shipped 100 English and 100 "
                          "Korean items by default) into ANSWERS.jsonl, resuming it if present."),
        "judge": command(JudgeOptions, _eval_judge, "An LLM judge compares two answers files item by item, in both "
                         "orders, into a judgments file, resuming it if present.", positional=("answers_a", "answers_b")),
        "annotate": command(AnnotateOptions, _eval_annotate, "Serve a local page for blind human votes on two answers "
                            "files; each vote is saved at once.", positional=("answers_a", "answers_b")),
        "summary": command(EvalSummaryOptions, _eval_summary, "Wins, ties and losses, win rate with a 95% interval, sign "
                           "test, lengths and agreement, from judgments and votes files.", positional=("files",)),
    })
    groups = {"seeds": seeds, "batch": batch, "eval": evaluation}

    def init(self):
        self.seeds = seeds()
        self.batch = batch()
        self.eval = evaluation()

    return type("Commands", (), {
        "__doc__": "alpaca-gen: self-instruct instruction data in English and Korean (Stanford Alpaca, rebuilt).",
        "__init__": init,
        "generate": command(GenerateConfig, _generate,
                            "Generate instruction/input/output records into OUTPUT_DIR/regen.json, resuming it if present."),
        "respond": command(RespondOptions, _respond, "Answer the records of INPUT again with a model (a stronger one, or "
                           "to repair flagged outputs) into OUTPUT, in INPUT's order and format, resuming it if present.",
                           positional=("input",)),
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
  respond       answer a data set's records again with a (stronger) model, resuming
  export        write a data set for a trainer (alpaca, messages, sharegpt, llama-factory, parquet, sft)
  report        describe a data set in pictures: report.html, report.json, PNG figures
  dedup         drop near-duplicate records from an existing data set
  seeds check   validate a seed task file
  eval answer   a model answers an eval set (100 English, 100 Korean items shipped)
  eval judge    an LLM judge compares two answers files, blind, in both orders
  eval annotate a local page for blind human votes on two answers files
  eval summary  win rates with intervals, sign tests, agreement
  batch prepare write the next requests as a batch file for another engine (vllm run-batch)
  batch ingest  commit that engine's results file

'alpaca-gen COMMAND --help' shows a command's flags."""

_COMMANDS = {"generate": ("generate",), "check": ("check",), "respond": ("respond",), "export": ("export",), "report": ("report",), "dedup": ("dedup",),
             "seeds": ("seeds", "check"), "batch": ("batch",), "eval": ("eval",)}


def _check_flags(args: list[str], commands, groups) -> str | None:
    """Read the command line before fire runs anything (:mod:`alpaca_gen.argv`): the help
    to print for --help/-h, else None after noting the flags given (GIVEN_FLAGS).

    fire calls the command with the flags it understood and only then complains
    about the rest, so a misspelt flag would start a real run with defaults; every
    such mistake is one UsageError line here, with a suggestion.
    """
    from .argv import parse
    from .options import GIVEN_FLAGS

    GIVEN_FLAGS.clear()
    parsed = parse(args, commands, groups)
    GIVEN_FLAGS.update(parsed.given)
    return parsed.help


def _fire_error(component_trace) -> None:
    """fire's error screen (usage, several lines) as one UsageError line; only reached by
    what :func:`_check_flags` lets through."""
    try:
        message = component_trace.elements[-1].ErrorAsStr()
    except Exception:  # noqa: BLE001 - fire's internals: still one line
        message = "cannot read the command line"
    raise UsageError(f"{message}; see 'alpaca-gen --help'")


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
    if args and args[0] in ("-h", "--help", "help") and len(args) > 1:
        args = [*args[1:], "--help"]  # alpaca-gen help generate
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    if args[0] in ("--version", "version"):
        from . import __version__

        print(f"alpaca-gen {__version__}")
        return 0
    try:
        commands, groups = _build_commands()
        help_text = _check_flags(args, commands, groups)
        if help_text is not None:
            print(help_text)
            return 0
        import fire
        import fire.core

        if hasattr(fire.core, "_DisplayError"):
            fire.core._DisplayError = _fire_error
        fire.Fire(commands, command=args, name="alpaca-gen")
    except Interrupted as exc:  # Ctrl-C or SIGTERM: the run stopped as asked, after its summary
        print(f"alpaca-gen: {exc}", file=sys.stderr, flush=True)
        return exc.exit_code
    except AlpacaGenError as exc:
        print(f"alpaca-gen: error: {redact(str(exc), secrets)}", file=sys.stderr, flush=True)
        return exc.exit_code
    except SystemExit as exc:  # fire.core.FireExit (fire may not be imported yet here)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except KeyboardInterrupt:
        print("alpaca-gen: stopped by Ctrl-C", file=sys.stderr)
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
        print("alpaca-gen: stopped by Ctrl-C", file=sys.stderr)
        code = 130
    except BrokenPipeError:
        # `alpaca-gen --help | head`: the reader went away, which is not an error. Point
        # stdout at /dev/null so the interpreter's last flush does not fail as well.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = 0
    sys.exit(code)
