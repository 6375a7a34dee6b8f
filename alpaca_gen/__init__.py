"""alpaca-gen: Stanford-Alpaca-style self-instruct data generation, in English and Korean.

The public API, re-exported here; the ``alpaca-gen`` command is a thin shell over it.
"""
from .errors import AlpacaGenError
from .filters import drop_reason
from .parse import ParsedTask, parse_completion
from .pipeline import GenerateConfig, Generator, generate
from .prompts import load_template, render_chat_prompt, render_completion_prompt
from .seeds import SeedTask, load_seed_tasks
from .similarity import NearDuplicateIndex, rouge_l_f1
from .store import RegenStore
from .tokenizers import Tokenizer, get_tokenizer, tokenizer_for

__all__ = [
    "AlpacaGenError", "GenerateConfig", "Generator", "NearDuplicateIndex", "ParsedTask", "RegenStore",
    "SeedTask", "Tokenizer", "drop_reason", "generate", "get_tokenizer", "load_seed_tasks", "load_template",
    "parse_completion", "render_chat_prompt", "render_completion_prompt", "rouge_l_f1", "tokenizer_for",
]
__version__ = "0.1.0"
