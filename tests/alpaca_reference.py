"""Stanford Alpaca's post-processing, restated from its documented behaviour, as the
reference the compatibility tests compare with (not imported from, or shipped with, the package).

Behaviour (see the project's research notes): the completion gets its ``K. Instruction:``
label back, is cut at every ``###``, the last piece is ignored when the model stopped
for length, and piece i must split into exactly instruction/input/output on the labels
numbered K + i; anything else is skipped. The filters then drop 3-or-fewer or more than
150 words, 18 whole words, a "Write a program" prefix, and a first character that is
punctuation or not ASCII.
"""
from __future__ import annotations

import re
import string

BLACKLIST = ("image", "images", "graph", "graphs", "picture", "pictures", "file", "files", "map", "maps",
             "draw", "plot", "go to", "video", "audio", "music", "flowchart", "diagram")


def split_tasks(completion: str, finish_reason: str, shown: int) -> list[tuple[str, str, str]]:
    """(instruction, input, output) per task, the way Alpaca's parser finds them."""
    pieces = re.split("###", f"{shown + 1}. Instruction:" + completion)
    tasks = []
    for position, piece in enumerate(pieces):
        if finish_reason == "length" and position == len(pieces) - 1:
            continue  # probably cut off mid-task
        number = shown + 1 + position
        parts = re.split(rf"{number}\.\s+(Instruction|Input|Output):", piece)
        if len(parts) != 7:
            continue  # labels missing, or numbered differently than expected
        task_input = parts[4].strip()
        tasks.append((parts[2].strip(), "" if task_input.lower() == "<noinput>" else task_input, parts[6].strip()))
    return tasks


def keeps(instruction: str) -> bool:
    """Alpaca's filters on one instruction."""
    words = len(instruction.split())
    if words <= 3 or words > 150:
        return False
    if any(re.search(rf"\b({re.escape(word)})\b", instruction, flags=re.IGNORECASE) for word in BLACKLIST):
        return False
    if instruction.startswith("Write a program"):
        return False
    return instruction[0] not in string.punctuation and instruction[0].isascii()


def post_process(completion: str, finish_reason: str, shown: int) -> list[dict]:
    return [
        {"instruction": inst, "input": task_input, "output": output}
        for inst, task_input, output in split_tasks(completion, finish_reason, shown)
        if keeps(inst)
    ]


# -- train.py's preprocessing, restated from its documented behaviour ----------------------------
IGNORE_INDEX = -100


def train_preprocess(examples: list[dict], prompt_dict: dict, tokenize, eos_token: str, pad_id: int | None):
    """Stanford's ``preprocess``: the source is the template chosen by ``input != ""``,
    the target is output + EOS; source and source + target are tokenized one text at a
    time (``tokenize(text)`` returns ids already truncated at the model's maximum length);
    the source length counts the ids that are not the pad token; the labels are the ids
    of source + target with the first source-length positions set to IGNORE_INDEX."""
    sources = [
        prompt_dict["prompt_input"].format_map(ex) if ex.get("input", "") != "" else prompt_dict["prompt_no_input"].format_map(ex)
        for ex in examples
    ]
    targets = [f"{ex['output']}{eos_token}" for ex in examples]
    full = [tokenize(s + t) for s, t in zip(sources, targets)]
    source_lens = [sum(1 for i in tokenize(s) if i != pad_id) for s in sources]
    labels = []
    for ids, source_len in zip(full, source_lens):
        label = list(ids)
        label[:source_len] = [IGNORE_INDEX] * min(source_len, len(label))
        labels.append(label)
    return full, labels
