"""Near-duplicate detection with ROUGE-L, exact and fast.

Decisions and scores are those of Stanford Alpaca's loop: ROUGE-L F1 computed as
rouge_score computes it, a candidate rejected when its score against any
instruction already in the pool is strictly above the threshold. What changes
is the cost. Instead of an LCS against every pool entry, the index

1. keeps every entry as a string of token codes, so rapidfuzz's bit-parallel
   LCS (exact; C++) does the dynamic programming;
2. prunes with exact bounds: F1 = 2·LCS/(m+n) and LCS ≤ min(m, n) bound the
   partner length, LCS ≤ |multiset overlap| bounds the overlap, and prefix
   filtering (two sets with overlap ≥ α share one of their |x|-α+1 rarest
   elements) finds the only entries that can reach that overlap;
3. computes LCS only for the survivors.

Every bound is taken with a small margin below the threshold, so pruning never
discards a pair whose floating-point score could exceed it: the exact score
decides every pair that survives, ties at exactly the threshold included.

``most_similar_instructions`` and ``avg_similarity_score`` (Stanford's per-record
statistics) need the score against the whole pool; they are computed in one
vectorised rapidfuzz call plus numpy, and can be turned off for very large pools.
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from .tokenizers import Tokenizer

# Pruning bounds use threshold - _MARGIN: real F1 values are rationals 2L/(m+n);
# float rounding moves a score by ~1e-16, far less than this margin.
_MARGIN = 1e-9
_SURROGATES = 0xD800
_MAX_CODE = 0x10FFFF - 0x800


def rouge_l_f1(lcs: int, new_len: int, existing_len: int) -> float:
    """ROUGE-L F1 exactly as rouge_score's ``_score_lcs(new, existing).fmeasure``."""
    if new_len == 0 or existing_len == 0:
        return 0.0
    precision = lcs / existing_len
    recall = lcs / new_len
    if precision + recall > 0:
        return 2 * precision * recall / (precision + recall)
    return 0.0


def rouge_l_f1_array(lcs: np.ndarray, new_len: int, existing_lens: np.ndarray) -> np.ndarray:
    """The same float formula, element-wise (numpy float64 ops round like Python's)."""
    out = np.zeros(lcs.shape, dtype=np.float64)
    if new_len == 0:
        return out
    ok = (existing_lens > 0) & (lcs > 0)
    lcs_f = lcs[ok].astype(np.float64)
    precision = lcs_f / existing_lens[ok].astype(np.float64)
    recall = lcs_f / float(new_len)
    out[ok] = 2 * precision * recall / (precision + recall)
    return out


def _min_overlap(length: int, bound: float) -> int:
    """Fewest shared tokens an entry of this length needs with any partner to score > bound."""
    if bound <= 0:
        return 1
    return max(1, math.floor(bound * length / (2 - bound)) + 1)


@dataclass
class Verdict:
    duplicate: bool
    best_score: float = 0.0
    best_text: str | None = None
    most_similar: dict[str, float] | None = None
    avg_similarity: float | None = None


class NearDuplicateIndex:
    """A growing pool of instructions that answers "is this a near duplicate?".

    ``offer(text)`` checks a candidate and adds it when it is kept, which is
    Stanford's rule for candidates of one batch: each is compared with the
    seeds, everything kept earlier, and the candidates kept before it.
    """

    def __init__(self, tokenizer: Tokenizer, threshold: float = 0.7, *, similarity_stats: bool = True, top_k: int = 10):
        if not 0.0 <= threshold <= 1.0:
            raise ValueError("threshold must be between 0 and 1")
        self.tokenizer = tokenizer
        self.threshold = threshold
        self.similarity_stats = similarity_stats
        self.top_k = top_k
        self._bound = threshold - _MARGIN
        self.texts: list[str] = []
        self._seqs: list[str] = []  # token codes as characters, for rapidfuzz
        self._lens = array("i")
        self._codes: dict[str, int] = {}
        # Elements are (token code, k-th occurrence), so multiset overlap becomes set overlap.
        self._element_ids: dict[tuple[int, int], int] = {}
        self._element_df = array("i")
        self._element_rank: list[int] = []
        self._elements = array("i")  # every entry's element ids, concatenated
        self._element_offsets = array("q", [0])
        self._postings: list[array] = []
        self._next_rebuild = 256
        self._lens_np: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.texts)

    # -- encoding -----------------------------------------------------------------
    def _encode(self, tokens: list[str], grow: bool) -> str:
        chars = []
        codes = self._codes
        for token in tokens:
            code = codes.get(token)
            if code is None:
                if not grow:
                    code = -1
                else:
                    code = len(codes)
                    if code > _MAX_CODE:
                        raise OverflowError("more than 1.1 million distinct tokens in the pool")
                    codes[token] = code
            if code < 0:
                # Unknown to the pool: it can match nothing, but it still counts in the length.
                chars.append("\U0010ffff")
            else:
                chars.append(chr(code if code < _SURROGATES else code + 0x800))
        return "".join(chars)

    def _elements_of(self, seq: str, grow: bool) -> list[int]:
        seen: dict[str, int] = {}
        out = []
        ids = self._element_ids
        for ch in seq:
            k = seen.get(ch, 0)
            seen[ch] = k + 1
            key = (ord(ch), k)
            eid = ids.get(key)
            if eid is None:
                if not grow:
                    continue  # an element no entry has cannot be shared
                eid = len(ids)
                ids[key] = eid
                self._element_df.append(0)
                # Elements born after the last rebuild are rare: order them first.
                self._element_rank.append(-(1 << 40) + eid)
                self._postings.append(array("i"))
            out.append(eid)
        return out

    # -- index maintenance -------------------------------------------------------------
    def _index_prefix(self, entry: int, elements: list[int], length: int) -> None:
        if not elements:
            return
        rank = self._element_rank
        ordered = sorted(elements, key=rank.__getitem__)
        prefix = length - _min_overlap(length, self._bound) + 1
        for eid in ordered[:prefix]:
            self._postings[eid].append(entry)

    def _rebuild(self) -> None:
        # A new global order by document frequency; re-index every prefix under it.
        df = np.frombuffer(self._element_df, dtype=np.int32)
        order = np.lexsort((np.arange(len(df)), df))
        rank = np.empty(len(df), dtype=np.int64)
        rank[order] = np.arange(len(df))
        self._element_rank = rank.tolist()
        self._postings = [array("i") for _ in range(len(df))]
        flat = self._elements
        offsets = self._element_offsets
        for entry in range(len(self.texts)):
            elements = flat[offsets[entry]:offsets[entry + 1]].tolist()
            self._index_prefix(entry, elements, self._lens[entry])

    def add(self, text: str) -> int:
        """Add an instruction unconditionally (seeds, resumed records); returns its position."""
        return self._add_tokens(text, self.tokenizer.tokenize(text))

    def _add_tokens(self, text: str, tokens: list[str]) -> int:
        seq = self._encode(tokens, grow=True)
        elements = self._elements_of(seq, grow=True)
        entry = len(self.texts)
        self.texts.append(text)
        self._seqs.append(seq)
        self._lens.append(len(seq))
        self._lens_np = None
        for eid in elements:
            self._element_df[eid] += 1
        self._elements.extend(elements)
        self._element_offsets.append(len(self._elements))
        if len(self.texts) >= self._next_rebuild:
            self._next_rebuild *= 2
            self._rebuild()
        else:
            self._index_prefix(entry, elements, len(seq))
        return entry

    # -- queries ----------------------------------------------------------------------
    def _first_duplicate(self, seq: str, elements: list[int]) -> tuple[int, float] | None:
        m = len(seq)
        if m == 0 or not elements:
            return None
        bound = self._bound
        rank = self._element_rank
        ordered = sorted(elements, key=rank.__getitem__)
        probe = m - _min_overlap(m, bound) + 1
        candidates: set[int] = set()
        for eid in ordered[:probe]:
            candidates.update(self._postings[eid])
        if not candidates:
            return None
        lens = self._lens
        seqs = self._seqs
        for entry in sorted(candidates):
            n = lens[entry]
            if 2 * min(m, n) <= bound * (m + n):
                continue
            cutoff = math.floor(bound * (m + n) / 2) + 1
            lcs = LCSseq.similarity(seq, seqs[entry], score_cutoff=cutoff)
            if lcs:
                score = rouge_l_f1(lcs, m, n)
                if score > self.threshold:
                    return entry, score
        return None

    def _all_scores(self, seq: str) -> np.ndarray:
        if not self._seqs:
            return np.zeros(0)
        lcs = process.cdist([seq], self._seqs, scorer=LCSseq.similarity, dtype=np.int32, workers=1)[0]
        if self._lens_np is None:
            self._lens_np = np.frombuffer(self._lens, dtype=np.int32).copy()
        return rouge_l_f1_array(lcs, len(seq), self._lens_np)

    def _verdict(self, seq: str, elements: list[int]) -> Verdict:
        if self.similarity_stats:
            scores = self._all_scores(seq)
            if scores.size == 0:
                return Verdict(False, most_similar={}, avg_similarity=0.0)
            # Stanford: top 10 by score, descending, as {instruction: score}.
            order = np.argsort(-scores, kind="stable")[: self.top_k]
            most_similar: dict[str, float] = {}
            for i in order:
                most_similar.setdefault(self.texts[i], float(scores[i]))
            best = int(order[0])
            best_score = float(scores[best])
            return Verdict(
                duplicate=best_score > self.threshold,
                best_score=best_score,
                best_text=self.texts[best],
                most_similar=most_similar,
                avg_similarity=float(np.mean(scores)),
            )
        hit = self._first_duplicate(seq, elements)
        if hit is None:
            return Verdict(False)
        entry, score = hit
        return Verdict(True, best_score=score, best_text=self.texts[entry])

    def check(self, text: str) -> Verdict:
        """Score a candidate against the pool without adding it."""
        seq = self._encode(self.tokenizer.tokenize(text), grow=False)
        return self._verdict(seq, self._elements_of(seq, grow=False))

    def offer(self, text: str) -> Verdict:
        """Check a candidate; add it to the pool when it is not a near duplicate."""
        tokens = self.tokenizer.tokenize(text)
        seq = self._encode(tokens, grow=False)
        verdict = self._verdict(seq, self._elements_of(seq, grow=False))
        if not verdict.duplicate:
            self._add_tokens(text, tokens)
        return verdict
