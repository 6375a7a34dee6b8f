"""What happens to an answered round: parse → fields → quality → similarity → target.

A round is ``request_batch_size`` prompts. Its prompts depend only on (seed, prompt
number), so any answer source may answer them in any order; the run processes
rounds strictly in round order, which makes the kept records independent of
concurrency and of where the answers came from. Every stage counts what entered
it, what it passed on and what it dropped (:mod:`alpaca_gen.funnel`).
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable

from .answers import RoundResult, Unusable
from .funnel import Funnel
from .gate import RecordGate
from .parse import parse_completion
from .records import Record
from .seeds import SeedTask
from .similarity import NearDuplicateIndex

#: After this many rounds in a row that kept nothing, warn; again at twice as many, and so
#: on, so that a run left stalled overnight logs a handful of warnings, not thousands.
IDLE_WARNING_ROUNDS = 20


def sample_prompt_seeds(seeds: list[SeedTask], seed: int, prompt_number: int, k: int) -> list[SeedTask]:
    """The example tasks of prompt ``prompt_number``: a function of (seed, prompt number) only."""
    rng = random.Random(f"alpaca-gen:{seed}:{prompt_number}")
    return rng.sample(seeds, min(k, len(seeds)))


@dataclass(frozen=True)
class RoundPrompt:
    examples: list[SeedTask]
    text: str


@dataclass
class AnsweredRound:
    number: int
    first: int  # position of its first prompt in the round (a round cut by --max_requests resumes mid-way)
    prompts: list[RoundPrompt]
    result: RoundResult


class RoundProcessor:
    """Turns answered rounds into records to keep, counting every stage in ``funnel``."""

    def __init__(self, *, lang: str, api: str, model: str, num_prompt_instructions: int, index: NearDuplicateIndex,
                 gate: RecordGate, funnel: Funnel, similarity_stats: bool, warn: Callable[[str], None]):
        self.lang = lang
        self.api = api
        self.model = model
        # The completions prompt ends at "K. Instruction:"; the model carries on from task K.
        self.next_number = num_prompt_instructions + 1 if api == "completions" else None
        self.index = index
        self.gate = gate
        self.funnel = funnel
        self.similarity_stats = similarity_stats
        self.warn = warn
        self.idle_rounds = 0
        self.next_idle_warning = IDLE_WARNING_ROUNDS
        #: --save_rejects: a list that gets one dict per drop (:meth:`_reject`), in round order; None: not kept.
        self.rejects: list[dict] | None = None

    def _reject(self, stage: str, reason: str, answered: AnsweredRound, position: int, **what) -> None:
        """One drop, for --save_rejects: where it came from and what it was."""
        if self.rejects is not None:
            self.rejects.append({"stage": stage, "reason": reason, "request": answered.number,
                                 "prompt": answered.first + position, **what})

    def process(self, answered: AnsweredRound, room: int) -> list[Record]:
        """The round's records to keep, at most ``room`` of them."""
        candidates = self._judge(self._parse(answered), answered)
        kept = self._select(candidates, answered, room)
        if kept:
            self.idle_rounds, self.next_idle_warning = 0, IDLE_WARNING_ROUNDS
        else:
            self.idle_rounds += 1
        if self.idle_rounds == self.next_idle_warning:
            self.next_idle_warning *= 2
            self.warn(
                f"the last {self.idle_rounds} rounds kept nothing: the model keeps repeating tasks already in the pool. "
                "Consider a higher --temperature, more or other seed tasks, or stopping here"
            )
        return kept

    def _parse(self, answered: AnsweredRound) -> list[tuple[Record, int]]:
        """Tasks out of the round's completions, with the prompt position each came from."""
        completions, parse = self.funnel["completions"], self.funnel["parse"]
        tasks = []
        for position, choice in enumerate(answered.result.choices):
            completions.entered += 1
            if isinstance(choice, Unusable):
                completions.drop(choice.reason)
                self._reject("completions", choice.reason, answered, position, text=None)
                continue
            parsed = parse_completion(choice.text, choice.finish_reason, next_number=self.next_number, lang=self.lang)
            if not parsed.blocks:
                completions.drop("no_tasks_in_completion")
                self._reject("completions", "no_tasks_in_completion", answered, position, text=choice.text,
                             finish_reason=choice.finish_reason)
                continue
            completions.passed += 1
            parse.entered += parsed.blocks
            parse.dropped.update(parsed.dropped)
            parse.passed += len(parsed.tasks)
            for reason, block in parsed.rejected:
                self._reject("parse", reason, answered, position, text=block, finish_reason=choice.finish_reason)
            tasks.extend((task, position) for task in parsed.tasks)
        return tasks

    def _judge(self, tasks: list[tuple[Record, int]], answered: AnsweredRound) -> list[tuple[Record, int]]:
        fields, quality = self.funnel["fields"], self.funnel["quality"]
        passed = []
        for task, position in tasks:
            fields.entered += 1
            verdict = self.gate.judge(task)
            stage, finding = verdict.drops[0] if verdict.drops else (None, None)
            if stage == "fields":
                fields.drop(finding.reason)
                self._reject("fields", finding.reason, answered, position, task=_fields(task))
                continue
            fields.passed += 1
            quality.entered += 1
            if stage == "quality":
                quality.drop(finding.reason)
                self._reject("quality", finding.reason, answered, position, task=_fields(task), field=finding.field)
                continue
            quality.passed += 1
            for fix in verdict.fixes:
                quality.fixed[fix.reason] += 1
            passed.append((verdict.record, position))
        return passed

    def _select(self, candidates: list[tuple[Record, int]], answered: AnsweredRound, room: int) -> list[Record]:
        # Near-duplicates: each candidate against the seeds, everything kept so far and
        # the candidates of this round kept before it (Stanford's rule); one vectorised call.
        similarity, target = self.funnel["similarity"], self.funnel["target"]
        similarity.entered += len(candidates)
        kept: list[Record] = []
        if not candidates:
            return kept
        verdicts = self.index.offer_many([record.instruction for record, _ in candidates])
        for (record, position), verdict in zip(candidates, verdicts):
            if verdict.duplicate:
                similarity.drop("near_duplicate")
                # Unrounded: a score of 0.7000000000000001 is above 0.7, and the file must show it.
                self._reject("similarity", "near_duplicate", answered, position, task=_fields(record),
                             similar_to=verdict.best_text, rouge_l_f1=float(verdict.best_score))
                continue
            similarity.passed += 1
            target.entered += 1
            if len(kept) >= room:
                target.drop("over_target")  # the run ends with this round
                self._reject("target", "over_target", answered, position, task=_fields(record))
                continue
            target.passed += 1
            prompt = answered.prompts[position]
            kept.append(record.with_fields(
                most_similar_instructions=verdict.most_similar if self.similarity_stats else None,
                avg_similarity_score=verdict.avg_similarity if self.similarity_stats else None,
                provenance={
                    "lang": self.lang, "model": self.model, "api": self.api, "request": answered.number,
                    "prompt": answered.first + position, "seed_task_ids": [t.id for t in prompt.examples],
                },
            ))
        return kept


def _fields(record: Record) -> dict:
    return {"instruction": record.instruction, "input": record.input, "output": record.output}
