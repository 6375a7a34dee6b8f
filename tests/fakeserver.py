#!/usr/bin/env python3
"""A fake OpenAI-compatible HTTP server for tests and benchmarks (stdlib only).

The real ``openai`` client talks to it over real HTTP on 127.0.0.1, so every
fault (errors, dropped connections, hangs, garbled bodies) travels the same
path it would in production.  Nothing in the client is monkeypatched.

Typical use::

    with FakeOpenAI() as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="sk-x", max_retries=0)
        fake.enqueue(Error.rate_limit(retry_after=1), Reply("hello"))
        ...
        assert fake.requests[0]["headers"]["authorization"] == "Bearer sk-x"

Endpoints
---------
* ``POST /v1/completions``       -- ``prompt`` is a string or a list of strings;
  one choice per prompt, ``index`` = prompt position.
* ``POST /v1/chat/completions``  -- one choice with an assistant message.
* ``GET  /v1/models`` and ``GET /v1/models/{id}``.
* ``/v1/files`` and ``/v1/batches``: the Files and Batch APIs (tests/fakebatch.py).
* anything else                  -- 404 with an OpenAI-style JSON error.

Scripted actions (consumed FIFO from ``enqueue``; only the two generation
endpoints consume them, ``/v1/models`` never does)
---------------------------------------------------------------------------
* ``Reply``  -- one per *choice*.  A completions request with ``n`` prompts
  takes up to ``n`` consecutive ``Reply`` actions from the queue head; the
  remaining choices come from the responder.  Scripted replies are returned
  verbatim (``max_tokens`` / ``stop`` are NOT applied to them).
* ``Error``, ``Drop``, ``Raw`` -- request-level: if one is at the queue head
  it answers the whole request and is consumed once.
* ``Hang``   -- request-level modifier: it is consumed together with whatever
  follows it (request-level action, Replies, or nothing -> responder); the
  request sleeps ``seconds`` and is then answered from that.  Several Hangs in
  a row add up.  ``enqueue(Hang(1), Error(500))`` is "a slow 500".

Default responder
-----------------
Used when the queue has no Reply for a choice.  Deterministic (seeded by
sha256 of the prompt text): continues an Alpaca self-instruct prompt that ends
with ``K. Instruction:`` up to task ``LAST_TASK`` (19), with tasks in Korean
when the requirement text (everything before the first ``###``) contains
Hangul, English otherwise.  About 1 in 8 tasks is an exact repeat of an earlier
task of the same completion and about 40 % of tasks have a non-empty input.
``max_tokens`` and ``stop`` are honoured for responder output (default or
custom).  A custom ``responder(prompt_text, body)`` may return a ``Reply``, a
plain ``str``, or a request-level action (``Error``/``Drop``/``Raw``) which
then answers the whole request.  For chat requests ``prompt_text`` is the
contents of all messages joined with blank lines.

Script mode (for benchmarks)::

    python tests/fakeserver.py --port 0 --latency 0.25
    # prints "READY http://127.0.0.1:PORT/v1", serves until SIGTERM/SIGINT
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, ClassVar

try:
    from fakebatch import FakeBatches
except ImportError:  # imported as tests.fakeserver
    from tests.fakebatch import FakeBatches

__all__ = [
    "FakeOpenAI",
    "Reply",
    "Error",
    "Drop",
    "Hang",
    "Raw",
    "default_responder",
    "generate_tasks",
    "format_completion_text",
    "LAST_TASK",
]

#: Highest task number the default responder writes (Alpaca asks for 20 tasks
#: and stops at "\n20"; we simply end with task 19, no trailing "###").
LAST_TASK = 19


# --------------------------------------------------------------------------
# Actions
# --------------------------------------------------------------------------
# Dispatch is done on the ``_kind`` class attribute rather than isinstance so
# that the module may be imported under two names (``fakeserver`` and
# ``tests.fakeserver``) without breaking.


@dataclass
class Reply:
    """One scripted choice."""

    text: str
    finish_reason: str = "stop"
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    _kind: ClassVar[str] = "reply"


_ERROR_DEFAULTS: dict[int, tuple[str, str, str | None]] = {
    400: ("Invalid request.", "invalid_request_error", None),
    401: (
        "Incorrect API key provided: sk-****. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "invalid_request_error",
        "invalid_api_key",
    ),
    403: (
        "You are not allowed to access this resource.",
        "invalid_request_error",
        "permission_denied",
    ),
    404: (
        "The model `{model}` does not exist or you do not have access to it.",
        "invalid_request_error",
        "model_not_found",
    ),
    409: ("The request conflicts with another request.", "invalid_request_error", None),
    422: ("The request could not be processed.", "invalid_request_error", None),
    429: (
        "Rate limit reached for {model} in organization org-fake on requests per "
        "min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s.",
        "requests",
        "rate_limit_exceeded",
    ),
    500: (
        "The server had an error while processing your request. Sorry about that!",
        "server_error",
        None,
    ),
    502: ("Bad gateway.", "server_error", None),
    503: (
        "The engine is currently overloaded, please try again later.",
        "server_error",
        None,
    ),
}


def _error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _fmt_duration(value: Any) -> str:
    """1 -> "1s", 0.02 -> "20ms", "6m0s" -> "6m0s"."""
    if isinstance(value, str):
        return value
    value = float(value)
    if value < 1:
        return f"{int(round(value * 1000))}ms"
    if value == int(value):
        return f"{int(value)}s"
    return f"{value:g}s"


@dataclass
class Error:
    """Answer the whole request with ``status``.

    ``body=None`` means OpenAI's error shape chosen by status.  ``max_context``
    is only used by :meth:`context_length` (message computed from the request).
    """

    status: int
    body: dict | None = None
    headers: dict | None = None
    max_context: int | None = None
    _kind: ClassVar[str] = "error"

    @classmethod
    def rate_limit(cls, retry_after: Any = None, reset_requests: Any = None) -> "Error":
        """429 rate_limit_exceeded; ``retry_after`` seconds -> ``retry-after``
        header, ``reset_requests`` (seconds or a string like "20ms") ->
        ``x-ratelimit-reset-requests``."""
        headers: dict[str, str] = {
            "x-ratelimit-limit-requests": "3",
            "x-ratelimit-remaining-requests": "0",
        }
        if retry_after is not None:
            if isinstance(retry_after, (int, float)) and float(retry_after) == int(retry_after):
                headers["retry-after"] = str(int(retry_after))
            else:
                headers["retry-after"] = str(retry_after)
        if reset_requests is not None:
            headers["x-ratelimit-reset-requests"] = _fmt_duration(reset_requests)
        return cls(429, None, headers)

    @classmethod
    def quota(cls) -> "Error":
        return cls(
            429,
            _error_body(
                "You exceeded your current quota, please check your plan and billing "
                "details. For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "insufficient_quota",
                "insufficient_quota",
            ),
        )

    @classmethod
    def context_length(cls, max_context: int = 4096) -> "Error":
        return cls(400, None, None, max_context=max_context)

    # -- rendering ---------------------------------------------------------
    def render_body(self, request_body: Any = None, model: str = "fake-model") -> dict:
        if self.body is not None:
            return self.body
        req = request_body if isinstance(request_body, dict) else {}
        model = str(req.get("model") or model)
        if self.max_context is not None:
            prompt_tokens = max(1, len(_request_prompt_text(req)) // 4)
            completion = req.get("max_tokens") or req.get("max_completion_tokens") or 16
            try:
                completion = int(completion)
            except (TypeError, ValueError):
                completion = 16
            if prompt_tokens + completion <= self.max_context:
                # Make the numbers coherent even if the request actually fits.
                completion = self.max_context - prompt_tokens + 904
            total = prompt_tokens + completion
            return _error_body(
                f"This model's maximum context length is {self.max_context} tokens, "
                f"however you requested {total} tokens ({prompt_tokens} in your prompt; "
                f"{completion} for the completion). Please reduce your prompt; or "
                "completion length.",
                "invalid_request_error",
                "context_length_exceeded",
                "messages" if "messages" in req else "prompt",
            )
        message, type_, code = _ERROR_DEFAULTS.get(
            self.status,
            (
                f"HTTP {self.status}",
                "server_error" if self.status >= 500 else "invalid_request_error",
                None,
            ),
        )
        return _error_body(message.replace("{model}", model), type_, code)


@dataclass
class Drop:
    """Close the socket without sending any response."""

    _kind: ClassVar[str] = "drop"


@dataclass
class Hang:
    """Sleep ``seconds`` before answering from the next action / responder."""

    seconds: float
    _kind: ClassVar[str] = "hang"


@dataclass
class Raw:
    """Send ``body`` verbatim (garbled / empty bodies)."""

    body: bytes
    status: int = 200
    content_type: str = "application/json"
    _kind: ClassVar[str] = "raw"


_REQUEST_LEVEL = ("error", "drop", "raw")
_ALL_KINDS = ("reply", "error", "drop", "hang", "raw")


# --------------------------------------------------------------------------
# Prompt helpers
# --------------------------------------------------------------------------

_HANGUL_RE = re.compile("[\uac00-\ud7a3]")
_INSTR_NUM_RE = re.compile(r"(\d+)\s*\.\s*Instruction\s*:")
_OPEN_SLOT_RE = re.compile(r"(\d+)\s*\.\s*Instruction\s*:\s*$")


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict):
                parts.append(str(part.get("text", "")))
            else:
                parts.append(str(part))
        return "".join(parts)
    return str(content)


def _chat_text(messages: Any) -> str:
    if not isinstance(messages, list):
        return ""
    return "\n\n".join(
        _content_text(m.get("content")) if isinstance(m, dict) else str(m) for m in messages
    )


def _last_user_text(messages: Any) -> str:
    if isinstance(messages, list):
        for m in reversed(messages):
            if isinstance(m, dict) and m.get("role") == "user":
                return _content_text(m.get("content"))
    return _chat_text(messages)


def _normalize_prompts(prompt: Any) -> list[str]:
    if isinstance(prompt, str):
        return [prompt]
    if isinstance(prompt, list):
        if not prompt:
            return [""]
        if all(isinstance(p, str) for p in prompt):
            return list(prompt)
        if all(isinstance(p, int) for p in prompt):  # one tokenised prompt
            return [" ".join(map(str, prompt))]
        return [p if isinstance(p, str) else " ".join(map(str, p)) if isinstance(p, list) else str(p) for p in prompt]
    return [str(prompt)]


def _request_prompt_text(body: dict) -> str:
    if "messages" in body:
        return _chat_text(body.get("messages"))
    return "".join(_normalize_prompts(body.get("prompt", "")))


def _start_number(text: str) -> int:
    """K for a prompt: the open slot "K. Instruction:" at the end, else
    1 + the highest "N. Instruction:" number, else 1."""
    m = _OPEN_SLOT_RE.search(text)
    if m:
        return int(m.group(1))
    nums = [int(x) for x in _INSTR_NUM_RE.findall(text)]
    return max(nums) + 1 if nums else 1


def _is_korean(text: str) -> bool:
    requirement = text.split("###", 1)[0]
    return bool(_HANGUL_RE.search(requirement))


# --------------------------------------------------------------------------
# Content pools
# --------------------------------------------------------------------------

_EN_TOPICS = [
    "renewable energy", "the water cycle", "time management", "healthy breakfast habits",
    "machine learning", "ancient Rome", "public libraries", "urban gardening",
    "the stock market", "climate change", "remote work", "ocean pollution",
    "the human immune system", "electric cars", "volunteering", "learning a second language",
    "personal budgeting", "space exploration", "social media", "sleep hygiene",
    "recycling", "the French Revolution", "small business marketing", "online privacy",
    "team communication", "mindfulness meditation", "public transportation", "coffee culture",
    "board games", "rainforest ecosystems", "job interviews", "vaccines",
    "honeybees", "cybersecurity", "the printing press", "home cooking",
    "city planning", "digital literacy", "marathon training", "customer service",
]

_EN_FRAMES = [
    "Write a short story about {t}",
    "Explain the basic idea behind {t} to a complete beginner",
    "Give three practical tips related to {t}",
    "Describe the biggest challenges people face with {t}",
    "List five surprising facts about {t}",
    "Compose a haiku inspired by {t}",
    "Suggest a catchy title for a blog post on {t}",
    "Create a multiple-choice quiz question about {t}",
    "Compare the benefits and drawbacks of {t}",
    "Brainstorm creative school project ideas involving {t}",
    "Outline a simple lesson plan about {t}",
    "Predict how {t} might change over the next decade",
    "Write a friendly email inviting a colleague to a talk on {t}",
    "Recommend good questions to ask an expert on {t}",
    "Summarize the history of {t} in a few sentences",
    "Name common misconceptions people have about {t}",
    "Propose a weekend plan for someone curious about {t}",
    "Argue for or against more public funding for {t}",
    "Invent a short dialogue between two friends discussing {t}",
    "Define three key terms that are often used when talking about {t}",
]

_EN_QUALIFIERS = [
    "for a high school student", "in under fifty words", "using simple language",
    "in a light, humorous tone", "for a busy professional", "with one concrete example",
    "as a numbered list", "from a historical perspective", "without using technical jargon",
    "for a newsletter audience",
]

_EN_OUT_OPEN = [
    "{T} is a subject that rewards a little curiosity.",
    "When it comes to {t}, the basics matter most.",
    "A good starting point for {t} is to focus on the fundamentals.",
    "Many people find {t} more approachable than they expect.",
    "There are a few things worth knowing about {t}.",
    "Thinking clearly about {t} starts with asking the right questions.",
]
_EN_OUT_MID = [
    "First, break the subject into small, manageable parts.",
    "Second, look for reliable sources and compare their views.",
    "Practical experience often teaches more than theory alone.",
    "It helps to connect new ideas to things you already know.",
    "Small, consistent habits tend to produce the best results.",
    "Experts often disagree on details but agree on the core principles.",
    "Asking clear questions makes the learning process much faster.",
    "Real-world examples make abstract ideas easier to remember.",
    "Talking with others can reveal angles you had not considered.",
]
_EN_OUT_CLOSE = [
    "With patience, anyone can make steady progress.",
    "In short, stay curious and keep practicing.",
    "Overall, a balanced approach works best.",
    "Keep these points in mind and you will be well prepared.",
]

_EN_PARAGRAPHS = [
    "Interest in {t} has grown quickly over the last few years. Researchers say that "
    "clear information and steady practice help people get real benefits from it.",
    "Local groups have started weekly meetings about {t}. Organizers report that "
    "newcomers learn fastest when they can ask questions and try things themselves.",
    "A recent survey found that most adults know very little about {t}. The authors "
    "suggest short, practical guides as the best way to close that gap.",
    "Teachers increasingly bring {t} into their classrooms. They note that students "
    "stay engaged when lessons connect to everyday life.",
]

_EN_SORT_SETS = {
    "fruits": ["banana", "apple", "cherry", "mango", "kiwi", "pear", "grape", "lemon", "peach"],
    "animals": ["zebra", "otter", "lion", "eagle", "rabbit", "wolf", "dolphin", "koala", "fox"],
    "countries": ["Norway", "Brazil", "Kenya", "Japan", "Chile", "Egypt", "Canada", "Peru", "India"],
    "colors": ["teal", "crimson", "amber", "violet", "olive", "navy", "coral", "ivory", "maroon"],
    "cities": ["Lisbon", "Oslo", "Cairo", "Sydney", "Toronto", "Madrid", "Seoul", "Lima", "Dublin"],
}

_KO_TOPICS = [
    "기후 변화", "인공지능", "건강한 식습관", "시간 관리", "우주 탐사", "한국 전통 음식",
    "재활용", "원격 근무", "독서 습관", "스마트폰 중독", "외국어 학습", "전기 자동차",
    "명상", "여행 계획", "금융 문해력", "사이버 보안", "도시 농업", "청소년 진로",
    "반려동물 돌보기", "수면의 질", "자원봉사", "전통 시장", "재난 대비", "온라인 교육",
    "미세먼지", "한글의 역사", "운동 습관", "소셜 미디어", "환경 보호", "지역 축제",
    "효과적인 회의", "창업", "고령화 사회", "대중교통", "커피 문화", "봄 소풍",
    "가계부 작성", "박물관 관람", "친환경 포장", "팀워크",
]

_KO_FRAMES = [
    "{t}에 관한 짧은 이야기를 써 주세요.",
    "{t:을/를} 초보자도 이해할 수 있게 쉽게 설명해 주세요.",
    "{t:과/와} 관련된 실용적인 팁을 세 가지 알려 주세요.",
    "{t}의 장점과 단점을 비교해 주세요.",
    "{t}에 관한 흥미로운 사실을 다섯 가지 나열해 주세요.",
    "{t:을/를} 주제로 짧은 시를 지어 주세요.",
    "{t}에 관한 블로그 글의 제목을 세 개 제안해 주세요.",
    "{t}에 대한 객관식 퀴즈 문제를 하나 만들어 주세요.",
    "{t:이/가} 앞으로 십 년 동안 어떻게 달라질지 예측해 보세요.",
    "{t}에 관심이 많은 사람을 위한 주말 계획을 세워 주세요.",
    "{t}의 역사를 몇 문장으로 간단히 정리해 주세요.",
    "사람들이 {t}에 대해 흔히 오해하는 점을 설명해 주세요.",
    "{t} 전문가에게 물어볼 만한 좋은 질문을 추천해 주세요.",
    "{t:을/를} 주제로 두 친구가 나누는 짧은 대화를 만들어 보세요.",
    "{t:과/와} 관련된 핵심 용어 세 개를 정의해 주세요.",
    "{t}에 대한 발표를 준비하기 위한 개요를 작성해 주세요.",
    "{t:을/를} 홍보하는 짧은 광고 문구를 만들어 주세요.",
    "{t}에 대한 찬성과 반대 의견을 각각 한 문단으로 써 주세요.",
    "{t:을/를} 처음 시작하는 사람에게 줄 조언을 적어 주세요.",
    "{t}에 관한 초등학생용 학습 활동을 제안해 주세요.",
]

_KO_QUALIFIERS = [
    "답변은 세 문장 이내로 작성해 주세요.",
    "고등학생이 읽는다고 생각하고 써 주세요.",
    "전문 용어는 되도록 피해 주세요.",
    "구체적인 예시를 하나 포함해 주세요.",
    "번호를 붙인 목록 형식으로 답해 주세요.",
    "유머러스한 말투로 써 주세요.",
    "바쁜 직장인을 위해 핵심만 정리해 주세요.",
    "존댓말을 사용해 주세요.",
]

_KO_OUT_OPEN = [
    "{t:은/는} 조금만 관심을 가지면 누구나 충분히 이해할 수 있는 주제입니다.",
    "{t}에 대해 이야기할 때 가장 중요한 것은 기본을 탄탄히 하는 것입니다.",
    "{t:을/를} 이해하려면 먼저 큰 흐름을 살펴보는 것이 좋습니다.",
    "많은 사람들이 {t:을/를} 어렵게 생각하지만 실제로는 그렇지 않습니다.",
    "{t}에는 알아 두면 좋은 몇 가지 핵심이 있습니다.",
    "{t:을/를} 제대로 알기 위해서는 올바른 질문을 던지는 것부터 시작해야 합니다.",
]
_KO_OUT_MID = [
    "첫째, 주제를 작은 부분으로 나누어 차근차근 살펴보세요.",
    "둘째, 믿을 만한 자료를 찾아 여러 관점을 비교해 보세요.",
    "직접 경험해 보는 것이 이론보다 더 많은 것을 가르쳐 줍니다.",
    "새로운 내용을 이미 알고 있는 것과 연결하면 기억하기 쉽습니다.",
    "작지만 꾸준한 습관이 가장 좋은 결과를 만듭니다.",
    "구체적인 사례를 들면 추상적인 개념도 훨씬 쉽게 이해됩니다.",
    "궁금한 점을 분명하게 질문하면 배우는 속도가 빨라집니다.",
    "주변 사람들과 의견을 나누면 새로운 아이디어를 얻을 수 있습니다.",
]
_KO_OUT_CLOSE = [
    "꾸준히 노력하면 누구나 발전할 수 있습니다.",
    "결국 호기심을 잃지 않고 계속 실천하는 것이 중요합니다.",
    "균형 잡힌 접근이 가장 좋은 방법입니다.",
    "이 점들을 기억한다면 충분히 잘 해낼 수 있을 것입니다.",
]

_KO_PARAGRAPHS = [
    "최근 몇 년 사이 {t}에 대한 관심이 크게 늘었다. 전문가들은 정확한 정보와 꾸준한 실천이 "
    "중요하다고 강조한다.",
    "여러 지역에서 {t}에 관한 모임이 매주 열리고 있다. 주최 측은 직접 해 보면서 질문할 때 "
    "가장 빨리 배운다고 말한다.",
    "한 설문 조사에 따르면 많은 성인이 {t}에 대해 잘 알지 못한다. 연구진은 짧고 실용적인 "
    "안내서가 도움이 될 것이라고 제안했다.",
    "학교에서도 {t:을/를} 수업에 활용하는 경우가 많아지고 있다. 교사들은 일상과 연결된 "
    "수업일수록 학생들의 참여가 높다고 말한다.",
]

_KO_SORT_SETS = {
    "과일": ["사과", "바나나", "포도", "딸기", "복숭아", "수박", "귤", "참외", "자두"],
    "동물": ["호랑이", "토끼", "고양이", "강아지", "사자", "여우", "곰", "기린", "다람쥐"],
    "도시": ["서울", "부산", "대구", "광주", "인천", "대전", "울산", "전주", "춘천"],
    "채소": ["감자", "당근", "오이", "배추", "양파", "마늘", "시금치", "고추", "무"],
}


# --------------------------------------------------------------------------
# Korean particles
# --------------------------------------------------------------------------

_JOSA_RE = re.compile(r"\{t(?::([^}]+))?\}")


def _josa(word: str, pair: str) -> str:
    first, _, second = pair.partition("/")
    last = word[-1] if word else ""
    if not ("\uac00" <= last <= "\ud7a3"):
        return second or first
    jong = (ord(last) - 0xAC00) % 28
    if pair == "으로/로":
        return "로" if jong in (0, 8) else "으로"
    return first if jong else second


def _ko(template: str, topic: str) -> str:
    return _JOSA_RE.sub(lambda m: topic + (_josa(topic, m.group(1)) if m.group(1) else ""), template)


def _en(template: str, topic: str) -> str:
    return template.replace("{T}", topic[:1].upper() + topic[1:]).replace("{t}", topic)


# --------------------------------------------------------------------------
# Task generation
# --------------------------------------------------------------------------

Task = tuple[str, str, str]  # (instruction, input, output)


def _en_output(rng: random.Random, topic: str) -> str:
    parts = [rng.choice(_EN_OUT_OPEN)] + rng.sample(_EN_OUT_MID, rng.randint(1, 2))
    parts.append(rng.choice(_EN_OUT_CLOSE))
    return _en(" ".join(parts), topic)


def _ko_output(rng: random.Random, topic: str) -> str:
    parts = [rng.choice(_KO_OUT_OPEN)] + rng.sample(_KO_OUT_MID, rng.randint(1, 2))
    parts.append(rng.choice(_KO_OUT_CLOSE))
    return _ko(" ".join(parts), topic)


def _en_input_task(rng: random.Random, t: str) -> Task:
    T = t[:1].upper() + t[1:]
    para = _en(rng.choice(_EN_PARAGRAPHS), t)
    kind = rng.randrange(12)
    if kind == 0:
        return (f"Summarize the following paragraph about {t} in one sentence.", para,
                f"The paragraph says that {t} is drawing more attention and that practical, "
                "clear guidance helps people benefit from it.")
    if kind == 1:
        return (f"Rewrite the following sentence about {t} in a more formal tone.",
                f"Honestly, {t} is kind of a big deal and we gotta talk about it more.",
                f"Frankly, {t} is an important matter that deserves further discussion.")
    if kind == 2:
        label = rng.choice(["positive", "negative", "neutral"])
        review = {
            "positive": f"The workshop on {t} was fantastic and I learned a lot.",
            "negative": f"The course on {t} was confusing and a waste of my time.",
            "neutral": f"The session on {t} covered the usual points in the usual order.",
        }[label]
        return (f"Classify the sentiment of the given review about {t} as positive, "
                "negative, or neutral.", review, label.capitalize())
    if kind == 3:
        return (f"Correct the grammatical errors in the following sentence about {t}.",
                f"She don't think learning about {t} are important for they future.",
                f"She does not think learning about {t} is important for their future.")
    if kind == 4:
        words = [w for w in re.findall(r"[A-Za-z]+", para) if len(w) > 6][:3]
        return (f"Extract the main keywords from the given passage about {t}.", para,
                ", ".join([t] + words))
    if kind == 5:
        return (f"Write a suitable headline for the following news snippet about {t}.", para,
                rng.choice([f"New Interest in {T} Sparks Community Action",
                            f"Why {T} Matters More Than Ever",
                            f"Experts Call for Practical Guides on {T}"]))
    if kind == 6:
        return (f"Answer the question about {t} using only the given context.",
                f"Context: {para}\nQuestion: What helps people learn about {t}?",
                "Clear information, practical guides, and hands-on practice help people learn.")
    if kind == 7:
        category = rng.choice(sorted(_EN_SORT_SETS))
        items = rng.sample(_EN_SORT_SETS[category], 5)
        return (f"Sort the following {category} in alphabetical order.", ", ".join(items),
                ", ".join(sorted(items, key=str.lower)))
    if kind == 8:
        return (f"Identify the main topic of the given text and explain your choice briefly.",
                para, f"The main topic is {t}, because every sentence discusses it.")
    if kind == 9:
        return (f"Rewrite the following text about {t} so that a child could understand it.",
                para, f"Lots of people are learning about {t}. Trying things and asking "
                "questions is the best way to learn.")
    if kind == 10:
        return (f"Generate two follow-up questions based on the given statement about {t}.",
                f"Most people underestimate the role of {t} in their daily lives.",
                f"1. In what everyday situations does knowledge of {t} matter most?\n"
                f"2. How could people learn more about {t}?")
    sentence = f"Good habits around {t} can make a real difference over time."
    return (f"Count how many words are in the following sentence about {t}.", sentence,
            f"The sentence has {len(sentence.split())} words.")


def _ko_input_task(rng: random.Random, t: str) -> Task:
    para = _ko(rng.choice(_KO_PARAGRAPHS), t)
    kind = rng.randrange(12)
    if kind == 0:
        return (_ko("{t}에 관한 다음 문장을 더 공손한 표현으로 바꿔 주세요.", t),
                _ko("{t} 얘기는 이제 그만하고 빨리 결정해.", t),
                _ko("{t}에 관한 이야기는 이쯤에서 마무리하고, 가능하면 빨리 결정해 주시면 "
                    "감사하겠습니다.", t))
    if kind == 1:
        return (_ko("{t}에 관한 다음 글을 한 문장으로 요약해 주세요.", t), para,
                _ko("{t}에 대한 관심이 높아지고 있으며 실용적인 정보가 중요하다는 내용입니다.", t))
    if kind == 2:
        label = rng.choice(["긍정", "부정", "중립"])
        review = {
            "긍정": _ko("{t}에 관한 강의가 정말 유익했고 많은 것을 배웠어요.", t),
            "부정": _ko("{t}에 관한 수업은 너무 어렵고 시간 낭비였어요.", t),
            "중립": _ko("{t}에 관한 설명회는 예상했던 내용을 순서대로 다뤘어요.", t),
        }[label]
        return (_ko("다음 {t} 관련 리뷰의 감정을 긍정, 부정, 중립 중 하나로 분류하세요.", t),
                review, label)
    if kind == 3:
        return (_ko("{t}에 관한 다음 문장의 맞춤법과 띄어쓰기를 바르게 고쳐 주세요.", t),
                _ko("{t}에 대해 공부 하는게 생각 보다 어렵 다.", t),
                _ko("{t}에 대해 공부하는 게 생각보다 어렵다.", t))
    if kind == 4:
        return (_ko("주어진 {t} 관련 글에서 핵심 키워드를 세 개 뽑아 주세요.", t), para,
                f"{t}, 관심, 실천")
    if kind == 5:
        return (_ko("다음 {t} 관련 기사 내용에 어울리는 제목을 지어 주세요.", t), para,
                rng.choice([_ko("{t}, 왜 지금 주목받는가", t),
                            _ko("전문가들이 말하는 {t}의 모든 것", t),
                            _ko("일상 속으로 들어온 {t}", t)]))
    if kind == 6:
        return (_ko("주어진 문맥을 바탕으로 {t}에 관한 질문에 답하세요.", t),
                f"문맥: {para}\n질문: " + _ko("{t}에 대해 배우려면 무엇이 도움이 되나요?", t),
                "정확한 정보와 꾸준한 실천, 그리고 직접 해 보는 경험이 도움이 됩니다.")
    if kind == 7:
        category = rng.choice(sorted(_KO_SORT_SETS))
        items = rng.sample(_KO_SORT_SETS[category], 5)
        return (f"다음 {category} 이름들을 가나다순으로 정렬해 주세요.", ", ".join(items),
                ", ".join(sorted(items)))
    if kind == 8:
        return (_ko("{t}에 관한 다음 글의 중심 생각을 한 문장으로 말해 주세요.", t), para,
                _ko("{t}에 대한 올바른 이해와 꾸준한 실천이 중요하다는 것이 중심 생각입니다.", t))
    if kind == 9:
        return (_ko("{t}에 관한 다음 설명을 초등학생이 이해하기 쉽게 다시 써 주세요.", t), para,
                _ko("요즘 많은 사람들이 {t}에 관심을 가지고 있어요. 직접 해 보고 궁금한 것을 "
                    "물어보면 금방 배울 수 있어요.", t))
    if kind == 10:
        return (_ko("{t}에 대한 다음 주장에 반론을 한 가지 제시해 주세요.", t),
                _ko("{t:은/는} 일부 사람들에게만 중요한 문제이다.", t),
                _ko("{t:은/는} 우리 모두의 일상에 영향을 주기 때문에 모두가 관심을 가져야 할 "
                    "문제입니다.", t))
    sentence = _ko("{t}에 대한 좋은 습관은 시간이 지나면 큰 차이를 만든다.", t)
    return (_ko("{t}에 관한 다음 문장에 쓰인 어절의 개수를 세어 주세요.", t), sentence,
            f"모두 {len(sentence.split())}개의 어절이 있습니다.")


def _make_task(rng: random.Random, korean: bool) -> Task:
    if korean:
        topic = rng.choice(_KO_TOPICS)
        if rng.random() < 0.4:
            return _ko_input_task(rng, topic)
        instr = _ko(rng.choice(_KO_FRAMES), topic)
        if rng.random() < 0.5:
            instr += " " + rng.choice(_KO_QUALIFIERS)
        return instr, "", _ko_output(rng, topic)
    topic = rng.choice(_EN_TOPICS)
    if rng.random() < 0.4:
        return _en_input_task(rng, topic)
    instr = _en(rng.choice(_EN_FRAMES), topic)
    if rng.random() < 0.5:
        instr += " " + rng.choice(_EN_QUALIFIERS)
    return instr + ".", "", _en_output(rng, topic)


def generate_tasks(seed_text: str, start: int, korean: bool, last: int = LAST_TASK) -> list[Task]:
    """Deterministic tasks numbered ``start..max(start, last)`` seeded by
    sha256(seed_text).  ~1/8 are exact repeats of an earlier task."""
    seed = int.from_bytes(hashlib.sha256(seed_text.encode("utf-8", "surrogatepass")).digest(), "big")
    rng = random.Random(seed)
    tasks: list[Task] = []
    for _ in range(max(1, last - start + 1)):
        if tasks and rng.random() < 1 / 8:
            tasks.append(rng.choice(tasks))
        else:
            tasks.append(_make_task(rng, korean))
    return tasks


def format_completion_text(tasks: list[Task], start: int) -> str:
    """Render tasks as the continuation of "...\\n###\\n{start}. Instruction:"."""
    blocks = []
    for i, (instr, inp, out) in enumerate(tasks):
        k = start + i
        head = " " if i == 0 else f"{k}. Instruction: "
        blocks.append(f"{head}{instr}\n{k}. Input:\n{inp or '<noinput>'}\n{k}. Output:\n{out}")
    return "\n\n###\n".join(blocks)


def default_responder(prompt_text: str, body: dict) -> Reply:
    """Deterministic Alpaca-style continuation (see module docstring)."""
    korean = _is_korean(prompt_text)
    if isinstance(body, dict) and "messages" in body:
        start = _start_number(_last_user_text(body.get("messages")))
        tasks = generate_tasks(prompt_text, start, korean)
        return Reply(f"{start}. Instruction:" + format_completion_text(tasks, start))
    start = _start_number(prompt_text)
    tasks = generate_tasks(prompt_text, start, korean)
    return Reply(format_completion_text(tasks, start))


_EN_SENTENCES = (
    "The first step is to read the request closely.", "Each part of the task is handled in turn.",
    "The numbers were checked twice.", "A short example makes the idea concrete.",
    "Where the input is unclear, the most likely reading is used.", "The result fits the format that was asked for.",
    "Nothing beyond the task is added.", "The wording stays plain and direct.",
)
_KO_SENTENCES = (
    "먼저 요청하신 내용을 꼼꼼히 읽었습니다.", "과제의 각 부분을 차례대로 다루었습니다.",
    "숫자는 두 번 확인했습니다.", "짧은 예를 들어 뜻을 분명히 했습니다.",
    "입력이 애매한 부분은 가장 그럴듯한 뜻으로 읽었습니다.", "요청하신 형식에 맞추어 정리했습니다.",
    "과제와 관계없는 내용은 덧붙이지 않았습니다.", "문장은 쉽고 분명하게 썼습니다.",
)
_TASK_RE = re.compile(r"### (?:Instruction|지시문):\n(.*?)(?:\n\n### |\Z)", re.S)


def task_of(body: dict) -> str:
    """The task text of a respond request: the last user message (chat), or the
    instruction of the training template (completions)."""
    if isinstance(body, dict) and "messages" in body:
        return _last_user_text(body.get("messages"))
    text = "".join(_normalize_prompts(body.get("prompt", ""))) if isinstance(body, dict) else ""
    match = _TASK_RE.search(text)
    return match.group(1) if match else text


def answer_responder(prompt_text: str, body: dict) -> Reply:
    """A deterministic answer to a respond request (``--responder answer`` in script mode):
    Korean for a task in Korean, English otherwise, seeded by the task text."""
    task = task_of(body)
    rng = random.Random(hashlib.sha256(task.encode("utf-8")).hexdigest())
    first = task.strip().splitlines()[0][:60] if task.strip() else ""
    if _is_korean(task):
        head = f"요청하신 과제({first})에 대한 답변입니다."
        sentences = rng.sample(_KO_SENTENCES, 3)
    else:
        head = f"Here is the answer to the task ({first})."
        sentences = rng.sample(_EN_SENTENCES, 3)
    return Reply(" ".join([head, *sentences]))


def _apply_limits(reply: Reply, body: dict) -> Reply:
    text, finish = reply.text, reply.finish_reason
    stop = body.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if isinstance(stop, list):
        cut = len(text)
        for s in stop:
            if isinstance(s, str) and s:
                pos = text.find(s)
                if 0 <= pos < cut:
                    cut = pos
        if cut < len(text):
            text, finish = text[:cut], "stop"
    max_tokens = body.get("max_tokens")
    if max_tokens is None:
        max_tokens = body.get("max_completion_tokens")
    if isinstance(max_tokens, int) and not isinstance(max_tokens, bool) and max_tokens >= 0:
        if len(text) // 4 > max_tokens:
            text, finish = text[: max_tokens * 4], "length"
    if text == reply.text and finish == reply.finish_reason:
        return reply
    return Reply(text, finish, reply.prompt_tokens, reply.completion_tokens)


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # never join handler threads (keep-alive / hangs)
    allow_reuse_address = True
    request_queue_size = 512

    def __init__(self, address, handler, fake: "FakeOpenAI"):
        self.fake = fake
        super().__init__(address, handler)

    def handle_error(self, request, client_address):  # pragma: no cover - noise filter
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ValueError)):
            return  # client went away, socket shut down on stop(), ...
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeOpenAI/1.0"
    sys_version = ""
    disable_nagle_algorithm = True  # TCP_NODELAY

    def log_message(self, format, *args):  # noqa: A002 - silence access log
        pass

    def setup(self):
        super().setup()
        self.server.fake._track(self.connection)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._untrack(self.connection)

    def _dispatch(self):
        try:
            self.server.fake._handle(self)
        except (OSError, ValueError):  # client gone / socket shut down by stop()
            self.close_connection = True
        except Exception as exc:  # a bug in the fake: report it loudly, answer 500
            import traceback

            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_json(500, _error_body(f"fake server bug: {exc!r}", "server_error", None))
            except Exception:
                pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    # -- low level I/O -------------------------------------------------------
    def read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                if not line:  # the client went away before the last chunk
                    raise ConnectionResetError("request body cut short")
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
            return b"".join(chunks)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        raw = self.rfile.read(length) if length > 0 else b""
        if len(raw) < length:  # the client went away mid-body (killed): no request arrived
            raise ConnectionResetError("request body cut short")
        return raw

    def send(self, status: int, payload: bytes, content_type: str = "application/json",
             headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(str(key), str(value))
        # Headers and body in ONE write: two small writes trip Nagle + delayed
        # ACK and cost ~40 ms per request.
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(payload)
        self.flush_headers()

    def send_json(self, status: int, obj: Any, headers: dict | None = None) -> None:
        self.send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"),
                  "application/json", headers)

    def drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# --------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------


class FakeOpenAI:
    """Fake OpenAI server.  See the module docstring for behaviour.

    Attributes: ``base_url`` ("http://127.0.0.1:PORT/v1", after start),
    ``port``, ``requests`` (list of {"path", "method", "headers", "body",
    "time"}), ``pending`` (number of queued actions), ``closed_early`` (list of
    {"path", "time"}: generation requests whose client closed the connection while
    the fake held them in ``latency`` or a ``Hang``; like llama.cpp's server, the fake
    then stops working on them and answers nothing).
    """

    def __init__(
        self,
        *,
        latency: float = 0.0,
        model: str = "fake-model",
        responder: Callable[[str, dict], Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ):
        self.latency = float(latency)
        self.model = model
        self.responder = responder
        self.host = host
        self.port = port
        self.api_key = api_key  # if set, requests without "Bearer <api_key>" get 401
        self.requests: list[dict] = []
        self.closed_early: list[dict] = []
        self._queue: deque = deque()
        self._lock = threading.Lock()
        self._conns: set = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._base_url: str | None = None
        #: The Files and Batch APIs (tests/fakebatch.py); ``batches.mode`` sets how jobs end.
        self.batches = FakeBatches(self.answer_batch_line)

    # -- lifecycle -----------------------------------------------------------
    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise RuntimeError("FakeOpenAI is not started; call start() or use it as a context manager")
        return self._base_url

    def start(self) -> "FakeOpenAI":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server((self.host, self.port), _Handler, self)
        self.port = self._server.server_address[1]
        shown = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        self._base_url = f"http://{shown}:{self.port}/v1"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
            name=f"FakeOpenAI:{self.port}", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes requests sleeping in latency / Hang
        server.shutdown()
        server.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # unblock keep-alive handler threads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- scripting -----------------------------------------------------------
    def enqueue(self, *actions) -> "FakeOpenAI":
        for action in actions:
            if getattr(action, "_kind", None) not in _ALL_KINDS:
                raise TypeError(f"not a FakeOpenAI action: {action!r}")
        with self._lock:
            self._queue.extend(actions)
        return self

    def clear(self) -> None:
        """Forget queued actions and the request log."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # -- internals -----------------------------------------------------------
    def _track(self, conn) -> None:
        with self._lock:
            self._conns.add(conn)

    def _untrack(self, conn) -> None:
        with self._lock:
            self._conns.discard(conn)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)

    def _hold(self, h: "_Handler", seconds: float) -> bool:
        """Sleep ``seconds`` (woken by stop()) while watching the connection: False, and
        the request noted in ``closed_early``, when the client closes it meanwhile."""
        deadline = time.monotonic() + seconds
        while not self._stopping.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            try:
                readable, _, _ = select.select([h.connection], [], [], min(left, 0.05))
                closed = bool(readable) and h.connection.recv(1, socket.MSG_PEEK) == b""
            except (OSError, ValueError):
                closed = True
            if closed:
                with self._lock:
                    self.closed_early.append({"path": h.path.split("?", 1)[0], "time": time.time()})
                return False
            if readable:  # bytes of a next request: nothing to watch until this one is answered
                self._stopping.wait(left)
        return True

    def _take(self, n_choices: int):
        """Atomically take (hang_seconds, request_action, replies)."""
        hang = 0.0
        replies: list = []
        with self._lock:
            q = self._queue
            while q and q[0]._kind == "hang":
                hang += float(q.popleft().seconds)
            if q and q[0]._kind in _REQUEST_LEVEL:
                return hang, q.popleft(), replies
            while q and q[0]._kind == "reply" and len(replies) < n_choices:
                replies.append(q.popleft())
        return hang, None, replies

    def _send_action(self, h: _Handler, action, body: Any) -> None:
        kind = action._kind
        if kind == "drop":
            h.drop()
        elif kind == "raw":
            h.send(action.status, bytes(action.body), action.content_type)
        else:  # error
            h.send_json(action.status, action.render_body(body, self.model), action.headers)

    def _handle(self, h: _Handler) -> None:
        raw = h.read_body()
        try:
            body = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        path = h.path.split("?", 1)[0]
        method = h.command
        with self._lock:
            self.requests.append({
                "path": path,
                "method": method,
                "headers": {k.lower(): v for k, v in h.headers.items()},
                "body": body,
                "time": time.time(),
            })

        if self.api_key is not None and h.headers.get("Authorization") != f"Bearer {self.api_key}":
            self._sleep(self.latency)
            h.send_json(401, Error(401).render_body(body, self.model))
            return

        if method == "POST" and path in ("/v1/completions", "/v1/chat/completions"):
            self._generate(h, path, body, raw)
        elif self.batches.handle(h, method, path, body, raw):
            pass
        elif method == "GET" and path == "/v1/models":
            self._sleep(self.latency)
            h.send_json(200, {"object": "list", "data": [self._model_obj(self.model)]})
        elif method == "GET" and path.startswith("/v1/models/"):
            self._sleep(self.latency)
            name = path[len("/v1/models/"):]
            if name == self.model:
                h.send_json(200, self._model_obj(name))
            else:
                h.send_json(404, Error(404).render_body({"model": name}, self.model))
        else:
            self._sleep(self.latency)
            h.send_json(404, _error_body(f"Invalid URL ({method} {path})",
                                         "invalid_request_error", None))

    @staticmethod
    def _model_obj(name: str) -> dict:
        return {"id": name, "object": "model", "created": 1700000000, "owned_by": "fake-openai"}

    def _bad_request(self, h: _Handler, message: str, param: str | None = None) -> None:
        self._sleep(self.latency)
        h.send_json(400, _error_body(message, "invalid_request_error", None, param))

    def _generate(self, h: _Handler, path: str, body: Any, raw: bytes) -> None:
        chat = path.endswith("/chat/completions")
        if not isinstance(body, dict):
            return self._bad_request(
                h, "We could not parse the JSON body of your request. (HINT: This likely means "
                "you aren't using your HTTP library correctly. The OpenAI API expects a JSON "
                "payload, but what was sent was not valid JSON.)")
        if chat:
            if not isinstance(body.get("messages"), list):
                return self._bad_request(h, "'messages' is a required property", "messages")
            prompts = [_chat_text(body["messages"])]
        else:
            if "prompt" not in body:
                return self._bad_request(h, "'prompt' is a required property", "prompt")
            prompts = _normalize_prompts(body["prompt"])

        hang, action, replies = self._take(len(prompts))
        if not self._hold(h, hang + self.latency) or self._stopping.is_set():
            return h.drop()  # the client went away, or the server stopped, while we slept
        if action is not None:
            return self._send_action(h, action, body)

        outcome = self._respond(chat, prompts, body, list(replies))
        if getattr(outcome, "_kind", None) in _REQUEST_LEVEL:
            return self._send_action(h, outcome, body)
        status, payload, headers = outcome
        h.send_json(status, payload, headers)

    def answer_batch_line(self, url: str, body: dict) -> tuple[int, dict]:
        """A Batch API input line answered as the endpoint would (the responder, not the queue)."""
        chat = url.endswith("/chat/completions")
        if chat and not isinstance(body.get("messages"), list):
            return 400, _error_body("'messages' is a required property", "invalid_request_error", None, "messages")
        if not chat and "prompt" not in body:
            return 400, _error_body("'prompt' is a required property", "invalid_request_error", None, "prompt")
        prompts = [_chat_text(body["messages"])] if chat else _normalize_prompts(body["prompt"])
        outcome = self._respond(chat, prompts, body, [])
        if getattr(outcome, "_kind", None) in _REQUEST_LEVEL:
            if outcome._kind == "error":
                return outcome.status, outcome.render_body(body, self.model)
            return 500, _error_body("The server had an error processing your request.", "server_error", None)
        return outcome[0], outcome[1]

    def _respond(self, chat: bool, prompts: list[str], body: dict, replies: list):
        """(status, response body, headers) for the prompts, or a request-level action."""
        for prompt in prompts[len(replies):]:
            responder = self.responder or default_responder
            try:
                out = responder(prompt, body)
            except Exception as exc:  # surface responder bugs as a 500
                return 500, _error_body(f"responder failed: {exc!r}", "server_error", None), None
            if isinstance(out, str):
                out = Reply(out)
            kind = getattr(out, "_kind", None)
            if kind in _REQUEST_LEVEL:
                return out
            if kind != "reply":
                return 500, _error_body(f"responder returned {out!r}", "server_error", None), None
            replies.append(_apply_limits(out, body))

        prompt_tokens = completion_tokens = 0
        choices = []
        for i, (prompt, reply) in enumerate(zip(prompts, replies)):
            prompt_tokens += reply.prompt_tokens if reply.prompt_tokens is not None else max(1, len(prompt) // 4)
            completion_tokens += (reply.completion_tokens if reply.completion_tokens is not None
                                  else max(1, len(reply.text) // 4))
            if chat:
                choices.append({
                    "index": i,
                    "message": {"role": "assistant", "content": reply.text, "refusal": None},
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                })
            else:
                choices.append({
                    "text": reply.text,
                    "index": i,
                    "logprobs": None,
                    "finish_reason": reply.finish_reason,
                })
        rid = uuid.uuid4().hex[:24]
        return 200, {
            "id": ("chatcmpl-" if chat else "cmpl-") + rid,
            "object": "chat.completion" if chat else "text_completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
            "system_fingerprint": None,
        }, {"x-request-id": "req_" + rid}


# --------------------------------------------------------------------------
# Script mode
# --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--model", default="fake-model")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--responder", choices=("tasks", "answer"), default="tasks",
                        help="tasks: continue a self-instruct prompt (generate); answer: answer a task (respond)")
    args = parser.parse_args(argv)

    done = threading.Event()

    def _on_signal(signum, frame):
        done.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    fake = FakeOpenAI(latency=args.latency, model=args.model, host=args.host, port=args.port, api_key=args.api_key,
                      responder=answer_responder if args.responder == "answer" else None)
    fake.start()
    try:
        print(f"READY {fake.base_url}", flush=True)
    except OSError:
        pass
    try:
        while not done.wait(0.2):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
