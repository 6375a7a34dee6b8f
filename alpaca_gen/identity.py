"""Which input and which recipe an output of respond or eval belongs to, so a resumed run never mixes two.

Records are identified by position and a hash of their content. The first run writes
the hash of every input record, and the settings that decide what the answers are
(model, API, prompts, selection), to ``input.json`` in OUT's state folder; a later run
recomputes them and refuses a changed input, naming the first record that differs,
or changed settings, naming the first that differs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .records import write_atomic

NAME = "input.json"


def _shown(key: str, value) -> str:
    """A recipe setting as it is typed: --only_flagged / --noonly_flagged, --model_name M."""
    if isinstance(value, bool) and key.startswith("--"):
        return key if value else "--no" + key[2:]
    if value is None:
        return f"no {key}"
    return f"{key} {value}"


def object_hash(obj: object) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class InputIdentity:
    input: str
    hashes: list[str]
    recipe: dict

    def save(self, state_dir: Path) -> None:
        write_atomic(state_dir / NAME, json.dumps(
            {"input": self.input, "records": len(self.hashes), "recipe": self.recipe, "hashes": self.hashes},
            ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, state_dir: Path) -> "InputIdentity | None":
        try:
            data = json.loads((state_dir / NAME).read_text(encoding="utf-8"))
            return cls(str(data["input"]), [str(h) for h in data["hashes"]], dict(data["recipe"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def refuse_if_changed(self, current: "InputIdentity", out: Path, locations: list[str]) -> None:
        """One line naming what changed, or nothing."""
        advice = f"rerun with the original, or write to another --output than {out}"
        if current.hashes != self.hashes:
            first = next((i for i, (a, b) in enumerate(zip(current.hashes, self.hashes)) if a != b), None)
            if first is None:
                raise UsageError(f"the input changed since {out} was started: it had {len(self.hashes)} records, "
                                 f"now {len(current.hashes)}; {advice}")
            raise UsageError(f"the input changed since {out} was started: {locations[first]} is not the record it "
                             f"was; {advice}")
        for key, value in self.recipe.items():
            if current.recipe.get(key) != value:
                was, now = _shown(key, value), _shown(key, current.recipe.get(key))
                raise UsageError(f"{out} was started with {was}, this run has {now}; resume with the same "
                                 f"settings, or write to another --output")
