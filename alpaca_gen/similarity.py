"""Near-duplicate detection with ROUGE-L, exact and fast.

Decisions and scores are those of Stanford Alpaca's loop: ROUGE-L F1 computed as
rouge_score computes it (p = LCS/len(existing), r = LCS/len(new), 2pr/(p+r)), a
candidate rejected when its score against any instruction already in the pool is
strictly above the threshold. What changes is the cost. Instead of an LCS against
every pool entry, the index

1. keeps every entry as a string with one character per token, so rapidfuzz's
   bit-parallel LCS (exact; C++) does the dynamic programming;
2. finds candidates by prefix filtering: F1 > t needs LCS >= need(m + n), the
   least L with 2L/(m+n) > t, and LCS <= the multiset overlap; two token multisets
   sharing at least alpha elements share one among the |x| - alpha + 1 first of
   each in a global order (rarest first). Each entry is indexed under its prefix
   for the smallest alpha any partner could need; a query reads the posting lists
   of its own prefix;
3. prunes each (entry, shared element) with the positional bound: the first shared
   element at position i of the query (m_k known tokens) and j of the entry (n
   tokens) leaves an overlap of at most min(m_k - i, n - j), which must reach
   need(m + n) (this also implies the length bounds);
4. for many survivors, prunes again with a bucket bound (64 counts per entry:
   the 32 most frequent tokens exactly, the rest hashed; the sum over buckets of
   the smaller count bounds the overlap), then computes the exact LCS of what is
   left, in pool order, and stops at the first score above the threshold.

Every bound is taken with a margin of 1e-9 below the threshold, so pruning never
discards a pair whose floating-point score could exceed it: the exact score
decides every pair that survives, ties at exactly the threshold included.

The global order is carried by the characters themselves: a token's code is its
frequency rank, most frequent lowest, so an entry's prefix is its code points
sorted in reverse. A repeated token is a multiset element per occurrence, (t, 0),
(t, 1), ..., ordered right after one another. Tokens first seen after the last
re-ranking get higher codes than all others, i.e. count as the rarest, which keeps
every indexed prefix valid; when the pool doubles, the tokens are re-ranked by
frequency (all strings re-coded with numpy) and the prefixes indexed again.

Small queries (few postings) run in plain Python. Large ones use numpy over
growing ranges of entries (posting lists are sorted by entry), so a duplicate
found early in the pool ends the search. From the first re-ranking at 32,768 entries
or more on, posting lists are also kept split by the entry's length band, and the
ranges past the first 16,384 entries read those, so a query only reads the lengths
it can match at each prefix position.

``most_similar_instructions`` and ``avg_similarity_score`` (Stanford's per-record
statistics) need the score against the whole pool; they are computed in one
vectorised rapidfuzz call plus numpy, and can be turned off for very large pools.
See docs/similarity.md for the measurements.
"""
from __future__ import annotations

import math
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from itertools import repeat

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from .tokenizers import Tokenizer

# Pruning bounds use threshold - _MARGIN: real F1 values are rationals 2L/(m+n);
# float rounding moves a score by ~1e-16, far less than this margin.
_MARGIN = 1e-9
_SURROGATES = 0xD800
# Token codes map to code points, skipping the surrogates; the last code point is
# reserved for "a token the pool does not have" (it matches nothing).
_UNKNOWN = "\U0010ffff"
_MAX_CODE = 0x10FFFF - 0x800 - 1
# Up to this many posting entries, candidates are gathered and checked in Python;
# above it, with numpy and one rapidfuzz batch per chunk.
_SMALL = 1000
_CHUNK = 512
# Large queries look at entries [0, 1024), then ranges four times longer each; from
# _BANDED_FROM on, when banded lists exist, ranges of 8 and then 32 times the entries before.
_FIRST_BLOCK = 1024
_BLOCK_GROWTH = 4
# From the first re-ranking at this pool size or more on, posting lists are also kept split by
# the entry's length band (bands grow by 25%), so a large query reads only the lengths it can match.
_BANDED_MIN = 1 << 15
_BAND_RATIO = 1.25
_BANDED_FROM = 1 << 14
# More survivors than this go through the bucket bound before LCS.
_BUCKET_FILTER_MIN = 48
_MARK_MAX = 1 << 16  # ranges up to this many entries dedupe candidates with marks, not a sort
_BUCKET_LAG = 256  # entries added since the last bucket fill that may skip the bucket bound
_BUCKETS = 64
_EXACT_BUCKETS = 32
_BUCKET_HASH = 2654435761
# Re-ranking and bucket filling work on this many entries at a time.
_REBUILD_SLICE = 1 << 15
_FIRST_REBUILD = 256
_TOP_SAMPLE = 512  # entries whose k-th best score bounds the top-k selection from below
_REBUILD_GROWTH = 4


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


def _char(code: int) -> str:
    return chr(code if code < _SURROGATES else code + 0x800)


def _codes_of(text: str) -> np.ndarray:
    """Token codes (int32) of an encoded string: its code points, the surrogate gap closed."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.int32)
    return np.where(points >= _SURROGATES + 0x800, points - 0x800, points)


def _keys(prefix: list[int]) -> list[int]:
    """Posting keys of prefix elements (code points, descending): occurrence k of c is c | k << 21."""
    if len(set(prefix)) == len(prefix):
        return prefix
    keys = []
    prev = -1
    k = 0
    for point in prefix:
        if point == prev:
            k += 1
            keys.append(point | k << 21)
        else:
            prev = point
            k = 0
            keys.append(point)
    return keys


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

    A duplicate's ``best_score``/``best_text`` are those of the earliest pool entry
    scoring above the threshold (not necessarily the highest score). With
    ``similarity_stats`` on, a kept candidate also gets Stanford's statistics
    (``most_similar``, ``avg_similarity``; ``best_*`` is then the pool's best match);
    ``check`` gives them for any candidate.
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
        self._seqs: list[str] = []  # one character per token, code = frequency rank
        self._len_list: list[int] = []
        self._lens = np.zeros(1024, dtype=np.int32)  # the same lengths; capacity grows by doubling
        self._chars: dict[str, str] = {}  # token -> its character
        # element key -> array of (entry << 16 | position of the element in the entry's order),
        # for the elements in each entry's prefix
        self._postings: dict[int, array] = {}
        self._next_rebuild = _FIRST_REBUILD
        self._prefix_len: list[int] = []  # per length n: n - (fewest tokens a partner must share) + 1
        self._need: list[int] = []  # per total length s = m + n: least LCS with 2·LCS/s > bound
        self._need_np = np.zeros(0, dtype=np.int64)
        self._max_len = 0
        self._banded: dict[int, array] | None = None  # key << 6 | band(n) -> postings, large pools only
        self._band_of: list[int] = [0]  # per length n: its band (0..63)
        self._buckets = np.zeros((0, _BUCKETS), dtype=np.uint8)  # see _fill_buckets
        self._buckets_filled = 0
        self._last_seq: str | None = None  # the last query without unknown tokens and its prefix keys,
        self._last_keys: list[int] = []  # reused when offer() adds it

    def __len__(self) -> int:
        return len(self.texts)

    # -- per-length tables ------------------------------------------------------------
    def _grow_tables(self, m: int) -> None:
        bound = self._bound
        for n in range(len(self._prefix_len), m + 1):
            self._prefix_len.append(n - _min_overlap(n, bound) + 1 if n else 0)
        top = 2 * (m + self._max_len) + 64
        if len(self._need) <= m + self._max_len:
            need = self._need
            for total in range(len(need), top):
                need.append(max(1, math.floor(bound * total / 2) + 1) if bound > 0 else 1)
            self._need_np = np.array(need, dtype=np.int64)

    # -- encoding -----------------------------------------------------------------
    def _encode_known(self, tokens: list[str]) -> str:
        return "".join(map(self._chars.get, tokens, repeat(_UNKNOWN, len(tokens))))

    def _encode_grow(self, tokens: list[str]) -> str:
        chars = self._chars
        out = []
        for token in tokens:
            ch = chars.get(token)
            if ch is None:
                code = len(chars)
                if code > _MAX_CODE:
                    raise OverflowError("more than 1.1 million distinct tokens in the pool")
                ch = chars[token] = _char(code)
            out.append(ch)
        return "".join(out)

    # -- index maintenance -------------------------------------------------------------
    def _index_entry(self, entry: int, seq: str, keys: list[int] | None = None) -> None:
        n = len(seq)
        if not n:
            return
        if keys is None:
            if n >= len(self._prefix_len):
                self._grow_tables(n)
            keys = _keys(sorted(map(ord, seq), reverse=True)[: self._prefix_len[n]])
        if self._banded is not None:
            self._index_banded(entry, keys, self._band_of[n])
        postings = self._postings
        get = postings.get
        base = entry << 16
        for j, key in enumerate(keys):
            plist = get(key)
            # Positions past 65535 are stored as 65535: a smaller j only loosens its bound.
            value = base | j if j < 0xFFFF else base | 0xFFFF
            if plist is None:
                postings[key] = array("q", (value,))
            else:
                try:
                    plist.append(value)
                except BufferError:  # a numpy view of it outlived a query (an exception mid-query)
                    postings[key] = plist = array("q", plist)
                    plist.append(value)

    def _index_banded(self, entry: int, keys: list[int], band: int) -> None:
        banded = self._banded
        base = entry << 16
        for j, key in enumerate(keys):
            slot = key << 6 | band
            value = base | j if j < 0xFFFF else base | 0xFFFF
            plist = banded.get(slot)
            if plist is None:
                banded[slot] = array("q", (value,))
            else:
                try:
                    plist.append(value)
                except BufferError:
                    banded[slot] = plist = array("q", plist)
                    plist.append(value)

    def _rebuild(self) -> None:
        """Re-rank tokens by frequency (most frequent = code 0), re-code every string, re-index.

        Numpy does the counting and re-coding, a slice of entries at a time so the
        temporary arrays stay small next to the pool.
        """
        count = len(self._chars)
        self._last_seq = None
        self._buckets_filled = 0  # codes change: every entry's bucket counts too
        seqs = self._seqs
        if count:
            freq = np.zeros(count, dtype=np.int64)
            for start in range(0, len(seqs), _REBUILD_SLICE):
                freq += np.bincount(_codes_of("".join(seqs[start:start + _REBUILD_SLICE])), minlength=count)
            order = np.argsort(-freq, kind="stable")
            new_code = np.empty(count, dtype=np.int32)
            new_code[order] = np.arange(count, dtype=np.int32)
            new_point = np.where(new_code >= _SURROGATES, new_code + 0x800, new_code).astype(np.uint32)
            lens = self._len_list
            recoded: list[str] = []
            for start in range(0, len(seqs), _REBUILD_SLICE):
                stop = min(len(seqs), start + _REBUILD_SLICE)
                text = new_point[_codes_of("".join(seqs[start:stop]))].tobytes().decode("utf-32-le")
                offset = 0
                for n in lens[start:stop]:
                    recoded.append(text[offset:offset + n])
                    offset += n
            self._seqs = seqs = recoded
            point_of = new_point.tolist()
            self._chars = {
                token: chr(point_of[ord(ch) - 0x800 if ord(ch) >= _SURROGATES + 0x800 else ord(ch)])
                for token, ch in self._chars.items()
            }
        self._postings = {}
        self._banded = {} if len(seqs) >= _BANDED_MIN else None
        if self._banded is not None:
            for entry, seq in enumerate(seqs):
                self._index_entry(entry, seq)
            return
        # The same as _index_entry for every entry, inlined (this loop is most of a re-ranking).
        if self._max_len >= len(self._prefix_len):
            self._grow_tables(self._max_len)
        prefix_len = self._prefix_len
        lists: dict[int, list[int]] = {}
        get = lists.get
        for entry, seq in enumerate(seqs):
            if not seq:
                continue
            points = sorted(map(ord, seq), reverse=True)
            del points[prefix_len[len(points)]:]
            if len(set(points)) < len(points):
                points = _keys(points)
            value = entry << 16
            for key in points:
                plist = get(key)
                if plist is None:
                    lists[key] = [value]
                else:
                    plist.append(value)
                if value & 0xFFFF != 0xFFFF:  # positions past 65535 are stored as 65535
                    value += 1
        self._postings = {key: array("q", values) for key, values in lists.items()}

    def add(self, text: str) -> int:
        """Add an instruction unconditionally (seeds, resumed records); returns its position."""
        return self._add_seq(text, self._encode_grow(self.tokenizer.tokenize(text)))

    def _add_seq(self, text: str, seq: str) -> int:
        entry = len(self.texts)
        self.texts.append(text)
        self._seqs.append(seq)
        self._len_list.append(len(seq))
        if len(seq) > self._max_len:
            self._max_len = len(seq)
            log_ratio = math.log(_BAND_RATIO)
            self._band_of.extend(min(63, int(math.log(n) / log_ratio)) for n in range(len(self._band_of), len(seq) + 1))
        if entry >= len(self._lens):
            grown = np.zeros(2 * len(self._lens), dtype=np.int32)
            grown[: len(self._lens)] = self._lens
            self._lens = grown
        self._lens[entry] = len(seq)
        if len(self.texts) >= self._next_rebuild:
            self._next_rebuild *= _REBUILD_GROWTH
            self._rebuild()
        else:
            self._index_entry(entry, seq, self._last_keys if seq is self._last_seq else None)
        self._last_seq = None
        return entry

    # -- queries ----------------------------------------------------------------------
    def _first_duplicate(self, seq: str) -> tuple[int, float] | None:
        """The earliest entry scoring above the threshold, or None.

        Candidates share an element of the query's probe prefix with an entry's indexed
        prefix. For the first shared element, at position i among the query's m_k known
        elements and j among the entry's n, the overlap (hence the LCS) is at most
        min(m_k - i, n - j): an entry is verified only when that reaches need[m + n],
        the least LCS scoring above the bound. Later shared elements sit at larger i and
        j, so "some shared element passes" is the same test as "the first one passes",
        and no per-entry first occurrence is needed. The test implies the length bound.
        """
        m = len(seq)
        self._last_seq = None
        if m == 0 or not self.texts:
            return None
        unknown = seq.count(_UNKNOWN) if _UNKNOWN in seq else 0
        if m >= len(self._prefix_len) or m + self._max_len >= len(self._need):
            self._grow_tables(m)
        mk = m - unknown
        # Overlap >= alpha(m) with the known tokens: they share one of their first
        # mk - alpha(m) + 1 elements with the entry's indexed prefix. (The unknown
        # token's code point is the largest, so it sorts first.)
        probe = mk - (m - self._prefix_len[m])
        if probe <= 0:
            return None
        keys = _keys(sorted(map(ord, seq), reverse=True)[unknown:unknown + probe])
        if not unknown:
            self._last_seq = seq
            self._last_keys = keys
        get = self._postings.get
        found = []
        total = 0
        for i, key in enumerate(keys):
            plist = get(key)
            if plist is not None:
                found.append((i, plist))
                total += len(plist)
        if total > _SMALL:
            return self._first_duplicate_large(seq, mk, found, keys)
        if not found:
            return None
        # Few postings: the same test in plain Python, then LCS in pool order.
        need_m = self._need[m:]  # need_m[n] = need[m + n]
        lens = self._len_list
        candidates: set[int] = set()
        add = candidates.add
        for i, plist in found:
            cap = mk - i
            for value in plist:
                entry = value >> 16
                n = lens[entry]
                least = need_m[n]
                if cap >= least and n - (value & 0xFFFF) >= least:
                    add(entry)
        if not candidates:
            return None
        seqs = self._seqs
        threshold = self.threshold
        similarity = LCSseq.similarity
        for entry in sorted(candidates):
            n = lens[entry]
            lcs = similarity(seq, seqs[entry], score_cutoff=need_m[n])
            if lcs:
                score = rouge_l_f1(lcs, m, n)
                if score > threshold:
                    return entry, score
        return None

    def _banded_lists(self, m: int, mk: int, keys: list[int]) -> list[tuple[int, array]]:
        """The posting lists of the probe elements, restricted to the length bands each can match.

        At probe position i an entry of length n needs need[m + n] <= mk - i, which caps n;
        and n >= the length bound. Lists of bands outside [band(lo), band(cap)] hold no candidate.
        """
        bound = self._bound
        lo = max(1, math.floor(bound * m / (2 - bound)) + 1) if bound > 0 else 1
        need = self._need
        band_of = self._band_of
        max_len = self._max_len
        if lo > max_len:
            return []
        get = self._banded.get
        found = []
        for i, key in enumerate(keys):
            # the largest total length s = m + n with need[s] <= mk - i
            hi = min(bisect_right(need, mk - i) - 1 - m, max_len)
            if hi < lo:
                break  # the cap only shrinks along the probe
            base = key << 6
            for band in range(band_of[lo], band_of[hi] + 1):
                plist = get(base | band)
                if plist is not None:
                    found.append((i, plist))
        return found

    def _first_duplicate_large(self, seq: str, mk: int, found: list[tuple[int, array]],
                               keys: list[int]) -> tuple[int, float] | None:
        """The same test with numpy, over growing ranges of entries so a duplicate found early ends it.

        Posting lists are sorted (entries are indexed in order, and so are re-indexings),
        so each range of entries is a slice of every list. The first ranges read the plain
        lists (few lists, so little overhead); past _BANDED_FROM entries, a large pool's
        length-banded lists (more lists, far fewer postings). Many survivors go through the
        bucket bound (see ``_fill_buckets``) before any LCS.
        """
        m = len(seq)
        total = len(self.texts)
        query_buckets: list = []
        begin = 0
        block = _FIRST_BLOCK
        lists = found
        views: list[np.ndarray] = []
        try:
            while begin < total:
                if self._banded is not None and begin >= _BANDED_FROM and lists is found:
                    lists = self._banded_lists(m, mk, keys)
                    views = []
                    block = 8 * begin  # the banded lists are many: fewer, longer ranges
                end = min(total, begin + block)
                block *= _BLOCK_GROWTH
                if not views:
                    views = [np.frombuffer(plist, dtype=np.int64) for _, plist in lists]
                    caps = np.array([mk - i for i, _ in lists], dtype=np.int64)
                    starts = [int(v.searchsorted(begin << 16)) if begin else 0 for v in views]
                hit = self._scan_range(seq, m, views, caps, starts, end, end >= total, query_buckets)
                begin = end
                if hit is not None:
                    return hit
            return None
        finally:
            del views  # no buffer view may outlive the query: the posting arrays must stay resizable

    def _scan_range(self, seq: str, m: int, views: list[np.ndarray], caps: np.ndarray, starts: list[int],
                    end: int, last: bool, query_buckets: list) -> tuple[int, float] | None:
        """Candidates among entries [starts, end) of every list; the earliest duplicate among them."""
        limit = end << 16
        parts = []
        part_caps = []
        for k, values in enumerate(views):
            stop = len(values) if last else int(values.searchsorted(limit))
            if stop > starts[k]:
                parts.append(values[starts[k]:stop])
                part_caps.append(k)
                starts[k] = stop
        if not parts:
            return None
        values = np.concatenate(parts) if len(parts) > 1 else parts[0]
        cap = np.repeat(caps[part_caps], [len(p) for p in parts])
        del parts
        lens = self._lens
        need = self._need_np
        entries = values >> 16
        n = lens[entries]
        least = need[m + n]
        keep = (least <= cap) & (n - (values & 0xFFFF) >= least)
        del values
        candidates = entries[keep]
        if not len(candidates):
            return None
        if end <= _MARK_MAX or end <= 8 * len(candidates):
            # Distinct entries in order through a mark per entry: cheaper than sorting when
            # the candidates are many next to the range they come from.
            marks = np.zeros(end, dtype=bool)
            marks[candidates] = True
            candidates = np.flatnonzero(marks)
        else:
            candidates.sort()
            if len(candidates) > 1:
                distinct = np.empty(len(candidates), dtype=bool)
                distinct[0] = True
                np.not_equal(candidates[1:], candidates[:-1], out=distinct[1:])
                candidates = candidates[distinct]
        if len(candidates) > _BUCKET_FILTER_MIN:
            if not query_buckets:
                query_buckets.append(self._query_buckets(seq))
            if query_buckets[0] is not None:
                if len(self._seqs) - self._buckets_filled > _BUCKET_LAG:
                    self._fill_buckets()
                # Entries added since the last fill skip this bound (it only prunes) and go
                # straight to the LCS: filling a few rows at a time costs more than it saves.
                filled = self._buckets_filled
                cut = int(np.searchsorted(candidates, filled))
                head = candidates[:cut]
                rows = np.take(self._buckets, head, axis=0)
                np.minimum(rows, query_buckets[0], out=rows)
                bound = np.add.reduce(rows, axis=1, dtype=np.uint16)  # at most 64 * 255
                head = head[bound >= need[m + lens[head]]]
                candidates = np.concatenate([head, candidates[cut:]]) if cut < len(candidates) else head
        if not len(candidates):
            return None
        return self._verify(seq, candidates)

    # -- bucket bound --------------------------------------------------------------------
    # Every entry has 64 counts: tokens with codes 0..31 (the 32 most frequent after a
    # re-ranking) each count in their own bucket, the others in 32 hashed buckets. The
    # multiset overlap of two texts, hence their LCS, is at most the sum over buckets of
    # the smaller count (min is superadditive). Counts are stored saturated at 255,
    # which stays an upper bound while the query's own counts are below 255.
    @staticmethod
    def _bucket_ids(codes: np.ndarray) -> np.ndarray:
        hashed = (codes.astype(np.int64) * _BUCKET_HASH) % (_BUCKETS - _EXACT_BUCKETS)
        return np.where(codes < _EXACT_BUCKETS, codes, _EXACT_BUCKETS + hashed)

    def _query_buckets(self, seq: str) -> np.ndarray | None:
        known = seq.replace(_UNKNOWN, "")
        counts = np.bincount(self._bucket_ids(_codes_of(known)), minlength=_BUCKETS)
        if counts.max(initial=0) >= 255:
            return None  # a saturated entry count would no longer bound the overlap
        return counts.astype(np.uint8)

    def _fill_buckets(self) -> None:
        """Bucket counts of the entries added since the last fill (all of them after a re-ranking)."""
        total = len(self._seqs)
        done = self._buckets_filled
        if done >= total:
            return
        if len(self._buckets) < total:
            grown = np.zeros((max(total, 2 * len(self._buckets)), _BUCKETS), dtype=np.uint8)
            grown[:done] = self._buckets[:done]
            self._buckets = grown
        for start in range(done, total, _REBUILD_SLICE):
            stop = min(total, start + _REBUILD_SLICE)
            lens = np.asarray(self._len_list[start:stop], dtype=np.int64)
            rows = np.repeat(np.arange(stop - start, dtype=np.int64), lens)
            buckets = self._bucket_ids(_codes_of("".join(self._seqs[start:stop])))
            counts = np.bincount(rows * _BUCKETS + buckets, minlength=(stop - start) * _BUCKETS)
            self._buckets[start:stop] = np.minimum(counts, 255).reshape(stop - start, _BUCKETS)
        self._buckets_filled = total

    def _verify(self, seq: str, candidates) -> tuple[int, float] | None:
        m = len(seq)
        seqs = self._seqs
        threshold = self.threshold
        if len(candidates) <= _CHUNK // 8:
            lens = self._len_list
            need = self._need
            similarity = LCSseq.similarity
            for entry in (candidates if isinstance(candidates, list) else candidates.tolist()):
                n = lens[entry]
                lcs = similarity(seq, seqs[entry], score_cutoff=need[m + n])
                if lcs:
                    score = rouge_l_f1(lcs, m, n)
                    if score > threshold:
                        return entry, score
            return None
        candidates = np.asarray(candidates, dtype=np.int64)
        for start in range(0, len(candidates), _CHUNK):
            chunk = candidates[start:start + _CHUNK]
            chunk_lens = self._lens[chunk]
            cutoff = self._need[m + int(chunk_lens.min())]
            lcs = process.cdist([seq], [seqs[i] for i in chunk.tolist()], scorer=LCSseq.similarity,
                                dtype=np.int32, workers=1, score_cutoff=cutoff)[0]
            scores = rouge_l_f1_array(lcs, m, chunk_lens)
            hits = np.flatnonzero(scores > threshold)
            if hits.size:
                first = int(hits[0])
                return int(chunk[first]), float(scores[first])
        return None

    def _all_scores(self, seq: str) -> np.ndarray:
        if not self._seqs:
            return np.zeros(0)
        lcs = process.cdist([seq], self._seqs, scorer=LCSseq.similarity, dtype=np.int32, workers=1)[0]
        return rouge_l_f1_array(lcs, len(seq), self._lens[: len(self._seqs)])

    def _verdict(self, seq: str, stats_for_duplicates: bool = False) -> Verdict:
        """Duplicate or not from the pruned search; the statistics, which need the exact
        score against every pool entry, only where they are kept: for a kept candidate
        (or any checked one when asked). Most candidates of a long run are duplicates,
        so most never pay for a full pass over the pool."""
        if self.similarity_stats and stats_for_duplicates:
            self._last_seq = None
            return self._stats_verdict(self._all_scores(seq))
        duplicate = self._duplicate_verdict(seq)
        if duplicate is not None:
            return duplicate
        if self.similarity_stats:
            return self._stats_verdict(self._all_scores(seq))
        return Verdict(False)

    def _duplicate_verdict(self, seq: str) -> Verdict | None:
        """The pruned search's verdict when ``seq`` is a near duplicate, else None."""
        hit = self._first_duplicate(seq)
        if hit is None:
            return None
        entry, score = hit
        return Verdict(True, best_score=score, best_text=self.texts[entry])

    def _keep(self, text: str, tokens: list[str], seq: str) -> None:
        """Add a kept candidate; ``seq`` is its encoding with the known tokens."""
        self._add_seq(text, self._encode_grow(tokens) if _UNKNOWN in seq else seq)

    def _stats_verdict(self, scores: np.ndarray) -> Verdict:
        """Stanford's statistics from the scores against every pool entry, in pool order."""
        if scores.size == 0:
            return Verdict(False, most_similar={}, avg_similarity=0.0)
        # Stanford: top k by score, descending, as {instruction: score}; among equal
        # scores the earliest pool entries (what a stable sort of -scores gives).
        k = max(0, min(self.top_k, scores.size))
        # The k-th best score of the first entries is at most the pool's k-th best, so
        # every top-k entry scores at least that much: one comparison over the pool
        # leaves a few entries to sort instead of a partition of the whole pool.
        floor = 0.0
        if 0 < k <= _TOP_SAMPLE < scores.size:
            sample = scores[:_TOP_SAMPLE]
            floor = float(np.partition(sample, _TOP_SAMPLE - k)[_TOP_SAMPLE - k])
        if floor > 0:
            top = np.flatnonzero(scores >= floor)
        else:
            top = np.flatnonzero(scores > 0)
            if top.size > k:
                sub = scores[top]
                top = top[sub >= np.partition(sub, sub.size - k)[sub.size - k]]
        order = top[np.argsort(-scores[top], kind="stable")][:k]
        if order.size < k:  # ties at 0 go to the earliest pool entries, as a stable sort gives
            order = np.concatenate([order, np.flatnonzero(scores == 0)[: k - order.size]])
        most_similar: dict[str, float] = {}
        for i in order.tolist():
            most_similar.setdefault(self.texts[i], float(scores[i]))
        best = int(order[0]) if k else int(np.argmax(scores))
        best_score = float(scores[best])
        return Verdict(
            duplicate=best_score > self.threshold,
            best_score=best_score,
            best_text=self.texts[best],
            most_similar=most_similar,
            avg_similarity=float(np.mean(scores)),
        )

    def scores(self, text: str) -> np.ndarray:
        """The exact ROUGE-L F1 of ``text`` against every pool entry, in pool order."""
        return self._all_scores(self._encode_known(self.tokenizer.tokenize(text)))

    def check(self, text: str) -> Verdict:
        """Score a candidate against the pool without adding it."""
        return self._verdict(self._encode_known(self.tokenizer.tokenize(text)), stats_for_duplicates=True)

    def offer_many(self, texts: list[str]) -> list[Verdict]:
        """``offer`` each text in turn, with the same verdicts; faster with statistics on.

        Each candidate is first checked with the pruned search against the pool as it
        stands (candidates kept earlier in this call included) and added when kept. The
        statistics of the kept ones are then computed together: their scores against the
        pool as it was before this call in one vectorised call, and against the candidates
        kept before them (on their tokens) one by one.
        """
        if not self.similarity_stats or len(texts) < 2:
            return [self.offer(text) for text in texts]
        tokens = [self.tokenizer.tokenize(text) for text in texts]
        base = len(self._seqs)
        verdicts: list[Verdict | None] = []
        kept: list[int] = []
        for j, text in enumerate(texts):
            seq = self._encode_known(tokens[j])
            duplicate = self._duplicate_verdict(seq)
            verdicts.append(duplicate)
            if duplicate is None:
                self._keep(text, tokens[j], seq)
                kept.append(j)
        if kept:
            # Encoded now, after any re-ranking of the codes during the adds above, so the
            # queries and the pool's first `base` entries use the same codes.
            queries = [self._encode_known(tokens[j]) for j in kept]
            if base:
                lcs = process.cdist(queries, self._seqs[:base], scorer=LCSseq.similarity, dtype=np.int32, workers=1)
            base_lens = self._lens[:base]
            for r, j in enumerate(kept):
                m = len(tokens[j])
                pool_scores = rouge_l_f1_array(lcs[r], m, base_lens) if base else np.zeros(0)
                if r:
                    earlier = [tokens[i] for i in kept[:r]]
                    extra = np.array([rouge_l_f1(LCSseq.similarity(tokens[j], other), m, len(other)) for other in earlier])
                    pool_scores = np.concatenate([pool_scores, extra])
                verdicts[j] = self._stats_verdict(pool_scores)
        return verdicts

    def offer(self, text: str) -> Verdict:
        """Check a candidate; add it to the pool when it is not a near duplicate."""
        tokens = self.tokenizer.tokenize(text)
        seq = self._encode_known(tokens)
        verdict = self._verdict(seq)
        if not verdict.duplicate:
            self._keep(text, tokens, seq)
        return verdict
