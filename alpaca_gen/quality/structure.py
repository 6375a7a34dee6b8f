"""The self-instruct format seen from inside a field: task labels, separators, ``<noinput>``."""
from __future__ import annotations

import re

from ..records import Record
from .base import Finding, QualityContext, excerpt

_LABEL_WORDS = r"(?:Instruction|Input|Output|지시문|지시|명령어|명령|입력|출력|응답)"
# "5. Input:", "**5. Output:**", "5) 입력:" at the start of a line; group 1 the number, 2 the label.
_NUMBERED_LABEL = re.compile(
    rf"(?im)^[ \t>*#-]*(?:\*\*)?(\d{{1,3}})[ \t]*[.)][ \t]*(?:\*\*)?[ \t]*({_LABEL_WORDS})[ \t]*(?:\*\*)?[ \t]*[:：]"
)
_BARE_INSTRUCTION = re.compile(r"(?im)^[ \t>*#-]*(?:\*\*)?(?:Instruction|지시문)[ \t]*(?:\*\*)?[ \t]*[:：]")
_SEPARATOR_LINE = re.compile(r"(?m)^[ \t]*#{3,}[ \t]*$")
_MARKER_LINE = re.compile(r"(?im)^[ \t]*<\s*(?:no[\s_-]*(?:input|output)|입력\s*없음|출력\s*없음)\s*>[ \t]*$")
_MARKER_AFTER = re.compile(r"\s*<\s*no[\s_-]*(?:input|output)\s*>", re.I)
_INSTRUCTION_WORDS = ("instruction", "지시문", "지시", "명령")
# The parser joins an instruction into one line, so labels inside it are found anywhere in it.
_INLINE_LABEL = re.compile(
    rf"(?i)(?:^|[\s*#>])(?:\*\*)?\d{{1,3}}[ \t]*[.)][ \t]*(?:\*\*)?[ \t]*{_LABEL_WORDS}[ \t]*(?:\*\*)?[ \t]*[:：]|(?:^|\s)#{{3,}}(?:\s|$)"
)


def structure_leak(text: str, field: str | None = None) -> int | None:
    """Where another task's structure starts inside a field, or None.

    A leak is what the self-instruct format looks like from inside: a numbered
    ``N. Instruction:`` label, a ``###`` separator line with text after it, a
    ``<noinput>`` line, or a numbered Input/Output label that cannot be part of an
    answer: one alone on its line (the format puts the field on the next line), the
    field's own label opening it (``field`` is "input" or "output"), one followed by
    ``<noinput>``, an Input and an Output with the same number, or an Output label
    followed by an Input label (the next task has begun). "1. Input: a list / 2.
    Output: the sorted list" in a list of steps is not one.
    """
    if not text:
        return None
    found: list[int] = []
    if ":" in text or "：" in text:
        numbered = list(_NUMBERED_LABEL.finditer(text))
        by_number: dict[str, set[str]] = {}
        first_output = None
        for match in numbered:
            label = match.group(2).lower()
            kind = "instruction" if label in _INSTRUCTION_WORDS else ("input" if label in ("input", "입력") else "output")
            alone = text[match.end(): match.end() + 1] in ("\n", "")
            # The field opens with its own label: the model wrote it twice ("4. Output: No.").
            relabelled = kind == field and not text[: match.start()].strip()
            if kind == "instruction" or alone or relabelled or _MARKER_AFTER.match(text, match.end()):
                found.append(match.start())
                break
            kinds = by_number.setdefault(match.group(1), set())
            kinds.add(kind)
            if len(kinds) == 2:
                found.append(min(m.start() for m in numbered if m.group(1) == match.group(1)))
                break
            if kind == "output" and first_output is None:
                first_output = match.start()
            elif kind == "input" and first_output is not None:
                found.append(first_output)  # an Output, then an Input: the next task has begun
                break
        bare = _BARE_INSTRUCTION.search(text)
        if bare:
            found.append(bare.start())
    if "#" in text:
        for match in _SEPARATOR_LINE.finditer(text):
            if text[match.end():].strip():
                found.append(match.start())
                break
    if "<" in text:
        marker = _MARKER_LINE.search(text)
        if marker and text[: marker.start()].strip():
            found.append(marker.start())
    return min(found) if found else None


# "No input" in its many spellings: the whole input says there is none.
_NO_INPUT = re.compile(
    r"""^[\s<\[({"'`「『]*(?:
        no[\s_-]*input(?:\s+(?:needed|required|provided|given))?|noinput|n/?a|none|nil|null|empty|not\s+applicable|
        no[\s_-]*input[\s_-]*required|입력\s*(?:값\s*)?없음|입력이?\s*없(?:음|습니다)|입력\s*불필요|없음|없습니다|해당\s*없음|-+|—+
    )[\s>\])}"'`」』.]*$""",
    re.I | re.X,
)
# An explicit marker (in brackets) with text beside it: the model was unsure what the input is.
_MARKER_WITH_TEXT = re.compile(r"<\s*(?:no[\s_-]*input|입력\s*없음)\s*>", re.I)
_DECORATION = " \t\n`'\"*_."


def is_no_input(text: str) -> bool:
    """Does the whole input say that there is no input (``<noinput>``, ``N/A``, ``없음``, …)?"""
    stripped = text.strip()
    return bool(stripped) and len(stripped) <= 40 and bool(_NO_INPUT.match(stripped))


def fix_no_input(record: Record, ctx: QualityContext):
    if record.input and is_no_input(record.input):
        return record.with_fields(input=""), Finding("noinput_marker", "input", "fix", excerpt(record.input))
    return None


def fix_output_leak(record: Record, ctx: QualityContext):
    at = structure_leak(record.output, "output")
    if at is None:
        return None
    kept = record.output[:at].rstrip()
    if not kept.strip():  # nothing before the leak: the whole output belongs to another task
        return Finding("output_structure_leak", "output", "drop", excerpt(record.output, at))
    return record.with_fields(output=kept), Finding("output_structure_leak", "output", "fix", excerpt(record.output, at))


def input_leak(record: Record, ctx: QualityContext):
    at = structure_leak(record.input, "input")
    if at is not None:
        return Finding("input_structure_leak", "input", "drop", excerpt(record.input, at))
    instruction = record.instruction
    match = _INLINE_LABEL.search(instruction) if (":" in instruction or "#" in instruction) else None
    at = match.start() if match else structure_leak(instruction)
    if at is not None:
        return Finding("instruction_structure_leak", "instruction", "drop", excerpt(instruction, at))
    return None


def noinput_with_text(record: Record, ctx: QualityContext):
    match = _MARKER_WITH_TEXT.search(record.input) if "<" in record.input else None
    if match and (record.input[: match.start()].strip(_DECORATION) or record.input[match.end():].strip(_DECORATION)):
        return Finding("noinput_with_text", "input", "drop", excerpt(record.input))
    return None
