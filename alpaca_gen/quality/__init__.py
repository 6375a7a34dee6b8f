"""Quality rules: what no trainer should see, read from all three fields of a record.

The field rules (:mod:`alpaca_gen.filters`) judge the instruction alone, as
Stanford's did. These rules read the input and the output too, and catch what
small models and Stanford's 52K both produce: the next task's labels inside an
output, ``<noinput>`` spellings, placeholder and empty answers, loops, refusals,
our own prompt's sentences, inputs pointing at things the model never saw,
control characters, syllable noise, and (Korean) answers that are not Korean.

Two kinds of rule:

* a **fix** changes a field and the record goes on: an input that only says
  "no input" becomes ``""``; an output that runs on into another task's labels is
  cut where they start (what comes before is the answer; what follows belongs to
  a task whose instruction was lost);
* a **drop** names what is wrong; the record is not kept.

Each rule is one entry of :data:`RULES` with its reason name and a one-line
rationale (the README's table says the same). A rule is a function
``(record, context) -> finding or None`` in the module of its concept; fixes run
first, then drops in order, so the first drop reason is the one a run counts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..records import Record
from .base import Finding, QualityContext, QualityRule
from .characters import control_characters, garbled_hangul
from .content import (
    empty_or_placeholder, placeholder_input, refusal, repeats_prompt, repetition, unfinished, unseen_content,
)
from .language import korean_word_share, output_language
from .prompt_leak import PromptWindows, prompt_leak
from .structure import fix_no_input, fix_output_leak, input_leak, is_no_input, noinput_with_text, structure_leak

__all__ = [
    "Finding", "QualityContext", "QualityResult", "QualityRule", "PromptWindows", "REASONS", "RULES", "judge",
    "is_no_input", "korean_word_share", "structure_leak",
]

ANY = ("en", "ko", "other")  # "other": a script neither English nor Korean (check --lang auto)
BOTH = ("en", "ko")
RULES: tuple[QualityRule, ...] = (
    QualityRule("noinput_marker", "fix", ANY,
                "an input that only says there is none (`<noinput>`, `No input`, `N/A`, `없음`, `입력 없음`) becomes \"\"",
                fix_no_input),
    QualityRule("output_structure_leak", "fix", ANY,
                "an output running on into another task's labels (`5. Input:`, `4. Output: <noinput>`, `###`) is cut there; "
                "dropped when nothing comes before the leak", fix_output_leak),
    QualityRule("input_structure_leak", "drop", ANY,
                "task labels inside the input (or `instruction_structure_leak`, inside the instruction): where one field "
                "ends and the next begins is unknown, so no cut is safe", input_leak),
    QualityRule("noinput_with_text", "drop", ANY,
                "`<noinput>` beside other text: the model was unsure what the input is", noinput_with_text),
    QualityRule("empty_output", "drop", ANY, "nothing to learn from (or `placeholder_output`: `<nooutput>`, `N/A`, "
                "`[Your answer here]`, `<답변>`, `생략`)", empty_or_placeholder),
    QualityRule("placeholder_input", "drop", ANY,
                "an input that is only a bracketed placeholder (`<input>`, `[text]`, `[본문]`): the task has no real input",
                placeholder_input),
    QualityRule("output_repeats_prompt", "drop", ANY,
                "the output is the instruction or the input again (spaces aside; line breaks, case and punctuation count, "
                "so fixing them is still a task)", repeats_prompt),
    QualityRule("repetition", "drop", ANY,
                "a sentence or line three times or more, or six words repeated three times: a decoding loop "
                "(code, markup, short lines and songs are exempt)", repetition),
    QualityRule("refusal", "drop", ANY,
                "refusal and self-reference boilerplate (`As an AI language model…`, `저는 AI 언어 모델로서…`) teaches "
                "the model to refuse", refusal),
    QualityRule("prompt_leak", "drop", ANY,
                "7 words in a row (5 Korean eojeol) of a line of our prompts, or its `N. Instruction:` format "
                "description: the model copied its instructions", prompt_leak),
    QualityRule("unseen_content", "drop", ANY,
                "the input or instruction points at something the model cannot see: `<image>`, an attached photo "
                "(첨부된 사진), a URL whose page must be read", unseen_content),
    QualityRule("control_characters", "drop", ANY,
                "C0/C1 control characters (or `broken_unicode`: U+FFFD, lone surrogates, UTF-8 read as Latin-1)",
                control_characters),
    QualityRule("garbled_hangul", "drop", ANY,
                "a Hangul syllable outside the 2,350 of KS X 1001 (힣 aside): syllable noise of a model that builds "
                "syllables from jamo; real Korean text has none (0 in 52,667 syllables of four Korean corpora)",
                garbled_hangul),
    QualityRule("output_not_korean", "drop", BOTH,
                "ko: under half of the output's words are Korean (code, URLs and answers under four words aside; "
                "translation and code tasks exempt); en (`output_not_english`): mostly another script", output_language),
    QualityRule("unfinished_output", "drop", ANY,
                "the output (or `unfinished_input`, a one-line input) ends with `:`, announcing what never came "
                "(Self-Instruct's rule; analogies such as `A : B :: C :` aside)", unfinished),
)
#: Every reason a quality rule can give (some rules have a second name for a second field).
REASONS = (
    "noinput_marker", "output_structure_leak", "input_structure_leak", "instruction_structure_leak", "noinput_with_text",
    "empty_output", "placeholder_output", "placeholder_input", "output_repeats_prompt", "repetition", "refusal",
    "prompt_leak", "unseen_content", "control_characters", "broken_unicode", "garbled_hangul", "output_not_korean",
    "output_not_english", "unfinished_output", "unfinished_input",
)


@dataclass
class QualityResult:
    record: Record  # with the fixes applied
    fixes: list[Finding] = field(default_factory=list)
    drops: list[Finding] = field(default_factory=list)

    @property
    def drop_reason(self) -> str | None:
        return self.drops[0].reason if self.drops else None


_RULES_FOR = {lang: tuple(rule.apply for rule in RULES if lang in rule.langs) for lang in ANY}


def judge(record: Record, ctx: QualityContext, *, every_reason: bool = False) -> QualityResult:
    """Apply the fixes, then the drop rules; stop at the first drop unless ``every_reason``."""
    result = QualityResult(record)
    for apply in _RULES_FOR[ctx.lang]:
        outcome = apply(result.record, ctx)
        if outcome is None:
            continue
        if isinstance(outcome, tuple):
            result.record, finding = outcome
            result.fixes.append(finding)
            continue
        result.drops.append(outcome)
        if not every_reason:
            break
    return result
