"""``alpaca-gen respond``: write the outputs of a data set again with another model.

:mod:`.run` runs it; :mod:`.prompts` says what is asked, :mod:`.select` which records,
:mod:`.identity` which input an output belongs to, :mod:`.funnel` and :mod:`.outcome`
what is counted and reported, :mod:`.estimate` what --dry_run prints.
"""
from .run import Responder, respond, state_dir_for

__all__ = ["Responder", "respond", "state_dir_for"]
