"""``respond``: input records → prompts → answer source → gate → OUT, in input order.

Each record to answer is one round of the request layer ``generate`` uses (the live
client or the Batch API source, concurrency, pacing, retries, budgets), run by the
job of :mod:`alpaca_gen.jobs`: answers come back in any order and are written in input
order; OUT is complete at every instant, and a killed run resumes after the last record
written. Records not selected are written unchanged, in place.
"""
from __future__ import annotations

from ..answers import Choice
from ..check import record_lang
from ..config import RespondOptions
from ..errors import UsageError
from ..gate import RecordGate
from ..identity import InputIdentity, object_hash
from ..jobs import RecordJob, state_dir_for
from ..prompts import shipped_prompt_texts
from ..records import Record, check_output_path, format_for, read_records
from ..rounds import AnsweredRound
from .estimate import print_dry_run
from .funnel import RespondFunnel
from .outcome import RespondOutcome
from .prompts import load_answer_prompts
from .select import parse_where, select


class Responder(RecordJob):
    """One ``respond`` run. Build with options; call :meth:`run`."""

    COMMAND = "respond"
    FUNNEL = RespondFunnel
    UNIT = "answer"
    FAILED = ("answers", "quality")  # "written" counts them again with --drop_failed
    ENGLISH_ONLY = "--where lang=en"  # how to leave the Korean records out

    def __init__(self, options: RespondOptions, **kw):
        super().__init__(options, **kw)
        o = self.options
        self.data = read_records(o.input, allow_empty=True)
        self.output = check_output_path(o.output, o.input)
        self.format = self.data.format
        self.item_count = len(self.data.records)
        if self.output.suffix.lower() in (".json", ".jsonl") and format_for(self.output) != self.data.format:
            kind = "a JSON list" if self.data.format == "json" else "JSONL"
            raise UsageError(f"{o.input} is {kind} and OUTPUT keeps its format: name it "
                             f"{self.output.with_suffix('.json' if self.data.format == 'json' else '.jsonl').name}")
        self.prompts = load_answer_prompts(o.api, system=o.system, prompt_path=o.prompt_path)
        self.langs = [record_lang(record, o.lang) for record in self.data.records]
        texts = shipped_prompt_texts() + self.prompts.texts()
        self.gates = {lang: RecordGate(lang, texts) for lang in sorted(set(self.langs))}
        where = parse_where(o.where) if o.where is not None else None
        self.selected = select(self.data.records, self.langs, where=where, only_flagged=o.only_flagged, gates=self.gates)
        korean = sum(self.langs[p] == "ko" for p in self.selected)
        if self.local_model is not None and not self.local_model.writes_korean and korean:
            raise UsageError(f"--local runs the bundled {self.local_model.name}, which writes no Korean, and {korean} of "
                             "the records to answer are Korean; pass --local_model PATH.gguf with a model that writes "
                             f"Korean, --base_url of a server running one, or {self.ENGLISH_ONLY}")

    # -- the job's hooks ------------------------------------------------------------------------
    def prompt_for(self, position: int) -> str:
        return self.prompts.render(self.data.records[position], self.langs[position])

    def prompts_for(self, position: int) -> list[str]:
        return [self.prompt_for(position)]

    def stop_sequences(self) -> list[str]:
        return self.prompts.stop

    def locations(self) -> list[str]:
        return self.data.locations

    def identity(self) -> InputIdentity:
        o = self.options
        recipe = {"--model_name": self.model, "--api": o.api, "--lang": o.lang, "prompts": self.prompts.digest(),
                  "--where": o.where, "--only_flagged": o.only_flagged, "--drop_failed": o.drop_failed,
                  "--drop_previous": o.drop_previous, "--temperature": o.temperature, "--top_p": o.top_p}
        return InputIdentity(str(o.input), [object_hash(r.source) for r in self.data.records], recipe)

    def settings(self) -> dict:
        o = self.options
        return {"input": str(o.input), **super().settings(), "lang": o.lang, "where": o.where,
                "only_flagged": o.only_flagged,
                "system": "--system" if o.system is not None else ("shipped" if o.api == "chat" else None),
                "prompt": o.prompt_path or "shipped template"}

    def passthrough(self, start: int, stop: int) -> list:
        return self.data.records[start:stop]

    def build(self, position: int, answered: AnsweredRound, run_id: str) -> list:
        record = self._answered(self.data.records[position], self.langs[position], answered)
        return [] if record is None else [record]

    def _answered(self, record: Record, lang: str, answered: AnsweredRound) -> Record | None:
        """The record with its new output, judged; None when it failed and --drop_failed."""
        f = self.stats.funnel
        choice = answered.result.choices[0]
        f["answers"].entered += 1
        f["written"].entered += 1
        failed = None
        output = record.output
        info = {"model": self.model, "api": self.options.api}
        if not isinstance(choice, Choice):
            failed = choice.reason
        else:
            output = choice.text.strip()
            info["finish_reason"] = choice.finish_reason
            if choice.finish_reason == "length":
                failed = "truncated"
        if failed:
            f["answers"].drop(failed)
        else:
            f["answers"].passed += 1
            output, failed = self._judge(record.with_fields(output=output), lang)
        if failed:
            info["failed"] = failed
            if self.options.drop_failed:
                f["written"].drop("failed")
                return None
        f["written"].passed += 1
        provenance = dict(record.provenance or {})
        if not self.options.drop_previous:
            provenance["previous_output"] = record.output
        provenance["respond"] = info
        return record.with_fields(output=output, provenance=provenance)

    def _judge(self, record: Record, lang: str) -> tuple[str, str | None]:
        """The output after the quality rules' output fixes, and the first output rule it fails."""
        quality = self.stats.funnel["quality"]
        quality.entered += 1
        verdict = self.gates[lang].judge(record, every_reason=True)
        output = record.output
        for fix in verdict.fixes:
            if fix.field == "output":
                output = verdict.record.output
                quality.fixed[fix.reason] += 1
        reasons = [finding.reason for _, finding in verdict.drops if finding.field == "output"]
        if reasons:
            quality.drop(reasons[0])
            return output, reasons[0]
        quality.passed += 1
        return output, None

    def outcome(self, store, run, totals, elapsed, stopped) -> RespondOutcome:
        o = self.options
        return RespondOutcome(
            output=str(store.path), input_records=self.item_count, written=store.state.next_request,
            records_in_file=len(store.records), selected=len(self.selected), answered=self.answered_rounds(store),
            stopped_because=stopped, model=self.model, api=o.api, run_id=run.run_id, elapsed=elapsed,
            this_run=self.stats, all_runs=totals, price_in=o.price_in, price_out=o.price_out,
            state_dir=str(store.state_dir),
        )

    def dry_run(self) -> dict:
        return print_dry_run(self, self.out)


def respond(options: RespondOptions | None = None, **flags) -> dict:
    """Answer records again; returns the summary. Library entry point behind ``alpaca-gen respond``."""
    if options is None:
        options = RespondOptions.from_flags(**flags)
    elif flags:
        options = options.with_flags(**flags)
    return Responder(options).run()


__all__ = ["Responder", "respond", "state_dir_for"]
