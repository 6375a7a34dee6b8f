"""What ``respond`` asks: a system message and the task, or one completions prompt.

Chat (the default): the system message of the record's language (prompts/respond.en.txt,
prompts/respond.ko.txt, or --system) and a user message that is the instruction, then
the input after a blank line, as a person would paste it. Completions: the training
template of :mod:`alpaca_gen.export.templates`, so a base model sees the layout it will
be trained on, ending at the response header; generation stops at the next header.
``--prompt_path`` replaces the template (a JSON file with ``prompt_input`` and
``prompt_no_input``, as for ``export --template``) in both APIs.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ..answers import ChatPrompt
from ..export.templates import DEFAULT_TEMPLATES, PromptTemplate, load_template
from ..records import Record, read_text_file
from ..resources import data_path

#: Where a completions answer ends: the next section header of either language's template.
STOP = ["\n### Instruction:", "\n### Input:", "\n### 지시문:", "\n### 입력:"]


def shipped_system(lang: str) -> str:
    return read_text_file(data_path("prompts") / f"respond.{lang}.txt", "prompt file").strip()


@dataclass(frozen=True)
class AnswerPrompts:
    api: str
    system: dict  # lang -> system message ("" for none)
    template: PromptTemplate | None  # --prompt_path; None: the defaults above

    def render(self, record: Record, lang: str) -> str:
        lang = lang if lang in ("en", "ko") else "en"  # another script: the English prompt, which says to keep its language
        if self.template is not None:
            task = self.template.render(record.instruction, record.input)
        elif self.api == "chat":
            task = record.instruction if not record.input else f"{record.instruction}\n\n{record.input}"
        else:
            task = DEFAULT_TEMPLATES[lang].render(record.instruction, record.input)
        system = self.system[lang]
        if self.api == "chat":
            return ChatPrompt(task, system) if system else task
        return f"{system}\n\n{task}" if system else task

    @property
    def stop(self) -> list[str]:
        return list(STOP) if self.api == "completions" else []

    def texts(self) -> list[str]:
        """Every sentence these prompts send: what an answer must not copy (the prompt-leak rule)."""
        out = [text for text in self.system.values() if text]
        for template in [self.template] if self.template else DEFAULT_TEMPLATES.values():
            out += [template.prompt_input, template.prompt_no_input]
        return out

    def digest(self) -> str:
        """Names these prompts, so a resumed run can tell that they changed."""
        parts = [self.api, self.system.get("en", ""), self.system.get("ko", "")]
        if self.template is not None:
            parts += [self.template.prompt_input, self.template.prompt_no_input]
        return hashlib.blake2b("\x00".join(parts).encode("utf-8"), digest_size=8).hexdigest()


def load_answer_prompts(api: str, *, system: str | None = None, prompt_path: str | None = None) -> AnswerPrompts:
    """The prompts of a run: ``system`` replaces both languages' system message ("" sends
    none); completions send none unless it is given."""
    if system is not None:
        systems = {"en": system.strip(), "ko": system.strip()}
    elif api == "chat":
        systems = {lang: shipped_system(lang) for lang in ("en", "ko")}
    else:
        systems = {"en": "", "ko": ""}
    return AnswerPrompts(api, systems, load_template(prompt_path) if prompt_path else None)
