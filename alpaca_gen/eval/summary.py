"""``eval summary``: per pair of models, what each judge and each annotator found, and how far they agree.

Reads judgments files (``eval judge``) and votes files (``eval annotate``), or folders
holding them. For each source: wins, ties, losses (``A 90 : B 89 : tie 73``), A's win
rate (a tie counting half) with a 95% bootstrap interval, the exact sign test, and the
answers' average lengths beside it (words in English, characters in Korean), since
judges of both kinds favour longer answers. "Both bad" votes count as ties in the rate
and are shown on their own. Cohen's kappa is given for every two sources that judged
the same items (outcomes a / b / tie, both bad read as tie).
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError, NoInputError, UsageError
from ..records import read_text_file, write_atomic
from .stats import bootstrap_interval, cohen_kappa, sign_test, win_rate


@dataclass
class Source:
    kind: str  # "judge" or "annotator"
    name: str
    model_a: str
    model_b: str
    path: str
    outcomes: dict = field(default_factory=dict)  # item -> a / b / tie / both_bad / unparsed
    lengths: dict = field(default_factory=dict)  # item -> (lang, length a, length b)

    def flipped(self) -> "Source":
        swap = {"a": "b", "b": "a"}
        return Source(self.kind, self.name, self.model_b, self.model_a, self.path,
                      {k: swap.get(v, v) for k, v in self.outcomes.items()},
                      {k: (lang, lb, la) for k, (lang, la, lb) in self.lengths.items()})


def _lines(path: Path) -> list[dict]:
    out = []
    for line in read_text_file(path).split("\n"):
        if line.strip():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a votes line cut by a crash
            if isinstance(entry, dict):
                out.append(entry)
    return out


def read_source(path: Path) -> Source | None:
    """A judgments or votes file as a source; None for any other JSONL (answers files, say)."""
    lines = _lines(path)
    if lines and "winner" in lines[0] and "judge" in lines[0]:
        first = lines[0]
        source = Source("judge", str(first["judge"]), str(first["model_a"]), str(first["model_b"]), str(path))
        for line in lines:
            source.outcomes[str(line["id"])] = line["winner"]
            source.lengths[str(line["id"])] = (line.get("lang", "en"), line.get("length_a", 0), line.get("length_b", 0))
        return source
    votes = [line for line in lines if line.get("type") in ("vote", "undo")]
    if not votes:
        return None
    first = next(line for line in votes if line.get("type") == "vote") if any(
        line.get("type") == "vote" for line in votes) else None
    if first is None:
        return None
    source = Source("annotator", str(first.get("annotator")), str(first["model_a"]), str(first["model_b"]), str(path))
    standing: list[dict] = []
    for line in votes:
        if line["type"] == "vote":
            standing.append(line)
        elif standing:
            standing.pop()
    for line in standing:
        item = str(line["item"])
        source.outcomes[item] = line.get("outcome", "tie")
        source.lengths[item] = (line.get("lang", "en"), line.get("length_a", 0), line.get("length_b", 0))
    return source


def find_files(spec: str) -> list[Path]:
    files: list[Path] = []
    for part in [p.strip() for p in spec.split(",") if p.strip()]:
        path = Path(part)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.jsonl") if ".alpaca-gen" not in p.parts)
        elif path.exists():
            files.append(path)
        else:
            raise NoInputError(f"not found: {path}")
    return files


def _length_text(lengths: dict) -> str:
    parts = []
    for lang, unit in (("en", "words"), ("ko", "characters")):
        rows = [(la, lb) for (code, la, lb) in lengths.values() if (code == "ko") == (lang == "ko")]
        if rows:
            parts.append(f"{lang}: A {sum(r[0] for r in rows) / len(rows):.0f}, B {sum(r[1] for r in rows) / len(rows):.0f} "
                         f"{unit}")
    return "; ".join(parts)


def describe(source: Source, *, seed: int) -> dict:
    counts = Counter(source.outcomes.values())
    rated = ["tie" if o == "both_bad" else o for o in source.outcomes.values() if o != "unparsed"]
    interval = bootstrap_interval(rated, seed=seed)
    return {
        "kind": source.kind, "name": source.name, "file": source.path, "items": len(source.outcomes),
        "wins_a": counts["a"], "wins_b": counts["b"], "ties": counts["tie"], "both_bad": counts["both_bad"],
        "unparsed": counts["unparsed"], "win_rate_a": win_rate(rated),
        "win_rate_a_95": list(interval) if interval else None, "sign_test_p": sign_test(counts["a"], counts["b"]),
        "mean_length": _length_text(source.lengths),
    }


def agreement(first: Source, second: Source) -> dict | None:
    common = [k for k in first.outcomes if k in second.outcomes and "unparsed" not in
              (first.outcomes[k], second.outcomes[k])]
    def read(o: str) -> str:
        return "tie" if o == "both_bad" else o
    kappa = cohen_kappa([read(first.outcomes[k]) for k in common], [read(second.outcomes[k]) for k in common])
    if not common:
        return None
    same = sum(read(first.outcomes[k]) == read(second.outcomes[k]) for k in common)
    return {"between": [f"{first.kind} {first.name}", f"{second.kind} {second.name}"], "items": len(common),
            "agreement": same / len(common), "cohen_kappa": kappa}


def summarize(spec: str, *, seed: int = 0) -> dict:
    sources = [s for s in (read_source(p) for p in find_files(spec)) if s is not None]
    sources.sort(key=lambda s: (s.kind != "judge", s.name, s.path))  # judges first, then annotators by name
    if not sources:
        raise DataError(f"{spec}: no judgments (eval judge) or votes (eval annotate) files")
    groups: dict[frozenset, list[Source]] = defaultdict(list)
    for source in sources:
        key = frozenset((source.model_a, source.model_b))
        if groups[key] and (source.model_a, source.model_b) != (groups[key][0].model_a, groups[key][0].model_b):
            source = source.flipped()
        groups[key].append(source)
    pairs = []
    for members in groups.values():
        head = members[0]
        pairs.append({
            "model_a": head.model_a, "model_b": head.model_b,
            "sources": [describe(s, seed=seed) for s in members],
            "agreement": [a for i, s in enumerate(members) for t in members[i + 1:] if (a := agreement(s, t))],
        })
    return {"pairs": pairs}


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def lines(summary: dict) -> list[str]:
    out = []
    for pair in summary["pairs"]:
        a, b = pair["model_a"], pair["model_b"]
        out.append(f"{a} (A) vs {b} (B)")
        for s in pair["sources"]:
            score = f"{a} {s['wins_a']} : {b} {s['wins_b']} : tie {s['ties']}"
            if s["both_bad"]:
                score += f" : both bad {s['both_bad']}"
            if s["unparsed"]:
                score += f" ({s['unparsed']} unparsed, left out)"
            interval = s["win_rate_a_95"]
            rate = _pct(s["win_rate_a"]) + (f" [{_pct(interval[0])}, {_pct(interval[1])}]" if interval else "")
            out.append(f"  {s['kind']} {s['name']}: {score}")
            out.append(f"    A's win rate {rate} (95% bootstrap), sign test p = {s['sign_test_p']:.3g}; "
                       f"mean length {s['mean_length']}")
        for g in pair["agreement"]:
            kappa = "n/a" if g["cohen_kappa"] is None else f"{g['cohen_kappa']:.2f}"
            out.append(f"  agreement {g['between'][0]} / {g['between'][1]}: {100 * g['agreement']:.0f}% of "
                       f"{g['items']} items, Cohen's kappa {kappa}")
    return out


def plot(summary: dict, path: str) -> None:
    """Stacked bars: each source's wins for A, ties (and both bad), wins for B (the report extra's
    matplotlib and Hangul font)."""
    try:
        from ..report import figures
        fig = figures._figure(8, 0.55 * sum(len(p["sources"]) for p in summary["pairs"]) + 1.4)
    except ImportError:
        raise UsageError("--plot needs matplotlib: pip install 'alpaca-gen[report]'") from None
    rows = [(f"{p['model_a']} vs {p['model_b']}: {s['kind']} {s['name']}", s) for p in summary["pairs"] for s in p["sources"]]
    ax = fig.subplots()
    for k, (label, s) in enumerate(rows):
        total = max(1, s["wins_a"] + s["wins_b"] + s["ties"] + s["both_bad"])
        left = 0.0
        for value, colour, name in ((s["wins_a"], figures.BLUE, "A wins"), (s["ties"] + s["both_bad"], "#b8bec9", "tie"),
                                    (s["wins_b"], figures.ORANGE, "B wins")):
            ax.barh(k, value / total, left=left, color=colour, label=name if k == 0 else None)
            left += value / total
    ax.set_yticks(range(len(rows)), [figures._short(label, 60) for label, _ in rows])
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of items")
    ax.legend(loc="lower right", fontsize=8)
    ax.invert_yaxis()
    write_atomic(path, figures.png(fig))
