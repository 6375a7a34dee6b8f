"""Split a completion into numbered tasks: ``N. Instruction / N. Input / N. Output``.

Stanford's parser splits on ``###`` and expects task numbers to count up from
the prompt's next number; one skipped or repeated number drops every later task,
and a ``###`` inside an output empties it. Here each task starts at a line of the
form ``N. Instruction:`` with any N, and runs to the next such line, so numbering
slips cost nothing and ``###`` is only a separator where it stands alone at the end
of a task. Everything dropped is counted under a reason; tasks come out as
:class:`~alpaca_gen.records.Record` values for the rules that follow.

The input ``<noinput>`` (the format's own word for "none") becomes ``""`` here;
other spellings (``No input``, ``N/A``, ``없음``) are the quality rules' to fix and count.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .records import Record
from .text import normalize_space

_NUM = r"(?:\*\*)?(\d{1,3})[ \t]*[.)][ \t]*(?:\*\*)?[ \t]*"
_COLON = r"[ \t]*(?:\*\*)?[ \t]*[:：][ \t]*(?:\*\*)?"
_INSTRUCTION = re.compile(rf"(?im)^[ \t>#*-]*{_NUM}(?:Instruction|지시문|지시|명령어|명령){_COLON}")
_INPUT_NUMBERED = re.compile(rf"(?im)^[ \t>*-]*{_NUM}(?:Input|입력){_COLON}")
_OUTPUT_NUMBERED = re.compile(rf"(?im)^[ \t>*-]*{_NUM}(?:Output|출력|응답){_COLON}")
_INPUT_BARE = re.compile(rf"(?im)^[ \t>*-]*(?:\*\*)?(?:Input|입력){_COLON}")
_OUTPUT_BARE = re.compile(rf"(?im)^[ \t>*-]*(?:\*\*)?(?:Output|출력|응답){_COLON}")
# A separator line ("###", "##", "---") left at the end of a task, or the "**" a bold label
# ("**5. Input:**") leaves on the line before it.
_TRAILING_SEPARATOR = re.compile(r"(?:(?:^|\n)[ \t]*(?:#{2,}|-{3,}|\*{2,})[ \t]*)+\s*$")
_SEPARATOR_LINE = re.compile(r"\n[ \t]*#{2,}[ \t]*(?:\n|$)")
_NOINPUT = re.compile(r"^<\s*no[\s_]?input\s*>$", re.I)


@dataclass
class ParseResult:
    tasks: list[Record] = field(default_factory=list)
    #: The task number each task had in the completion.
    numbers: list[int] = field(default_factory=list)
    #: Task blocks found (each one is a task or a drop).
    blocks: int = 0
    dropped: Counter = field(default_factory=Counter)
    #: (reason, the task block's text from its ``N. Instruction:`` label on) of each drop, in order.
    rejected: list = field(default_factory=list)

    def drop(self, reason: str, block: str) -> None:
        self.dropped[reason] += 1
        self.rejected.append((reason, block))


def _clean_block(text: str) -> str:
    text = text.strip()
    if text.endswith(("#", "-", "*")):  # only then can a separator line end it (the regex is the slow part)
        text = _TRAILING_SEPARATOR.sub("", text).strip()
    return text


def _find_label(numbered: re.Pattern, bare: re.Pattern, block: str, number: str, start: int = 0):
    """The label of this task: ``N. Input:`` with the task's own number first, then
    any numbered label, then a bare ``Input:``. Preferring numbered labels keeps
    "Input: 3 / Output: 9" example lines inside an input from being taken as labels."""
    matches = list(numbered.finditer(block, start))
    for match in matches:
        if match.group(1) == number:
            return match
    if matches:
        return matches[0]
    return bare.search(block, start)


def parse_completion(text: str, finish_reason: str | None, *, next_number: int | None = None,
                     lang: str | None = None) -> ParseResult:
    """Parse one choice's text.

    ``next_number`` is given for the completions API, whose prompt ends with
    ``K. Instruction:``: the completion starts in the middle of task K, so the
    label is put back before parsing. Chat replies carry their own labels.
    """
    result = ParseResult()
    if next_number is not None:
        text = f"{next_number}. Instruction:" + text
    starts = list(_INSTRUCTION.finditer(text))
    result.blocks = len(starts)
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        block = text[start.end():end]
        raw = text[start.start():end]
        is_last = i == len(starts) - 1
        if is_last and finish_reason == "length" and not _SEPARATOR_LINE.search(block):
            # The model ran out of tokens inside its last task. A task already closed
            # by "###" is complete even if the cut came later (Stanford keeps it too).
            result.drop("truncated", raw)
            continue
        number = start.group(1)
        input_label = _find_label(_INPUT_NUMBERED, _INPUT_BARE, block, number)
        output_label = _find_label(_OUTPUT_NUMBERED, _OUTPUT_BARE, block, number, input_label.end() if input_label else 0)
        if input_label is None or output_label is None:
            result.drop("malformed", raw)
            continue
        instruction = normalize_space(_clean_block(block[: input_label.start()]))
        task_input = _clean_block(block[input_label.end(): output_label.start()])
        output = block[output_label.end():]
        separator = _SEPARATOR_LINE.search(output)
        if separator:
            # A line of only "###" ends the task; "### Heading" inside an output does not.
            output = output[: separator.start()]
        output = _clean_block(output)
        if _NOINPUT.match(task_input):
            task_input = ""
        if not instruction:
            result.drop("empty_instruction", raw)
            continue
        if not output:
            result.drop("empty_output", raw)
            continue
        result.tasks.append(Record(instruction, task_input, output, lang=lang))
        result.numbers.append(int(number))
    return result
