"""Render the self-instruct prompt: a header, then example tasks as a numbered list.

Examples are written ``###\\nN. Instruction: …\\nN. Input:\\n…\\nN. Output:\\n…``
(Stanford Alpaca's layout, so its prompt.txt also works with ``--prompt_path``).
The completions prompt ends at ``###\\nK. Instruction:`` and the model carries on
from task K; for chat models the same list goes in a user message followed by a
request to continue it in the same format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import NoInputError, UsageError
from .resources import prompt_path
from .seeds import SeedTask

NUM_TASKS = 20

_CONTINUE = {
    "en": (
        "Continue the list above with tasks {k} to {n}, in exactly the same format: every task has "
        '"N. Instruction:", "N. Input:" and "N. Output:" lines, and tasks are separated by "###". '
        "Reply with the list only."
    ),
    "ko": (
        "위 목록에 이어서 {k}번부터 {n}번까지의 과제를 똑같은 형식으로 써 주세요. 과제마다 "
        '"N. Instruction:", "N. Input:", "N. Output:" 줄이 있고, 과제 사이는 "###"로 구분합니다. '
        "목록 말고 다른 말은 덧붙이지 마세요."
    ),
}
_CROSS_LANG = {
    "en": "The examples below are in another language; write every new task (instruction, input and output) in English.",
    "ko": "아래 예시는 다른 언어로 되어 있지만, 새 과제는 지시문, 입력, 출력 모두 한국어로 써 주세요.",
}


@dataclass(frozen=True)
class PromptTemplate:
    lang: str
    header: str
    num_tasks: int = NUM_TASKS
    source: str = ""


def load_template(lang: str, path: str | Path | None = None) -> PromptTemplate:
    file = Path(path) if path else prompt_path(lang)
    try:
        header = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NoInputError(f"prompt file not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NoInputError(f"cannot read prompt file {file}: {exc}") from None
    if not header.strip():
        raise UsageError(f"prompt file is empty: {file}")
    # The header's last line ("List of 20 tasks:", "과제 20개:") says how many tasks
    # to ask for, which decides where generation stops.
    last_line = header.strip().splitlines()[-1]
    asked = re.findall(r"(?<!\d)(\d{1,3})(?!\d)", last_line)
    num_tasks = int(asked[-1]) if asked and 3 < int(asked[-1]) <= 100 else NUM_TASKS
    return PromptTemplate(lang=lang, header=header.rstrip("\n"), num_tasks=num_tasks, source=str(file))


def render_examples(tasks: list[SeedTask]) -> str:
    parts = []
    for number, task in enumerate(tasks, start=1):
        instruction = re.sub(r"\s+", " ", task.instruction).strip().rstrip(":")
        task_input = task.input if task.input.strip() else "<noinput>"
        parts.append(
            f"###\n{number}. Instruction: {instruction}\n{number}. Input:\n{task_input}\n{number}. Output:\n{task.output}\n"
        )
    return "".join(parts)


def _header(template: PromptTemplate, cross_lang: bool) -> str:
    if cross_lang:
        return template.header + "\n" + _CROSS_LANG[template.lang]
    return template.header


def render_completion_prompt(template: PromptTemplate, tasks: list[SeedTask], *, cross_lang: bool = False) -> str:
    k = len(tasks) + 1
    return f"{_header(template, cross_lang)}\n{render_examples(tasks)}###\n{k}. Instruction:"


def render_chat_prompt(template: PromptTemplate, tasks: list[SeedTask], *, cross_lang: bool = False) -> str:
    k = len(tasks) + 1
    ask = _CONTINUE[template.lang].format(k=k, n=template.num_tasks)
    return f"{_header(template, cross_lang)}\n{render_examples(tasks)}###\n\n{ask}"


def stop_sequences(template: PromptTemplate) -> list[str]:
    # Stanford stopped at "20." anywhere, which also fires on "$20." inside an output
    # and keeps the cut task; anchoring on the label stops only at task 20 itself.
    return [f"\n{template.num_tasks}. Instruction:"]


def shipped_prompt_texts() -> list[str]:
    """Every sentence our prompts send, in both languages: what a record must not quote."""
    texts = [load_template(lang).header for lang in ("en", "ko")]
    texts += [text.format(k="", n="") for text in _CONTINUE.values()]
    texts += list(_CROSS_LANG.values())
    return texts
