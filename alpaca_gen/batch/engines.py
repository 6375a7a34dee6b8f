"""``alpaca-gen batch prepare`` / ``batch ingest``: batch files for engines without a Batch API.

``prepare`` writes the next requests of an output directory as an OpenAI batch
input file (what ``vllm run-batch -i`` and Ray Data pipelines read) and records
them in the ledger with the settings that made them. ``ingest`` takes a results
file in the OpenAI batch output format (what ``vllm run-batch -o`` writes) and
commits it through the same pipeline as ``generate``, in round order: every
``custom_id`` must be one that was prepared and not yet ingested, the prepared
file must be unchanged (its digest is in the ledger), and rounds are committed up
to the first one the results lack (the rest wait for a file that has it).
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path

from .. import prompts as prompt_mod
from ..answers import RoundResult, Unusable
from ..errors import DataError
from ..records import read_text_file, write_atomic
from ..text import plural
from .ledger import BatchLedger
from .lines import BatchRequest, parse_custom_id, round_requests
from .results import read_results, round_result

#: The flags a prepared file depends on, saved with it so ingest rebuilds the same prompts.
_SAVED = ("model_name", "api", "max_tokens", "temperature", "top_p", "lang", "seed_tasks_path", "num_prompt_instructions",
          "request_batch_size", "prompt_path", "cross_lang_seeds", "tokenizer", "similarity_threshold",
          "similarity_stats", "num_instructions_to_generate", "seed")


@dataclass
class Prepared:
    output_dir: Path
    path: Path
    requests: int
    rounds: range
    url: str


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _lines(generator, rounds, seed: int) -> list[BatchRequest]:
    cfg = generator.config
    stop = list(prompt_mod.stop_sequences(generator.template))
    size = cfg.request_batch_size
    return [req for r in rounds for req in round_requests(
        r, [p.text for p in generator.round_prompts(r, size, seed)], api=cfg.api, model=generator.model,
        max_tokens=cfg.max_tokens, temperature=cfg.temperature, top_p=cfg.top_p, stop=stop)]


def prepare(config, requests: int, *, out_file: str | None = None, again: bool = False) -> Prepared:
    """Write the next ``requests`` requests of ``config.output_dir`` as a batch input file: after
    the last round already prepared, or (``again``) from the next round to commit, for rounds
    whose results errored."""
    from ..pipeline import Generator
    from ..store import RegenStore

    generator = Generator(config)
    with RegenStore(config.output_dir) as store:
        ledger = BatchLedger(store.state_dir)
        state = store.state
        seed = config.seed if config.seed is not None else (
            state.seed if state.seed is not None else random.SystemRandom().randrange(2**31))
        prepared = [w for w in ledger.waves.values() if w.prepared_file]
        first = state.next_request if again else max([state.next_request] + [max(w.rounds) + 1 for w in prepared])
        calls = 1 if config.api == "completions" else config.request_batch_size
        rounds = range(first, first + max(1, requests // calls))
        lines = _lines(generator, rounds, seed)
        number = ledger.next_wave_number()
        path = Path(out_file) if out_file else store.output_dir / f"batch-{number:04d}.jsonl"
        data = b"".join(r.line() for r in lines)
        write_atomic(path, data)
        settings = {name: getattr(config, name) for name in _SAVED}
        settings["seed"] = seed
        ledger.prepared(number, rounds, lines[0].url, str(path.resolve()), _digest(data), settings)
    return Prepared(store.output_dir, path, len(lines), rounds, lines[0].url)


class ResultsSource:
    """Answers the rounds a results file holds whole (an AnswerSource for the ingest run)."""

    def __init__(self, answers: dict[int, RoundResult], api: str, max_tokens: int):
        self._answers = answers
        self._api = api
        self.max_tokens = max_tokens

    @property
    def in_flight(self) -> int:
        return 0

    def calls_for(self, n_prompts: int) -> int:
        return 1 if self._api == "completions" else n_prompts

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        # The run is limited to the rounds answered whole; any other gets no text.
        return self._answers.get(round_number) or RoundResult(choices=[Unusable("batch_error")] * len(prompts))

    async def close(self) -> None:
        return None


def ingest(output_dir: str, results_path: str, *, config_class, out=None, err=None) -> dict:
    """Commit a results file into ``output_dir``; returns generate's summary."""
    from ..pipeline import Generator
    from ..store import RegenStore

    results, problems = read_results(read_text_file(Path(results_path)).encode("utf-8"), source=str(results_path))
    if problems:
        raise DataError(f"{problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    if not results:
        raise DataError(f"{results_path}: no result lines")
    store_dir = Path(output_dir)
    ledger = BatchLedger(store_dir / ".alpaca-gen")
    waves = {r: w for w in ledger.waves.values() if w.prepared_file for r in w.rounds}
    peek = RegenStore(store_dir).peek_state()
    next_round = peek.next_request if peek is not None else 0
    rounds: set[int] = set()
    for cid in results:
        round_no, _ = parse_custom_id(cid)
        if round_no not in waves:
            raise DataError(f"{results_path}: {cid} was never prepared for {output_dir} (alpaca-gen batch prepare)")
        if round_no < next_round:
            raise DataError(f"{results_path}: {cid} was already ingested into {output_dir}")
        rounds.add(round_no)
    for wave in {waves[r].number: waves[r] for r in rounds}.values():
        data = Path(wave.prepared_file).read_bytes() if Path(wave.prepared_file).is_file() else b""
        if _digest(data) != wave.digest:
            raise DataError(f"{wave.prepared_file} changed (or is gone) since it was prepared; its prompts cannot be "
                            "checked")
    settings = dict(waves[min(rounds)].settings)
    config = config_class.from_flags(output_dir=str(output_dir), **settings)
    generator = Generator(config, out=out, err=err)
    answers: dict[int, RoundResult] = {}  # consecutive rounds from the next one that the file answers whole
    calls = 0
    while next_round + len(answers) in waves:
        requests = _lines(generator, [next_round + len(answers)], settings["seed"])
        answered = round_result(requests, results, config.api, config.request_batch_size)
        if answered is None:
            break
        answers[next_round + len(answers)] = answered
        calls += len(requests)
    if not answers:
        raise DataError(f"{results_path} has no complete answer for round {next_round}, the next to commit; "
                        "its lines errored or are missing (prepare it again, or ingest a file that has it)")
    config = config.with_flags(max_requests=calls)
    source = ResultsSource(answers, config.api, config.max_tokens)
    return Generator(config, source=source, out=out, err=err).run()


def describe(prepared: Prepared) -> str:
    engine = (f"vllm run-batch -i {prepared.path} -o results.jsonl --model MODEL (the --model_name given here)"
              if prepared.url.endswith("/chat/completions")
              else "an engine that serves /v1/completions (vllm run-batch takes only chat: prepare with --api chat)")
    first, last = prepared.rounds.start, prepared.rounds.stop - 1
    rounds = f"round {first}" if first == last else f"rounds {first}–{last}"
    return (f"alpaca-gen batch prepare: {prepared.path}: {plural(prepared.requests, 'request')} ({rounds}) for "
            f"{prepared.url}\n  next: {engine}, then "
            f"alpaca-gen batch ingest {prepared.output_dir} results.jsonl")


__all__ = ["Prepared", "ResultsSource", "describe", "ingest", "prepare"]
