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


class Seeds:
    """Work with seed task files."""

    def check(self, path: str = "", lang: str = "", threshold: float = 0.7, max_pairs: int = 20, strict: bool = False):
        """Validate a seed file and report per language: counts, shares, near-duplicate pairs, problems.

        Args:
          path: The seed file (JSONL). Default: the seed_tasks.jsonl shipped with alpaca-gen.
          lang: Check only this language (en or ko). Default: every language in the file.
          threshold: ROUGE-L F1 above which two seed instructions count as near duplicates.
          max_pairs: How many near-duplicate pairs to list per language.
          strict: Fail on near-duplicate pairs too (they are warnings otherwise; schema and language problems always fail).
        """
        from .seedcheck import check_seed_file, print_report

        if lang and lang not in ("en", "ko"):
            raise UsageError(f"--lang must be en or ko (got {lang!r})")
        report = check_seed_file(path or None, lang=lang or None, threshold=threshold)
        print_report(report, max_pairs=max_pairs, strict=strict)
        if not report.ok or (strict and report.near_pair_count):
            raise DataError(f"{report.path}: seed check failed")


class Commands:
    """alpaca-gen: self-instruct instruction data in English and Korean (Stanford Alpaca, rebuilt)."""

    def __init__(self):
        self.seeds = Seeds()

    def generate(
        self,
        output_dir: str = "./",
        seed_tasks_path: str = "",
        num_instructions_to_generate: int = 100,
        model_name: str = "",
        num_prompt_instructions: int = 3,
        request_batch_size: int = 5,
        temperature: float = 1.0,
        top_p: float = 1.0,
        num_cpus: int = 16,
        lang: str = "en",
        api: str = "completions",
        base_url: str = "",
        api_key: str = "",
        max_tokens: int = 3072,
        similarity_threshold: float = 0.7,
        seed: int | None = None,
        concurrency: int = 4,
        max_requests: int | None = None,
        dry_run: bool = False,
        prompt_path: str = "",
        cross_lang_seeds: bool = False,
        tokenizer: str = "",
        similarity_stats: bool = True,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        request_timeout: float = 300.0,
        progress: bool | None = None,
        rpm: float | None = None,
        tpm: float | None = None,
        price_in: float = 0.0,
        price_out: float = 0.0,
        max_cost: float | None = None,
    ):
        """Generate instruction/input/output records into OUTPUT_DIR/regen.json, resuming it if present.

        Args:
          output_dir: Directory for regen.json (created if missing). An existing regen.json is resumed.
          seed_tasks_path: Seed tasks (JSONL, self-instruct schema). Default: the English and Korean seed tasks shipped with alpaca-gen.
          num_instructions_to_generate: Stop when regen.json holds exactly this many records (existing ones count).
          model_name: Model to ask. Default: gpt-3.5-turbo-instruct (completions) or gpt-4o-mini (chat).
          num_prompt_instructions: Seed tasks shown as examples in each prompt.
          request_batch_size: Prompts per round: one list-prompt request (completions) or that many requests (chat).
          temperature: Sampling temperature.
          top_p: Nucleus sampling.
          num_cpus: Accepted for compatibility with Stanford's script; de-duplication needs no process pool.
          lang: en or ko: the prompt, the seeds sampled, the filters and the ROUGE-L tokenizer.
          api: completions (/v1/completions) or chat (/v1/chat/completions).
          base_url: OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM). Default: $OPENAI_BASE_URL, else OpenAI.
          api_key: API key. Default: $OPENAI_API_KEY. Never printed or stored. Local servers need none.
          max_tokens: Completion token limit per prompt; lowered automatically after a context-length error.
          similarity_threshold: Drop a task whose ROUGE-L F1 with any seed or kept instruction is above this.
          seed: Sampling seed: request k's prompt depends only on (seed, k). Default: random, remembered for resume.
          concurrency: Requests in flight at once.
          max_requests: Stop after this many API calls in this run (resumable).
          dry_run: Print the prompts of the next round and exit; sends nothing and needs no key.
          prompt_path: Use this prompt header instead of the shipped prompts/<lang>.txt.
          cross_lang_seeds: Allow seeds of another language when the file has none of --lang.
          tokenizer: ROUGE-L tokenizer: rouge, hangul-char, whitespace, char-bigram, kiwi, kiwi-all. Default: rouge (en), hangul-char (ko).
          similarity_stats: Store most_similar_instructions and avg_similarity_score in each record (Stanford's fields).
          max_retries: Retries for server errors, timeouts and dropped connections before giving up.
          backoff_base: First retry delay in seconds; doubles on each retry, with jitter.
          request_timeout: Seconds to wait for one response.
          progress: Show the progress bar (default: only on a terminal).
          rpm: Send at most this many requests per minute.
          tpm: Send at most this many tokens (prompt + completion, estimated ahead, settled from usage) per minute.
          price_in: Price in dollars per million prompt tokens, for the cost in the summary.
          price_out: Price in dollars per million completion tokens.
          max_cost: Stop (resumable) before this run's cost in dollars could pass this budget. Needs the prices.
        """
        with _heavy_imports():
            from .pipeline import GenerateConfig, Generator

        config = GenerateConfig(
            output_dir=str(output_dir),
            seed_tasks_path=str(seed_tasks_path) or None,
            num_instructions_to_generate=num_instructions_to_generate,
            model_name=str(model_name) if model_name not in ("", None) else None,
            num_prompt_instructions=num_prompt_instructions,
            request_batch_size=request_batch_size,
            temperature=temperature,
            top_p=top_p,
            num_cpus=num_cpus,
            lang=str(lang),
            api=str(api),
            base_url=str(base_url) or None,
            api_key=(str(api_key) if api_key not in ("", None) else None) or (_SECRETS[-1] if _SECRETS else None),
            max_tokens=max_tokens,
            similarity_threshold=similarity_threshold,
            seed=seed,
            concurrency=concurrency,
            max_requests=max_requests,
            dry_run=bool(dry_run),
            prompt_path=str(prompt_path) or None,
            cross_lang_seeds=bool(cross_lang_seeds),
            tokenizer=str(tokenizer) or None,
            similarity_stats=bool(similarity_stats),
            max_retries=max_retries,
            backoff_base=backoff_base,
            request_timeout=request_timeout,
            progress=progress,
            rpm=rpm,
            tpm=tpm,
            price_in=price_in,
            price_out=price_out,
            max_cost=max_cost,
        )
        Generator(config).run()

    def dedup(
        self,
        input: str,
        output: str = "",
        seed_tasks_path: str = "",
        lang: str = "en",
        similarity_threshold: float = 0.7,
        tokenizer: str = "",
        field: str = "instruction",
    ):
        """Drop near-duplicate records from an existing data set, keeping input order.

        Args:
          input: JSONL file or JSON list of records with an instruction field (Alpaca format works).
          output: Where to write the kept records: JSONL for .jsonl, a JSON list for .json.
          seed_tasks_path: Seed tasks whose instructions start the pool (records near them are dropped too).
          lang: en or ko: picks the default tokenizer (and the seeds' language).
          similarity_threshold: Drop a record whose ROUGE-L F1 with any earlier kept record is above this.
          tokenizer: ROUGE-L tokenizer (see generate --help). Default: rouge (en), hangul-char (ko).
          field: The field holding the text to compare.
        """
        from .dedup import dedup_file

        if not output:
            raise UsageError("dedup needs --output PATH (.jsonl or .json)")
        dedup_file(
            str(input), str(output), seed_tasks_path=str(seed_tasks_path) or None, lang=str(lang),
            threshold=similarity_threshold, tokenizer=str(tokenizer) or None, field=str(field),
        )


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
  dedup         drop near-duplicate records from an existing data set
  seeds check   validate a seed task file

'alpaca-gen COMMAND --help' shows a command's flags."""

_COMMANDS = {"generate": ("generate",), "dedup": ("dedup",), "seeds": ("seeds", "check")}


def _check_flags(args: list[str]) -> None:
    """Reject unknown flags before fire runs anything.

    fire calls the command with the flags it understood and only then complains
    about the rest, so a misspelt flag would start a real run with defaults.
    """
    import inspect

    if not args or args[0] not in _COMMANDS:
        return
    path = _COMMANDS[args[0]]
    rest = args[1:]
    if args[0] == "seeds":
        if not rest or rest[0] != "check":
            return
        rest = rest[1:]
        func = Seeds.check
    else:
        func = getattr(Commands, path[0])
    names = {name for name in inspect.signature(func).parameters if name != "self"}
    for arg in rest:
        if arg == "--":
            break
        if not arg.startswith("--") or arg in ("--help",):
            continue
        name = arg[2:].split("=", 1)[0].replace("-", "_")
        if name.startswith("no") and name[2:] in names:
            continue  # fire's --noflag form of a boolean
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
        _check_flags(args)
        fire.Fire(Commands, command=args, name="alpaca-gen")
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
