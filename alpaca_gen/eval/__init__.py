"""``alpaca-gen eval``: blind pairwise comparison of two models, the way Alpaca was evaluated.

:mod:`.sets` the items (a shipped set of 100 English and 100 Korean), :mod:`.answer` a
model answering them, :mod:`.judge` an LLM judge comparing two answers files in both
orders, :mod:`.annotate` and :mod:`.votes` people doing the same in a local page,
:mod:`.summary` and :mod:`.stats` the numbers.
"""
from .answer import answer_eval_set
from .sets import EvalItem, load_eval_set
from .summary import summarize

__all__ = ["EvalItem", "answer_eval_set", "load_eval_set", "summarize"]
