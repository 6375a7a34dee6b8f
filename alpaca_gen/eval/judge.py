"""``eval judge A.jsonl B.jsonl``: an LLM judge compares two models' answers, item by item.

Items are paired by id. Each pair is one round of two prompts, the answers shown in both
orders (A first, then B first); a verdict the judge does not state in the asked form is
asked again (``--unparsed_retries`` times, with a reminder), then counted as unparsed.
The two orders combine as :mod:`.verdicts` says. On a Korean item an answer that is not
Korean (the ``output_not_korean`` rule, translation and code tasks aside) loses unless
both are not. Judgments go to a JSONL file, one line per item with both raw verdicts,
in item order, with the same resume and exactly-once guarantees as ``respond``.
"""
from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from ..answers import Choice, RoundResult, Unusable
from ..errors import DataError, UsageError
from ..funnel import Funnel
from ..identity import InputIdentity, object_hash
from ..jobs import RecordJob
from ..quality.base import QualityContext
from ..quality.language import output_language
from ..records import Record, read_objects, read_text_file
from ..resources import data_path
from ..rounds import AnsweredRound
from .verdicts import combine, parse_verdict, side

REMINDER = {
    "en": "\n\nEnd your reply with one line holding only [[1]], [[2]] or [[tie]].",
    "ko": "\n\n답의 마지막 줄에는 [[1]], [[2]], [[tie]] 가운데 하나만 쓰세요.",
}
#: --verdict_only: the last paragraph of the judge prompt, and (completions) where the prompt stops.
VERDICT_ONLY = {
    "en": "Reply with the verdict alone: [[1]] if answer 1 is better, [[2]] if answer 2 is better, or [[tie]].",
    "ko": "판정만 쓰세요. 답변 1이 낫다면 [[1]], 답변 2가 낫다면 [[2]], 무승부라면 [[tie]]입니다.",
}
VERDICT_OPENING = {"en": "\n\nVerdict: [[", "ko": "\n\n판정: [["}
#: Batch custom_ids of a retry: the round number plus this, per attempt (never a real round).
RETRY_ROUND_OFFSET = 10_000_000


class JudgeFunnel(Funnel):
    NAMES: ClassVar[tuple[str, ...]] = ("verdicts", "items")
    CHAINED: ClassVar[tuple[str, ...]] = ()
    PASSED_AS: ClassVar[dict[str, str]] = {"verdicts": "parsed", "items": "decided or tied"}
    KEPT: ClassVar[str] = "items"
    CANDIDATES: ClassVar[str] = "verdicts"
    DROPPED_AS: ClassVar[str] = "unparsed"


@dataclass(frozen=True)
class AnswerPair:
    id: str
    lang: str
    instruction: str
    input: str
    a: str
    b: str


@dataclass
class AnswersFile:
    path: Path
    label: str  # what the summary calls the model: the file's name without .jsonl
    model: str  # the model that wrote it, when the file says
    by_id: dict  # id -> Record


def read_answers(path: str | Path) -> AnswersFile:
    raw = read_objects(path)
    by_id, models = {}, set()
    for position, (obj, where) in enumerate(zip(raw.objects, raw.locations)):
        try:
            record = Record.from_dict(obj)
        except ValueError as exc:
            raise DataError(f"{where}: {exc}") from None
        by_id[str(obj.get("id", position))] = record
        model = ((record.provenance or {}).get("respond") or {}).get("model")
        if model:
            models.add(model)
    if not by_id:
        raise DataError(f"{raw.path}: no answers")
    return AnswersFile(raw.path, raw.path.stem, ", ".join(sorted(models)), by_id)


def pair_answers(a: AnswersFile, b: AnswersFile) -> list[AnswerPair]:
    pairs = []
    for item_id, ra in a.by_id.items():
        rb = b.by_id.get(item_id)
        if rb is None:
            continue
        if ra.instruction != rb.instruction or ra.input != rb.input:
            raise DataError(f"item {item_id!r} has another instruction or input in {b.path} than in {a.path}: "
                            "answers of two eval sets cannot be compared")
        lang = ra.lang or "en"
        pairs.append(AnswerPair(item_id, lang, ra.instruction, ra.input, ra.output, rb.output))
    if not pairs:
        raise DataError(f"{a.path} and {b.path} share no item id")
    return pairs


def judge_template(lang: str, path: str | None, *, verdict_only: bool = False, api: str = "chat") -> str:
    text = read_text_file(path, "judge prompt") if path else read_text_file(
        data_path("prompts") / f"judge.{lang if lang == 'ko' else 'en'}.txt", "judge prompt")
    for name in ("{instruction}", "{input}", "{answer_1}", "{answer_2}"):
        if name not in text:
            raise UsageError(f"the judge prompt {path or 'shipped'} must hold {name}")
    if verdict_only:
        # The shipped prompts end with the paragraph that asks for reasoning first: replace it.
        body = text.rstrip().rsplit("\n\n", 1)[0] if not path else text.rstrip()
        text = body + "\n\n" + VERDICT_ONLY[lang] + (VERDICT_OPENING[lang] if api == "completions" else "\n")
    return text


def not_korean(pair: AnswerPair, answer: str) -> bool:
    return output_language(Record(pair.instruction, pair.input, answer), QualityContext("ko")) is not None


class UnparsedRetry:
    """An answer source that asks again, with a reminder, for verdicts it cannot read."""

    def __init__(self, inner, reminder_for, retries: int, read=parse_verdict):
        # reminder_for(round) -> the text added to a prompt asked again; read(text) -> the verdict or None
        self.inner, self.reminder_for, self.retries, self.read = inner, reminder_for, retries, read
        self._cut_short: list[RoundResult] = []  # rounds answered, then stopped while asking again

    @property
    def max_tokens(self) -> int:
        return self.inner.max_tokens

    @property
    def in_flight(self) -> int:
        return self.inner.in_flight

    def calls_for(self, n_prompts: int) -> int:
        return self.inner.calls_for(n_prompts)

    async def close(self) -> None:
        await self.inner.close()

    def take_cut_short(self) -> list[RoundResult]:
        """What the stop cut short, here (a first answer whose retry was cancelled) and in the inner source."""
        taken, self._cut_short = self._cut_short, []
        return taken + list(getattr(self.inner, "take_cut_short", list)())

    async def answer(self, prompts: list[str], round_number: int | None = None) -> RoundResult:
        result = await self.inner.answer(prompts, round_number=round_number)
        try:
            return await self._ask_again(prompts, round_number, result)
        except asyncio.CancelledError:  # the first answers were billed: keep their usage
            self._cut_short.append(result)
            raise

    async def _ask_again(self, prompts: list[str], round_number: int | None, result: RoundResult) -> RoundResult:
        choices = list(result.choices)
        reminder = self.reminder_for(round_number)
        for attempt in range(1, self.retries + 1):
            again = [k for k, c in enumerate(choices) if not isinstance(c, Choice) or self.read(c.text) is None]
            if not again:
                break
            asked = [type(prompts[k])(str(prompts[k]) + reminder, prompts[k].system)
                     if getattr(prompts[k], "system", None) else prompts[k] + reminder for k in again]
            number = None if round_number is None else round_number + attempt * RETRY_ROUND_OFFSET
            extra = await self.inner.answer(asked, round_number=number)
            for k, choice in zip(again, extra.choices):
                choices[k] = choice
            result.api_calls += extra.api_calls
            result.retries += extra.retries + len(again)
            result.prompt_tokens += extra.prompt_tokens
            result.completion_tokens += extra.completion_tokens
        result.choices = choices
        return result


class Judge(RecordJob):
    COMMAND = "eval-judge"
    FUNNEL = JudgeFunnel
    UNIT = "item"
    FAILED = ("items",)  # an item's verdicts are counted per order in "verdicts"

    def __init__(self, options, **kw):
        super().__init__(options, **kw)
        o = self.options
        if Path(o.answers_a).resolve() == Path(o.answers_b).resolve():
            raise UsageError("eval judge compares two answers files; both are " + str(o.answers_a))
        self.a, self.b = read_answers(o.answers_a), read_answers(o.answers_b)
        if self.a.label == self.b.label:
            self.a.label, self.b.label = f"A:{self.a.label}", f"B:{self.b.label}"
        self.pairs = pair_answers(self.a, self.b)
        unpaired = len(self.a.by_id) + len(self.b.by_id) - 2 * len(self.pairs)
        if unpaired:
            self.warn(f"{len(self.pairs)} items are in both files; {len(self.a.by_id) - len(self.pairs)} of "
                      f"{self.a.path.name} and {len(self.b.by_id) - len(self.pairs)} of {self.b.path.name} have no "
                      "partner and are not judged")
        self.item_count = len(self.pairs)
        self.selected = list(range(len(self.pairs)))
        default = self.a.path.parent / f"judge-{self.a.path.stem}-vs-{self.b.path.stem}.jsonl"
        self.output = Path(o.output) if o.output else default
        if self.output.suffix.lower() != ".jsonl":
            raise UsageError(f"--output {self.output}: judgments are JSONL; name the file .jsonl")
        for source in (self.a.path, self.b.path):
            if self.output.resolve() == source.resolve():
                raise UsageError(f"--output must differ from the answers file {source}")
        self.templates = {lang: judge_template(lang, o.judge_prompt, verdict_only=o.verdict_only, api=o.api)
                          for lang in ("en", "ko")}
        # The prompt stops inside the verdict mark: the completion is read as its rest.
        self.opened = o.verdict_only and o.api == "completions"

    def render(self, pair: AnswerPair, first: str, second: str) -> str:
        template = self.templates["ko" if pair.lang == "ko" else "en"]
        none = "(없음)" if pair.lang == "ko" else "(none)"
        return template.format_map({"instruction": pair.instruction, "input": pair.input or none,
                                    "answer_1": first, "answer_2": second})

    def prompts_for(self, position: int) -> list[str]:
        pair = self.pairs[position]
        return [self.render(pair, pair.a, pair.b), self.render(pair, pair.b, pair.a)]

    def _make_source(self, max_tokens, store):
        return UnparsedRetry(super()._make_source(max_tokens, store), self.reminder_for, self.options.unparsed_retries,
                             read=self.read_verdict)

    def read_verdict(self, text: str) -> str | None:
        return parse_verdict("[[" + text.lstrip() if self.opened and text else text)

    def reminder_for(self, round_number: int | None) -> str:
        if self.opened:
            return ""  # the prompt ends inside the mark: asked again as it was
        lang = self.pairs[self.selected[round_number]].lang if round_number is not None else "en"
        return REMINDER["ko" if lang == "ko" else "en"]

    def identity(self) -> InputIdentity:
        o = self.options
        hashes = [object_hash([p.id, p.instruction, p.input, p.a, p.b]) for p in self.pairs]
        digest = hashlib.blake2b("\x00".join(self.templates.values()).encode("utf-8"), digest_size=8).hexdigest()
        recipe = {"--judge_model": self.model, "--api": o.api, "judge prompt": digest, "--verdict_only": o.verdict_only,
                  "--temperature": o.temperature, "--top_p": o.top_p,
                  "A": self.a.label,
                  "B": self.b.label}
        return InputIdentity(f"{self.a.path} vs {self.b.path}", hashes, recipe)

    def locations(self) -> list[str]:
        return [f"item {p.id}" for p in self.pairs]

    def settings(self) -> dict:
        return {"answers_a": str(self.a.path), "answers_b": str(self.b.path), **super().settings(),
                "judge_prompt": self.options.judge_prompt or "shipped"}

    def build(self, position: int, answered: AnsweredRound, run_id: str) -> list:
        pair = self.pairs[position]
        f = self.stats.funnel
        texts, marks = [], []
        for choice in answered.result.choices:
            text = choice.text if isinstance(choice, Choice) else ""
            texts.append(text)
            marks.append(self.read_verdict(text))
            f["verdicts"].entered += 1
            if marks[-1] is None:
                f["verdicts"].drop("unparsed" if isinstance(choice, Choice) else choice.reason)
            else:
                f["verdicts"].passed += 1
        ab, ba = side(marks[0], "ab"), side(marks[1], "ba")
        winner, consistent = combine(ab, ba)
        rule = None
        if pair.lang == "ko":
            foreign = (not_korean(pair, pair.a), not_korean(pair, pair.b))
            if foreign[0] != foreign[1]:
                winner, rule = ("b" if foreign[0] else "a"), "not_korean"
        f["items"].entered += 1
        if winner == "unparsed":
            f["items"].drop("unparsed")
        else:
            f["items"].passed += 1
        return [{
            "id": pair.id, "lang": pair.lang, "instruction": pair.instruction, "input": pair.input,
            "model_a": self.a.label, "model_b": self.b.label, "judge": self.model, "winner": winner,
            "consistent": consistent, "rule": rule, "verdict_ab": ab, "verdict_ba": ba,
            "raw_ab": texts[0], "raw_ba": texts[1], "length_a": answer_length(pair.a, pair.lang),
            "length_b": answer_length(pair.b, pair.lang),
        }]

    def outcome(self, store, run, totals, elapsed, stopped):
        from .outcome import JudgeOutcome

        return JudgeOutcome(self, store, totals, elapsed, stopped)

    def dry_run(self) -> dict:
        from .outcome import print_judge_dry_run

        return print_judge_dry_run(self, self.out)


def answer_length(text: str, lang: str) -> int:
    """Words (en), or characters without spaces (ko): what the summary sets beside the win rate."""
    return len(text.split()) if lang != "ko" else len("".join(text.split()))


__all__ = ["Judge", "UnparsedRetry", "parse_verdict", "pair_answers", "read_answers", "Unusable"]
