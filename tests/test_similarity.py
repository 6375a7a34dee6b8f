"""similarity.NearDuplicateIndex: the same decisions and scores as Stanford's rouge_score loop."""
from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rouge_score import rouge_scorer, scoring

from alpaca_gen.similarity import NearDuplicateIndex, rouge_l_f1
from alpaca_gen.tokenizers import HangulCharTokenizer, RougeTokenizer


class SplitTokenizer:
    """Tokens are the space-separated pieces of the text: lets tests choose token lists directly."""

    name = "split"

    def tokenize(self, text: str) -> list[str]:
        return text.split()


def ref_score(new_tokens: list[str], existing_tokens: list[str]) -> float:
    # Stanford: partial(rouge_scorer._score_lcs, new_instruction_tokens) mapped over the pool.
    return rouge_scorer._score_lcs(new_tokens, existing_tokens).fmeasure


def reference_loop(tokenizer, seeds: list[str], candidates: list[str], threshold: float):
    """Stanford's loop: pool = seeds + kept so far; reject when max score > threshold.

    Returns, per candidate: (duplicate, scores against the pool, pool texts).
    """
    pool_texts = list(seeds)
    pool_tokens = [tokenizer.tokenize(s) for s in seeds]
    out = []
    for text in candidates:
        tokens = tokenizer.tokenize(text)
        scores = [ref_score(tokens, other) for other in pool_tokens]
        duplicate = bool(scores) and max(scores) > threshold
        out.append((duplicate, scores, list(pool_texts)))
        if not duplicate:
            pool_texts.append(text)
            pool_tokens.append(tokens)
    return out


def run_index(tokenizer, seeds, candidates, threshold, stats):
    index = NearDuplicateIndex(tokenizer, threshold, similarity_stats=stats)
    for s in seeds:
        index.add(s)
    return index, [index.offer(c) for c in candidates]


def assert_matches_reference(verdicts, reference, stats: bool, threshold: float):
    assert [v.duplicate for v in verdicts] == [r[0] for r in reference]
    for verdict, (duplicate, scores, pool) in zip(verdicts, reference):
        if duplicate:
            # The earliest pool entry scoring above the threshold; no statistics, since a
            # dropped candidate's are never stored.
            first = next(i for i, s in enumerate(scores) if s > threshold)
            assert (verdict.best_text, verdict.best_score) == (pool[first], scores[first])
            assert verdict.most_similar is None and verdict.avg_similarity is None
            continue
        if stats:
            if not scores:
                assert verdict.best_score == 0.0
                assert verdict.most_similar == {}
                assert verdict.avg_similarity == 0.0
                continue
            # The pool's best match, the earliest one among equal scores.
            best = scores.index(max(scores))
            assert (verdict.best_text, verdict.best_score) == (pool[best], scores[best])
            assert verdict.avg_similarity == float(np.mean(scores))
            check_most_similar(verdict.most_similar, scores, pool)


def check_most_similar(most_similar: dict, scores: list[float], pool: list[str], k: int = 10):
    """Stanford's top 10 as {instruction: score}, best first; ties go to the earlier pool entry."""
    top = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
    expected: dict[str, float] = {}
    for i in top:
        expected.setdefault(pool[i], scores[i])
    assert list(most_similar.items()) == list(expected.items())
    values = list(most_similar.values())
    assert values == sorted(values, reverse=True)


# --- the F1 formula ----------------------------------------------------------------------------
def test_rouge_l_f1_is_rouge_scores_float_formula():
    for new_len in range(0, 31):
        for existing_len in range(0, 31):
            for lcs in range(0, min(new_len, existing_len) + 1):
                ours = rouge_l_f1(lcs, new_len, existing_len)
                if new_len == 0 or existing_len == 0:
                    assert ours == 0.0
                else:
                    assert ours == scoring.fmeasure(lcs / existing_len, lcs / new_len)


def _pairs_at(threshold: Fraction, max_len: int = 30):
    """(m, n, L) with 2L/(m+n) exactly the threshold, and rouge_score's float F1 for each."""
    out = []
    for m in range(1, max_len + 1):
        for n in range(1, max_len + 1):
            for lcs in range(1, min(m, n) + 1):
                if Fraction(2 * lcs, m + n) == threshold:
                    out.append((m, n, lcs, scoring.fmeasure(lcs / n, lcs / m)))
    return out


def _pair_texts(m: int, n: int, lcs: int) -> tuple[str, str]:
    shared = [f"s{i}" for i in range(lcs)]
    new = shared + [f"x{i}" for i in range(m - lcs)]
    existing = shared + [f"y{i}" for i in range(n - lcs)]
    return " ".join(new), " ".join(existing)


@pytest.mark.parametrize("stats", [True, False])
def test_ties_at_exactly_the_threshold_follow_the_float_formula(stats):
    pairs = _pairs_at(Fraction(7, 10), max_len=40)
    # Both kinds occur: exactly 0.7 in floats (kept, F1 > 0.7 is strict) and 0.7000000000000001 (dropped).
    assert (10, 10, 7, 0.7) in pairs
    assert any(f == 0.7 for *_, f in pairs)
    assert any(f > 0.7 for *_, f in pairs)
    assert any(f < 0.7 for *_, f in pairs)
    for m, n, lcs, f in pairs:
        new, existing = _pair_texts(m, n, lcs)
        assert ref_score(new.split(), existing.split()) == f
        index = NearDuplicateIndex(SplitTokenizer(), 0.7, similarity_stats=stats)
        index.add(existing)
        verdict = index.offer(new)
        assert verdict.duplicate == (f > 0.7), (m, n, lcs, f)
        if verdict.duplicate or stats:
            assert verdict.best_score == f


def test_length_10_and_10_with_lcs_7_is_kept_at_0_7_and_dropped_below():
    new, existing = _pair_texts(10, 10, 7)
    for threshold, duplicate in [(0.7, False), (0.69, True), (0.7000000000000001, False)]:
        for stats in (True, False):
            index = NearDuplicateIndex(SplitTokenizer(), threshold, similarity_stats=stats)
            index.add(existing)
            assert index.offer(new).duplicate is duplicate


@pytest.mark.parametrize("threshold", [Fraction(1, 2), Fraction(3, 5), Fraction(3, 4), Fraction(4, 5)])
def test_ties_at_other_thresholds(threshold):
    pairs = _pairs_at(threshold, max_len=16)
    assert pairs
    for m, n, lcs, f in pairs:
        new, existing = _pair_texts(m, n, lcs)
        index = NearDuplicateIndex(SplitTokenizer(), float(threshold), similarity_stats=False)
        index.add(existing)
        assert index.offer(new).duplicate == (f > float(threshold)), (m, n, lcs, f)


def test_threshold_out_of_range():
    with pytest.raises(ValueError):
        NearDuplicateIndex(SplitTokenizer(), 1.5)
    with pytest.raises(ValueError):
        NearDuplicateIndex(SplitTokenizer(), -0.1)


# --- property tests against the reference loop ------------------------------------------------
def _token_lists(alphabet: str):
    # Draw the length first: plain st.lists would mostly give very short lists.
    return st.integers(0, 30).flatmap(
        lambda n: st.lists(st.sampled_from(alphabet), min_size=n, max_size=n).map(" ".join)
    )


_THRESHOLDS = st.one_of(
    st.sampled_from([0.0, 0.25, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0]),
    st.floats(0.0, 1.0, allow_nan=False),
)


@settings(max_examples=75, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    alphabet=st.sampled_from(["ab", "abc", "abcde", "abcdefgh"]),
    data=st.data(),
    threshold=_THRESHOLDS,
)
def test_decisions_and_scores_equal_reference(alphabet, data, threshold):
    n_seeds = data.draw(st.integers(0, 6), label="number of seeds")
    n_candidates = data.draw(st.integers(0, 14), label="number of candidates")
    seeds = data.draw(st.lists(_token_lists(alphabet), min_size=n_seeds, max_size=n_seeds), label="seeds")
    candidates = data.draw(
        st.lists(_token_lists(alphabet), min_size=n_candidates, max_size=n_candidates), label="candidates"
    )
    tok = SplitTokenizer()
    reference = reference_loop(tok, seeds, candidates, threshold)
    for stats in (True, False):
        _, verdicts = run_index(tok, seeds, candidates, threshold, stats)
        assert_matches_reference(verdicts, reference, stats, threshold)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=20), min_size=1, max_size=5),
    edits=st.lists(st.tuples(st.integers(0, 4), st.integers(0, 19), st.integers(0, 40), st.sampled_from("dis")),
                   max_size=25),
    threshold=st.sampled_from([0.5, 0.6, 0.7, 0.8]),
)
def test_near_variants_equal_reference(base, edits, threshold):
    """Candidates made by small edits of a few base sentences, so that many are near duplicates."""
    candidates = [" ".join(f"w{t}" for t in b) for b in base]
    for which, pos, token, op in edits:
        words = list(base[which % len(base)])
        pos = pos % (len(words) + 1)
        if op == "d" and pos < len(words):
            del words[pos]
        elif op == "i":
            words.insert(pos, token)
        elif pos < len(words):
            words[pos] = token
        candidates.append(" ".join(f"w{t}" for t in words))
    tok = SplitTokenizer()
    reference = reference_loop(tok, [], candidates, threshold)
    for stats in (True, False):
        _, verdicts = run_index(tok, [], candidates, threshold, stats)
        assert_matches_reference(verdicts, reference, stats, threshold)


def test_check_does_not_add():
    index = NearDuplicateIndex(SplitTokenizer(), 0.7)
    index.add("a b c d")
    verdict = index.check("a b c d")
    assert verdict.duplicate and verdict.best_score == 1.0
    assert len(index) == 1
    assert not index.check("e f g h").duplicate
    assert len(index) == 1


def test_offer_adds_only_kept_candidates():
    index = NearDuplicateIndex(SplitTokenizer(), 0.7, similarity_stats=False)
    assert not index.offer("give three tips for staying healthy").duplicate
    assert index.offer("give three tips for staying very healthy").duplicate
    assert not index.offer("name the capital of france").duplicate
    assert index.texts == ["give three tips for staying healthy", "name the capital of france"]


# --- most_similar / avg_similarity -----------------------------------------------------------
def test_most_similar_and_avg_similarity_equal_reference():
    tok = RougeTokenizer()
    pool = [
        "Give three tips for staying healthy.",
        "Give three tips for staying focused while studying.",
        "Give three tips for a healthy breakfast.",
        "What are three tips for staying healthy in winter?",
        "Suggest three ways to stay healthy at work.",
        "Name the capital city of Australia.",
        "Explain how a rainbow forms.",
        "Give two tips for staying calm before an exam.",
        "List three healthy snacks for children.",
        "Translate the sentence into French.",
        "Give three reasons for learning a second language.",
        "Describe a healthy morning routine in three steps.",
        "Give tips for staying healthy while traveling.",
        "Write a haiku about autumn leaves.",
    ]
    candidate = "Give three tips for staying healthy at home."
    index = NearDuplicateIndex(tok, 1.0, similarity_stats=True)  # threshold 1.0: nothing is a duplicate
    for text in pool:
        index.add(text)
    verdict = index.check(candidate)
    new = tok.tokenize(candidate)
    scores = [ref_score(new, tok.tokenize(t)) for t in pool]
    assert len(verdict.most_similar) == 10
    assert list(verdict.most_similar) == [pool[i] for i in sorted(range(len(pool)), key=lambda i: (-scores[i], i))][:10]
    for text, score in verdict.most_similar.items():
        assert score == scores[pool.index(text)]
    assert list(verdict.most_similar.values()) == sorted(scores, reverse=True)[:10]
    # The average is over the whole pool, not over the top 10.
    assert verdict.avg_similarity == float(np.mean(scores))
    assert verdict.avg_similarity != pytest.approx(float(np.mean(sorted(scores)[-10:])))
    assert verdict.best_text == "Give three tips for staying healthy."
    assert verdict.best_score == max(scores)


def test_stats_off_gives_no_statistics():
    index = NearDuplicateIndex(SplitTokenizer(), 0.7, similarity_stats=False)
    index.add("a b c")
    verdict = index.offer("d e f")
    assert verdict.most_similar is None and verdict.avg_similarity is None


def test_empty_pool_with_stats():
    verdict = NearDuplicateIndex(SplitTokenizer(), 0.7).offer("a b c")
    assert not verdict.duplicate
    assert verdict.most_similar == {} and verdict.avg_similarity == 0.0


# --- rebuild points ------------------------------------------------------------------------------
def _many_candidates(count: int, rng: random.Random) -> list[str]:
    vocab = [f"t{i}" for i in range(3000)]
    bases = [[rng.choice(vocab) for _ in range(rng.randint(3, 12))] for _ in range(count // 2)]
    out = []
    for _ in range(count):
        words = list(rng.choice(bases))
        for _ in range(rng.randint(0, 4)):
            op = rng.random()
            pos = rng.randrange(len(words) + 1)
            if op < 0.4:
                words.insert(pos, rng.choice(vocab))
            elif op < 0.7 and pos < len(words) and len(words) > 1:
                del words[pos]
            elif pos < len(words):
                words[pos] = rng.choice(vocab)
        out.append(" ".join(words))
    return out


def _fast_reference_decisions(candidates: list[str], seeds: list[str], threshold: float) -> list[bool]:
    """Stanford's decisions; pairs without a shared token score exactly 0, so only the others run LCS."""
    pool = [s.split() for s in seeds]
    pool_sets = [set(p) for p in pool]
    decisions = []
    for text in candidates:
        tokens = text.split()
        token_set = set(tokens)
        best = 0.0
        for other, other_set in zip(pool, pool_sets):
            if token_set & other_set:
                best = max(best, ref_score(tokens, other))
        duplicate = best > threshold
        decisions.append(duplicate)
        if not duplicate:
            pool.append(tokens)
            pool_sets.append(token_set)
    return decisions


@pytest.mark.parametrize("threshold", [0.5, 0.7])
def test_decisions_across_rebuilds(threshold):
    rng = random.Random(20240611 + int(threshold * 10))
    seeds = _many_candidates(150, rng)
    candidates = _many_candidates(2000, rng)
    expected = _fast_reference_decisions(candidates, seeds, threshold)
    kept = len(seeds) + expected.count(False)
    assert kept > 1100, "the pool must pass the re-rankings at 256 and 1,024"
    assert expected.count(True) > 50, "the sample must hold near duplicates"
    for stats in (False, True):
        index = NearDuplicateIndex(SplitTokenizer(), threshold, similarity_stats=stats)
        for s in seeds:
            index.add(s)
        decisions = [index.offer(c).duplicate for c in candidates]
        assert decisions == expected
        assert len(index) == kept


def test_every_entry_stays_findable_across_rebuilds():
    """700 unrelated entries; an edited copy of any one of them, probed between additions and at the
    end, finds exactly that entry (the only one it can exceed the threshold with)."""
    rng = random.Random(99)
    common = ["give", "the", "a", "of", "list", "short"]
    index = NearDuplicateIndex(SplitTokenizer(), 0.7, similarity_stats=False)
    texts: list[str] = []

    def probe(j: int, changes: int) -> None:
        words = texts[j].split()
        own = [k for k, w in enumerate(words) if w not in common]
        for k in rng.sample(own, changes):
            words[k] = f"edit{rng.randrange(5)}"  # tokens the pool has never seen
        expected = ref_score(words, texts[j].split()) > 0.7
        verdict = index.check(" ".join(words))
        assert verdict.duplicate == expected, (j, len(texts))
        if expected:
            assert verdict.best_text == texts[j]

    for i in range(700):
        words = [f"w{i}x{j}" for j in range(rng.randint(5, 12))] + rng.sample(common, 2)
        rng.shuffle(words)
        text = " ".join(words)
        assert not index.offer(text).duplicate
        texts.append(text)
        if i % 5 == 0:
            probe(rng.randrange(len(texts)), 1)
    assert len(index) == 700
    for j in range(len(texts)):
        probe(j, 1)
        probe(j, 3)


def _reference_first_hits(pool: list[list[str]], candidates: list[list[str]], threshold: float) -> list[bool]:
    """Stanford's decisions for a large pool, skipping only pairs whose float F1 provably cannot exceed
    the threshold (its value at LCS = min length, or at LCS = multiset overlap, is not above it)."""
    from collections import Counter

    pool = list(pool)
    counters = [Counter(p) for p in pool]
    decisions = []
    for tokens in candidates:
        m = len(tokens)
        mine = Counter(tokens)
        duplicate = False
        for other, other_counter in zip(pool, counters):
            n = len(other)
            if not m or not n:
                continue
            best = min(m, n)
            if scoring.fmeasure(best / n, best / m) <= threshold:
                continue
            overlap = sum((mine & other_counter).values())
            if overlap == 0 or scoring.fmeasure(overlap / n, overlap / m) <= threshold:
                continue
            if ref_score(tokens, other) > threshold:
                duplicate = True
                break
        decisions.append(duplicate)
        if not duplicate:
            pool.append(tokens)
            counters.append(mine)
    return decisions


@pytest.mark.parametrize("threshold", [0.7, 0.8])
def test_large_candidate_sets_across_rebuilds(threshold):
    """A pool of 700 entries over a few tokens: the posting lists are long, so the index gathers and
    scores candidates in batches; the seeds pass the rebuilds at 256 and 512 while being added."""
    rng = random.Random(7 + int(threshold * 100))
    common = "abcdefgh"
    seeds = [[rng.choice(common) for _ in range(rng.randint(4, 14))] for _ in range(700)]
    candidates = []
    for _ in range(160):
        kind = rng.random()
        if kind < 0.6:  # a small edit of a seed
            words = list(rng.choice(seeds))
            for _ in range(rng.randint(1, 4)):
                pos = rng.randrange(len(words))
                words[pos] = rng.choice(common + "XYZ")
        else:  # mostly new words with a few common ones
            words = [rng.choice(common) if rng.random() < 0.3 else f"new{rng.randrange(60)}"
                     for _ in range(rng.randint(3, 14))]
        candidates.append(words)
    expected = _reference_first_hits(seeds, candidates, threshold)
    assert 20 < expected.count(True) < 140
    index = NearDuplicateIndex(SplitTokenizer(), threshold, similarity_stats=False)
    for s in seeds:
        index.add(" ".join(s))
    verdicts = [index.offer(" ".join(c)) for c in candidates]
    assert [v.duplicate for v in verdicts] == expected
    for verdict, tokens in zip(verdicts, candidates):
        if verdict.duplicate:
            assert verdict.best_score == ref_score(tokens, verdict.best_text.split())
            assert verdict.best_score > threshold


# --- Korean --------------------------------------------------------------------------------
KOREAN_INSTRUCTIONS = [
    "다음 문장을 영어로 번역하세요.",
    "다음 문장을 영어로 번역해 주세요.",
    "다음 문장을 일본어로 번역해 주세요.",
    "친구에게 보낼 생일 축하 메시지를 작성하세요.",
    "친구한테 보낼 생일 축하 메시지를 써 주세요.",
    "부모님께 드릴 감사 편지를 짧게 써 주세요.",
    "이 글의 주제를 한 문장으로 요약하세요.",
    "이 글의 주제는 한 문장으로 요약하세요.",
    "다음 글을 세 문장으로 요약해 주세요.",
    "주어진 숫자 목록을 오름차순으로 정렬하세요.",
    "주어진 숫자 목록을 내림차순으로 정렬하세요.",
    "Python으로 리스트를 정렬하는 방법을 설명하세요.",
    "파이썬에서 리스트와 튜플의 차이를 설명해 주세요.",
    "오늘 오후 3시에 회의가 있는데 준비할 것을 알려 주세요.",
    "특정 단어가 포함된 이야기를 3문장으로 작성하세요.",
    "비 오는 날 집에서 할 만한 일을 세 가지 추천해 주세요.",
    "비 오는 날 집에서 할 수 있는 일을 다섯 가지 추천해 주세요.",
    "다음 문장의 감정을 긍정, 부정, 중립 중 하나로 분류하세요.",
    "다음 리뷰의 감정을 긍정 또는 부정으로 분류하세요.",
    "조선 시대에 한글이 만들어진 배경을 설명해 주세요.",
    "세종대왕이 한글을 만든 이유는 무엇인가요?",
    "초등학생에게 광합성을 쉽게 설명해 주세요.",
    "초등학생한테 광합성을 쉽게 설명해 주세요.",
    "다음 코드에서 버그를 찾아 수정하세요.",
    "이 코드의 버그를 찾아 고쳐 주세요.",
    "주말에 서울 근교로 당일치기 여행을 갈 만한 곳을 추천해 주세요.",
    "고객에게 배송 지연을 사과하는 이메일을 정중하게 써 주세요.",
    "회의록에서 할 일 목록을 뽑아 정리하세요.",
    "김치찌개를 맛있게 끓이는 방법을 단계별로 알려 주세요.",
    "된장찌개를 맛있게 끓이는 방법을 단계별로 알려 주세요.",
    "면접에서 자주 나오는 질문과 좋은 답변 예시를 알려 주세요.",
    "ㅋㅋ 이 농담이 왜 웃긴지 설명해 주세요.",
]


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.8])
def test_korean_decisions_equal_reference(threshold):
    tok = HangulCharTokenizer()
    seeds = KOREAN_INSTRUCTIONS[:4]
    candidates = KOREAN_INSTRUCTIONS[4:]
    reference = reference_loop(tok, seeds, candidates, threshold)
    if threshold == 0.7:
        dropped = [c for c, r in zip(candidates, reference) if r[0]]
        assert "이 글의 주제는 한 문장으로 요약하세요." in dropped
        assert "초등학생한테 광합성을 쉽게 설명해 주세요." in dropped
        assert "된장찌개를 맛있게 끓이는 방법을 단계별로 알려 주세요." in dropped
        assert "특정 단어가 포함된 이야기를 3문장으로 작성하세요." not in dropped
    for stats in (True, False):
        _, verdicts = run_index(tok, seeds, candidates, threshold, stats)
        assert_matches_reference(verdicts, reference, stats, threshold)


# --- empty token lists ----------------------------------------------------------------------------
@pytest.mark.parametrize("stats", [True, False])
def test_empty_token_instructions_never_duplicate(stats):
    tok = RougeTokenizer()  # erases Hangul: these Korean texts have no tokens
    index = NearDuplicateIndex(tok, 0.7, similarity_stats=stats)
    index.add("다음 문장을 영어로 번역하세요.")
    index.add("Give three tips for staying healthy.")
    for text in ["다음 문장을 영어로 번역하세요.", "다음 문장을 영어로 번역하세요.", "!!!", ""]:
        verdict = index.offer(text)
        assert not verdict.duplicate
        assert verdict.best_score == 0.0
    # And nothing is a duplicate of an empty entry either.
    verdict = index.offer("Name the capital city of Australia.")
    assert not verdict.duplicate
    assert index.offer("Give three tips for staying healthy.").duplicate


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_top_10_over_a_pool_larger_than_the_sample_bound(seed):
    """Pools past the first 512 entries take the top 10 through a floor from those entries;
    the result must equal a full stable sort, ties and late best matches included."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(12)]  # a small vocabulary: many equal scores
    pool = [" ".join(rng.choices(vocab, k=rng.randint(3, 9))) for _ in range(1500)]
    pool[1400] = "w0 w1 w2 w3 w4 w5"  # the best match sits far past the first 512
    index = NearDuplicateIndex(SplitTokenizer(), 1.0, similarity_stats=True)
    for text in pool:
        index.add(text)
    for candidate in ["w0 w1 w2 w3 w4 w5", "w7 w7 w8", "w11", "w3 w9 w1 w10 w0"]:
        new = candidate.split()
        scores = [ref_score(new, text.split()) for text in pool]
        verdict = index.check(candidate)
        check_most_similar(verdict.most_similar, scores, pool)
        assert verdict.avg_similarity == float(np.mean(scores))
        assert verdict.best_score == max(scores)


@pytest.mark.parametrize("size", [520, 1100])
def test_top_k_larger_than_the_sample_bound(size):
    """`seeds check` asks for every pair (top_k = the number of tasks): past 512 entries the
    floor must not be used, and near pairs late in the pool must still be reported."""
    rng = random.Random(size)
    vocab = [f"w{i}" for i in range(40)]
    pool = [" ".join(rng.choices(vocab, k=rng.randint(4, 9))) for _ in range(size)]
    pool[0] = pool[size - 1] = "w1 w2 w3 w4 w5 w6 w7 w8"
    pool[size - 2] = "w1 w2 w3 w4 w5 w6 w7 w9"
    index = NearDuplicateIndex(SplitTokenizer(), 1.0, similarity_stats=True, top_k=size)
    for text in pool:
        index.add(text)
    candidate = pool[size - 2]
    scores = [ref_score(candidate.split(), text.split()) for text in pool]
    verdict = index.check(candidate)
    check_most_similar(verdict.most_similar, scores, pool, k=size)
    assert verdict.avg_similarity == float(np.mean(scores))
