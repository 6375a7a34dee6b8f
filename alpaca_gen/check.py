"""``alpaca-gen check``: the record gate over any Alpaca-format data set.

Every record goes through the field rules and the quality rules of its language
(``--lang auto``: the record's own ``lang`` or provenance, else its script).
Every rule that applies is reported, so the per-rule counts say how often each
defect occurs, not only which rule fired first. Records some rule drops are left
out of ``--output``; records only fixed (a ``<noinput>`` made empty, an output cut
at a leak) are written fixed.
"""
from __future__ import annotations

import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AlpacaGenError, UsageError
from .gate import RecordGate
from .records import FORMATS, Record, check_output_path, read_records, write_atomic, encode_records
from .text import detect_lang

CHECK_LANGS = ("auto", "en", "ko")
_LETTER = re.compile(r"[^\W\d_]")


class CheckFailed(AlpacaGenError):
    """--strict and something was flagged: exit 1, like a linter."""

    exit_code = 1


@dataclass
class RuleCount:
    reason: str
    stage: str  # fields or quality
    action: str  # drop or fix
    records: int = 0
    example: str = ""  # where the first one is, and what it says


@dataclass
class CheckReport:
    path: str
    records: int = 0
    kept: int = 0
    dropped: int = 0
    fixed: int = 0  # kept, with a fix applied
    languages: Counter = field(default_factory=Counter)
    rules: dict[str, RuleCount] = field(default_factory=dict)
    output: str | None = None
    flagged_file: str | None = None

    @property
    def flagged(self) -> int:
        return self.dropped + self.fixed

    def as_dict(self) -> dict:
        return {
            "path": self.path, "records": self.records, "kept": self.kept, "dropped": self.dropped,
            "fixed": self.fixed, "flagged": self.flagged, "languages": dict(self.languages),
            "rules": {r.reason: {"stage": r.stage, "action": r.action, "records": r.records, "example": r.example}
                      for r in self.sorted_rules()},
            "output": self.output, "flagged_file": self.flagged_file,
        }

    def sorted_rules(self) -> list[RuleCount]:
        return sorted(self.rules.values(), key=lambda r: (-r.records, r.reason))


def record_lang(record: Record, lang: str) -> str:
    """The language whose rules judge ``record``: the one asked for, else the record's own,
    else its script's; "other" for a script neither English nor Korean (Chinese, say),
    which meets only the rules that do not depend on a language."""
    if lang != "auto":
        return lang
    if record.lang in ("en", "ko"):
        return record.lang
    # The instruction says it best: outputs are often code.
    return detect_lang(record.instruction) or ("other" if _LETTER.search(record.instruction) else
                                               detect_lang(record.output) or "other")


def check_records(records: list[Record], locations: list[str], *, lang: str = "auto", prompt_texts=None):
    """Judge every record; returns (report-less counts, kept records, flagged entries)."""
    gates: dict[str, RecordGate] = {}
    report = CheckReport(path="")
    kept: list[Record] = []
    flagged: list[dict] = []
    for position, (record, where) in enumerate(zip(records, locations)):
        code = record_lang(record, lang)
        gate = gates.get(code) or gates.setdefault(code, RecordGate(code, prompt_texts))
        report.languages[code] += 1
        verdict = gate.judge(record, every_reason=True)
        findings = [("quality", fix) for fix in verdict.fixes] + verdict.drops
        for stage, finding in findings:
            action = "drop" if (stage, finding) in verdict.drops else "fix"
            count = report.rules.get(finding.reason)
            if count is None:
                count = report.rules[finding.reason] = RuleCount(finding.reason, stage, action)
            count.records += 1
            if not count.example:
                count.example = f"{where} ({finding.field}): {finding.excerpt}" if finding.excerpt else f"{where} ({finding.field})"
        if verdict.drops:
            report.dropped += 1
        else:
            kept.append(verdict.record)
            report.fixed += bool(verdict.fixes)
        if findings:
            flagged.append({
                "location": where, "index": position, "lang": code, "kept": not verdict.drops,
                "reasons": [finding.reason for _, finding in findings],
                "findings": [{"reason": f.reason, "stage": stage, "field": f.field, "action": f.action, "excerpt": f.excerpt}
                             for stage, f in findings],
                "record": record.to_dict(),
            })
    report.records = len(records)
    report.kept = len(kept)
    return report, kept, flagged


def check_file(path: str, *, lang: str = "auto", output: str | None = None, flagged: str | None = None,
               prompt_texts: list[str] | None = None) -> CheckReport:
    if lang not in CHECK_LANGS:
        raise UsageError(f"--lang must be one of: {', '.join(CHECK_LANGS)} (got {lang!r})")
    for target, flag in ((output, "--output"), (flagged, "--flagged")):
        if target:
            check_output_path(target, path, flag=flag)
    if output and flagged and Path(output).resolve() == Path(flagged).resolve():
        raise UsageError("--output and --flagged must be different files")
    data = read_records(path)
    report, kept, entries = check_records(data.records, data.locations, lang=lang, prompt_texts=prompt_texts)
    report.path = str(path)
    if output:
        suffix = Path(output).suffix.lower().lstrip(".")
        write_atomic(output, encode_records(kept, suffix if suffix in FORMATS else data.format))
        report.output = str(output)
    if flagged:
        write_atomic(flagged, "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode("utf-8"))
        report.flagged_file = str(flagged)
    return report


def print_report(report: CheckReport, out=None) -> None:
    out = out or sys.stdout
    langs = ", ".join(f"{code} {n}" for code, n in sorted(report.languages.items()))
    print(f"alpaca-gen check: {report.path}: {report.records} records ({langs})", file=out)
    print(f"  kept {report.kept} ({report.fixed} of them fixed), dropped {report.dropped}", file=out)
    if report.rules:
        width = max(len(r.reason) for r in report.rules.values())
        print(f"  {'rule'.ljust(width)}  stage    action  records  first example", file=out)
        for rule in report.sorted_rules():
            example = rule.example if len(rule.example) <= 110 else rule.example[:109] + "…"
            print(f"  {rule.reason.ljust(width)}  {rule.stage:<7}  {rule.action:<6}  {rule.records:>7}  {example}", file=out)
    else:
        print("  no rule flagged any record", file=out)
    if report.output:
        print(f"  kept records -> {report.output}", file=out)
    if report.flagged_file:
        print(f"  flagged records with their reasons -> {report.flagged_file}", file=out)
