"""``respond``'s funnel: answers → quality → written.

``answers`` counts the records sent; an answer with no usable text (garbled, empty,
cut by max_tokens, a batch line given up on) fails there. ``quality`` judges the
new output with the rules that read an output; a record failing either keeps its
reason in OUT (``provenance.respond.failed``) unless --drop_failed, which ``written``
counts. Records not selected pass to OUT unchanged and are not in the funnel.
"""
from __future__ import annotations

from typing import ClassVar

from ..funnel import Funnel


class RespondFunnel(Funnel):
    NAMES: ClassVar[tuple[str, ...]] = ("answers", "quality", "written")
    CHAINED: ClassVar[tuple[str, ...]] = ("answers", "quality")
    PASSED_AS: ClassVar[dict[str, str]] = {"answers": "with text", "quality": "passed", "written": "written"}
    KEPT: ClassVar[str] = "written"
    CANDIDATES: ClassVar[str] = "answers"
    DROPPED_AS: ClassVar[str] = "failed"
