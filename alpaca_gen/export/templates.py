"""Training prompt templates: how a record becomes the text a model is trained to continue.

A template is a pair, ``prompt_input`` (records with an input) and ``prompt_no_input``,
with ``{instruction}`` and ``{input}`` placeholders; the output follows the prompt
directly. The defaults are written here, in English and in Korean, and end the prompt
with a newline after the response header, as axolotl's and torchtune's Alpaca prompts
do. Stanford's train.py ends at ``### Response:`` with no newline; ``--template`` takes
a JSON file with the two keys, so its template (or any trainer's) can be dropped in.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..records import read_text_file


@dataclass(frozen=True)
class PromptTemplate:
    prompt_input: str
    prompt_no_input: str
    source: str = "built in"

    def render(self, instruction: str, task_input: str) -> str:
        template = self.prompt_input if task_input != "" else self.prompt_no_input
        return template.format_map({"instruction": instruction, "input": task_input})


DEFAULT_TEMPLATES = {
    "en": PromptTemplate(
        "The task below comes with an instruction and an input that gives it context. Read both, then write "
        "the reply that carries out the task.\n\n### Instruction:\n{instruction}\n\n### Input:\n{input}\n\n### Response:\n",
        "Carry out the task that the instruction below describes, and write the reply.\n\n"
        "### Instruction:\n{instruction}\n\n### Response:\n",
    ),
    "ko": PromptTemplate(
        "아래에 과제를 설명하는 지시문과, 과제에 필요한 내용을 담은 입력이 있습니다. 둘을 읽고 과제를 수행한 답을 "
        "써 주세요.\n\n### 지시문:\n{instruction}\n\n### 입력:\n{input}\n\n### 응답:\n",
        "아래 지시문이 설명하는 과제를 수행한 답을 써 주세요.\n\n### 지시문:\n{instruction}\n\n### 응답:\n",
    ),
}


def load_template(path: str | Path) -> PromptTemplate:
    """A template from a JSON file with ``prompt_input`` and ``prompt_no_input``."""
    text = read_text_file(path, "template file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in ("prompt_input", "prompt_no_input")):
        raise DataError(f"{path}: a template is a JSON object with the strings 'prompt_input' and 'prompt_no_input'")
    for key in ("prompt_input", "prompt_no_input"):
        try:
            data[key].format_map({"instruction": "", "input": ""})
        except (KeyError, ValueError, IndexError) as exc:
            raise DataError(f"{path}: {key} has a placeholder other than {{instruction}} and {{input}} ({exc})") from None
    if "{instruction}" not in data["prompt_input"] or "{input}" not in data["prompt_input"]:
        raise DataError(f"{path}: prompt_input must hold {{instruction}} and {{input}}")
    if "{instruction}" not in data["prompt_no_input"]:
        raise DataError(f"{path}: prompt_no_input must hold {{instruction}}")
    return PromptTemplate(data["prompt_input"], data["prompt_no_input"], str(path))

