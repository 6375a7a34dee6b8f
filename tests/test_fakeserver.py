"""Tests for the fake OpenAI server, driven by the real ``openai`` client."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

try:  # works when /work/main is on sys.path (python -m pytest, tests/__init__.py)
    from tests.fakeserver import Drop, Error, FakeOpenAI, Hang, Raw, Reply
except ImportError:  # plain "pytest" with rootdir-less import modes
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from fakeserver import Drop, Error, FakeOpenAI, Hang, Raw, Reply

HERE = os.path.dirname(os.path.abspath(__file__))
API_KEY = "sk-test-123"

EN_HEADER = (
    "You are asked to come up with a set of 20 diverse task instructions. These task "
    "instructions will be given to a GPT model and we will evaluate the GPT model for "
    "completing the instructions.\n\nHere are the requirements:\n"
    "1. Try not to repeat the verb for each instruction to maximize diversity.\n"
    "2. The language used for the instruction also should be diverse.\n\n"
    "List of 20 tasks:\n"
)
KO_HEADER = (
    "20개의 다양한 작업 지시문을 만들어 주세요. 이 지시문은 언어 모델을 평가하는 데 "
    "사용됩니다.\n\n요구 사항:\n1. 다양성을 위해 같은 동사를 반복하지 마세요.\n"
    "2. 지시문은 한국어로 작성해야 합니다.\n\n20개 작업 목록:\n"
)
SEEDS = [
    ("Give three tips for staying healthy.", "", "Eat well, exercise, and sleep enough."),
    ("Sort the numbers in ascending order.", "3, 1, 2", "1, 2, 3"),
    ("Write a haiku about autumn leaves.", "", "Red leaves drift slowly / ..."),
]
KO_SEEDS = [
    ("건강을 유지하는 방법 세 가지를 알려 주세요.", "", "잘 먹고, 운동하고, 충분히 자세요."),
    ("다음 숫자를 오름차순으로 정렬하세요.", "3, 1, 2", "1, 2, 3"),
    ("가을 낙엽에 대한 짧은 시를 써 주세요.", "", "붉은 잎이 천천히 떨어진다."),
]


def alpaca_prompt(header: str, seeds) -> str:
    prompt = header + "\n"
    for idx, (inst, inp, out) in enumerate(seeds):
        prompt += "###\n"
        prompt += f"{idx + 1}. Instruction: {inst}\n"
        prompt += f"{idx + 1}. Input:\n{inp or '<noinput>'}\n"
        prompt += f"{idx + 1}. Output:\n{out}\n"
    prompt += "###\n"
    prompt += f"{len(seeds) + 1}. Instruction:"
    return prompt


def parse_tasks(text: str, num_prompt_instructions: int, finish_reason: str = "stop"):
    """Stanford Alpaca's post_process_gpt3_response, minus the quality filters."""
    raw = re.split("###", f"{num_prompt_instructions + 1}. Instruction:" + text)
    tasks = []
    for idx, inst in enumerate(raw):
        if idx == len(raw) - 1 and finish_reason == "length":
            continue
        idx += num_prompt_instructions + 1
        parts = re.split(rf"{idx}\.\s+(Instruction|Input|Output):", inst)
        if len(parts) != 7:
            continue
        inp = parts[4].strip()
        tasks.append({
            "n": idx,
            "instruction": parts[2].strip(),
            "input": "" if inp.lower() == "<noinput>" else inp,
            "output": parts[6].strip(),
        })
    return tasks


EN_PROMPT = alpaca_prompt(EN_HEADER, SEEDS)
KO_PROMPT = alpaca_prompt(KO_HEADER, KO_SEEDS)


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def make_client(server: FakeOpenAI, **kw) -> openai.OpenAI:
    kw.setdefault("timeout", 5.0)
    return openai.OpenAI(base_url=server.base_url, api_key=API_KEY, max_retries=0, **kw)


@pytest.fixture
def client(fake):
    c = make_client(fake)
    yield c
    c.close()


# --------------------------------------------------------------------------
# Normal answers
# --------------------------------------------------------------------------


def test_string_prompt_continues_alpaca_list(fake, client):
    resp = client.completions.create(model="davinci-x", prompt=EN_PROMPT, max_tokens=3072)
    assert resp.object == "text_completion"
    assert resp.model == "davinci-x"
    assert resp.id and resp.created
    assert len(resp.choices) == 1
    choice = resp.choices[0]
    assert choice.index == 0
    assert choice.logprobs is None
    assert choice.finish_reason == "stop"
    text = choice.text
    assert text.startswith(" ")
    assert not text.rstrip().endswith("###")
    assert "19. Output:" in text and "20. Instruction" not in text

    tasks = parse_tasks(text, len(SEEDS))
    assert [t["n"] for t in tasks] == list(range(4, 20))
    assert all(len(t["instruction"].split()) >= 4 for t in tasks)
    assert all(t["instruction"][0].isascii() and t["instruction"][0].isalpha() for t in tasks)
    assert all(t["output"] for t in tasks)

    assert resp.usage.prompt_tokens == len(EN_PROMPT) // 4
    assert resp.usage.completion_tokens == len(text) // 4
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_list_prompt_gives_one_choice_per_prompt_in_order(client):
    prompts = [alpaca_prompt(EN_HEADER, SEEDS[i:] + SEEDS[:i]) for i in range(3)]
    resp = client.completions.create(model="m", prompt=prompts, max_tokens=3072)
    assert [c.index for c in resp.choices] == [0, 1, 2]
    texts = [c.text for c in resp.choices]
    assert len(set(texts)) == 3
    for prompt, text in zip(prompts, texts):
        single = client.completions.create(model="m", prompt=prompt, max_tokens=3072)
        assert single.choices[0].text == text
    assert resp.usage.prompt_tokens == sum(len(p) // 4 for p in prompts)


def test_chat_completion(client):
    user = "".join(EN_PROMPT.partition("###")[1:]).rsplit("###", 1)[0]  # examples 1..3 only
    resp = client.chat.completions.create(
        model="gpt-fake",
        messages=[
            {"role": "system", "content": EN_HEADER},
            {"role": "user", "content": user},
        ],
    )
    assert resp.object == "chat.completion"
    assert resp.model == "gpt-fake"
    assert len(resp.choices) == 1
    msg = resp.choices[0].message
    assert msg.role == "assistant"
    assert resp.choices[0].finish_reason == "stop"
    assert msg.content.startswith("4. Instruction: ")
    tasks = parse_tasks(msg.content[len("4. Instruction:"):], 3)
    assert [t["n"] for t in tasks] == list(range(4, 20))
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens


def test_deterministic_and_varied(client):
    a = client.completions.create(model="m", prompt=EN_PROMPT).choices[0].text
    b = client.completions.create(model="m", prompt=EN_PROMPT).choices[0].text
    assert a == b
    other = alpaca_prompt(EN_HEADER, SEEDS[::-1])
    c = client.completions.create(model="m", prompt=other).choices[0].text
    assert c != a
    ins_a = {t["instruction"] for t in parse_tasks(a, 3)}
    ins_c = {t["instruction"] for t in parse_tasks(c, 3)}
    assert len(ins_a & ins_c) <= 3  # mostly different tasks


def test_generator_statistics(client):
    """Across many prompts: ~1/8 exact repeats within a completion, ~40 % inputs."""
    prompts = [alpaca_prompt(EN_HEADER, SEEDS) + f"{' ' * i}" for i in range(40)]
    resp = client.completions.create(model="m", prompt=prompts)
    repeats = total = with_input = 0
    all_instructions = set()
    for choice in resp.choices:
        tasks = parse_tasks(choice.text, 3)
        assert len(tasks) == 16
        seen = set()
        for t in tasks:
            key = (t["instruction"], t["input"], t["output"])
            repeats += key in seen
            seen.add(key)
            total += 1
            with_input += bool(t["input"])
            all_instructions.add(t["instruction"])
    assert 0.05 < repeats / total < 0.22
    assert 0.28 < with_input / total < 0.52
    assert len(all_instructions) > 0.6 * total


def test_korean_prompt_gives_hangul(client):
    resp = client.completions.create(model="m", prompt=KO_PROMPT)
    tasks = parse_tasks(resp.choices[0].text, 3)
    assert [t["n"] for t in tasks] == list(range(4, 20))
    for t in tasks:
        letters = [ch for ch in t["instruction"] if ch.isalpha()]
        hangul = [ch for ch in letters if "\uac00" <= ch <= "\ud7a3"]
        assert len(hangul) >= 0.9 * len(letters), t["instruction"]
        assert re.search("[\uac00-\ud7a3]", t["output"])
    chat = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": KO_PROMPT}]
    )
    assert chat.choices[0].message.content.startswith("4. Instruction: ")
    assert re.search("[\uac00-\ud7a3]", chat.choices[0].message.content)


def test_models_and_unknown_path(fake, client):
    assert [m.id for m in client.models.list()] == ["fake-model"]
    req = urllib.request.Request(fake.base_url + "/nope", method="POST", data=b"{}")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 404
    body = json.loads(info.value.read())
    assert body["error"]["type"] == "invalid_request_error"


def test_custom_responder():
    seen = []

    def responder(prompt, body):
        seen.append((prompt, body["model"]))
        return Reply(prompt.upper(), prompt_tokens=1, completion_tokens=2)

    with FakeOpenAI(responder=responder) as server:
        c = make_client(server)
        resp = c.completions.create(model="m", prompt=["ab", "cd"])
        assert [ch.text for ch in resp.choices] == ["AB", "CD"]
        assert resp.usage.prompt_tokens == 2 and resp.usage.completion_tokens == 4
        assert seen == [("ab", "m"), ("cd", "m")]


# --------------------------------------------------------------------------
# Scripted replies, max_tokens, stop
# --------------------------------------------------------------------------


def test_scripted_reply_and_length(fake, client):
    fake.enqueue(Reply("cut off", finish_reason="length", prompt_tokens=7, completion_tokens=3))
    resp = client.completions.create(model="m", prompt=EN_PROMPT)
    assert resp.choices[0].text == "cut off"
    assert resp.choices[0].finish_reason == "length"
    assert (resp.usage.prompt_tokens, resp.usage.completion_tokens, resp.usage.total_tokens) == (7, 3, 10)
    # queue empty again -> responder
    assert fake.pending == 0
    assert client.completions.create(model="m", prompt=EN_PROMPT).choices[0].text != "cut off"


def test_scripted_replies_per_choice(fake, client):
    fake.enqueue(Reply("first"), Reply("second"))
    resp = client.completions.create(model="m", prompt=[EN_PROMPT, EN_PROMPT, EN_PROMPT])
    texts = [c.text for c in resp.choices]
    assert texts[:2] == ["first", "second"]
    assert texts[2].startswith(" ") and "4. Input:" in texts[2]

    fake.enqueue(Reply("chat one"), Reply("chat two"))
    chat = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    assert chat.choices[0].message.content == "chat one"
    assert fake.pending == 1
    fake.clear()
    assert fake.pending == 0 and fake.requests == []


def test_max_tokens_and_stop(client):
    resp = client.completions.create(model="m", prompt=EN_PROMPT, max_tokens=10)
    assert resp.choices[0].finish_reason == "length"
    assert len(resp.choices[0].text) == 40

    resp = client.completions.create(model="m", prompt=EN_PROMPT, stop=["\n7.", "###"])
    text = resp.choices[0].text
    assert resp.choices[0].finish_reason == "stop"
    assert "###" not in text and "4. Output:" in text

    full = client.completions.create(model="m", prompt=EN_PROMPT, max_tokens=3072).choices[0].text
    tasks = parse_tasks(full[:1000], 3, "length")  # Alpaca drops the truncated last task
    assert 0 < len(tasks) < 16


# --------------------------------------------------------------------------
# Faults over HTTP
# --------------------------------------------------------------------------


def test_error_401(fake, client):
    fake.enqueue(Error(401))
    with pytest.raises(openai.AuthenticationError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert "Incorrect API key provided" in info.value.message


def test_error_status_classes(fake, client):
    fake.enqueue(Error(403), Error(404), Error(500), Error(503), Error(418, body={"detail": "teapot"}))
    with pytest.raises(openai.PermissionDeniedError):
        client.completions.create(model="m", prompt="x")
    with pytest.raises(openai.NotFoundError) as info:
        client.completions.create(model="nope-model", prompt="x")
    assert info.value.code == "model_not_found" and "nope-model" in info.value.message
    with pytest.raises(openai.InternalServerError) as info:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert info.value.type == "server_error"
    with pytest.raises(openai.InternalServerError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.status_code == 503
    with pytest.raises(openai.APIStatusError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.status_code == 418 and info.value.body == {"detail": "teapot"}


def test_quota_error(fake, client):
    fake.enqueue(Error.quota())
    with pytest.raises(openai.RateLimitError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.code == "insufficient_quota"
    assert info.value.body["code"] == "insufficient_quota"
    assert info.value.type == "insufficient_quota"


def test_rate_limit_headers(fake, client):
    fake.enqueue(Error.rate_limit(retry_after=1, reset_requests="20ms"))
    with pytest.raises(openai.RateLimitError) as info:
        client.completions.with_raw_response.create(model="m", prompt="x")
    err = info.value
    assert err.code == "rate_limit_exceeded"
    assert err.response.headers["retry-after"] == "1"
    assert err.response.headers["x-ratelimit-reset-requests"] == "20ms"

    fake.enqueue(Error.rate_limit(reset_requests=1))
    with pytest.raises(openai.RateLimitError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.response.headers["x-ratelimit-reset-requests"] == "1s"
    assert "retry-after" not in info.value.response.headers

    raw = client.completions.with_raw_response.create(model="m", prompt="x")
    assert raw.status_code == 200
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.parse().choices[0].text


def test_context_length_error(fake, client):
    fake.enqueue(Error.context_length(max_context=4096))
    with pytest.raises(openai.BadRequestError) as info:
        client.completions.create(model="m", prompt="x" * 4000, max_tokens=4000)
    assert info.value.code == "context_length_exceeded"
    msg = info.value.message
    assert "maximum context length is 4096 tokens" in msg
    assert "however you requested 5000 tokens (1000 in your prompt; 4000 for the completion)" in msg


def test_drop_gives_connection_error(fake, client):
    fake.enqueue(Drop())
    with pytest.raises(openai.APIConnectionError) as info:
        client.completions.create(model="m", prompt="x")
    assert not isinstance(info.value, openai.APITimeoutError)
    # the server keeps working afterwards
    assert client.completions.create(model="m", prompt="x").choices[0].text


def test_raw_garbage(fake, client):
    # A 200 with an unparsable JSON body is NOT wrapped by the openai client:
    # it surfaces as json.JSONDecodeError (a ValueError).
    fake.enqueue(Raw(b"not json"))
    with pytest.raises(json.JSONDecodeError):
        client.completions.create(model="m", prompt="x")
    fake.enqueue(Raw(b""))
    with pytest.raises(json.JSONDecodeError):
        client.completions.create(model="m", prompt="x")
    # An error status with a non-JSON body keeps the raw text as body.
    fake.enqueue(Raw(b"<html>bad gateway</html>", status=502, content_type="text/html"))
    with pytest.raises(openai.InternalServerError) as info:
        client.completions.create(model="m", prompt="x")
    assert info.value.status_code == 502 and "bad gateway" in str(info.value.body)


def test_hang_times_out(fake):
    c = make_client(fake, timeout=0.5)
    fake.enqueue(Hang(3))
    t0 = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        c.completions.create(model="m", prompt="x")
    assert time.monotonic() - t0 < 2
    # Hang + following action: a slow error, answered after the hang.
    fake.enqueue(Hang(0.2), Error(500))
    c2 = make_client(fake)
    t0 = time.monotonic()
    with pytest.raises(openai.InternalServerError):
        c2.completions.create(model="m", prompt="x")
    assert time.monotonic() - t0 >= 0.2


def test_request_log(fake, client):
    client.completions.create(model="m", prompt="hello", max_tokens=5)
    client.chat.completions.create(model="c", messages=[{"role": "user", "content": "yo"}])
    assert len(fake.requests) == 2
    first, second = fake.requests
    assert first["path"] == "/v1/completions" and first["method"] == "POST"
    assert first["headers"]["authorization"] == f"Bearer {API_KEY}"
    assert first["body"]["prompt"] == "hello" and first["body"]["max_tokens"] == 5
    assert isinstance(first["time"], float) and first["time"] <= second["time"]
    assert second["path"] == "/v1/chat/completions"
    assert second["body"]["messages"][0]["content"] == "yo"


def test_a_request_cut_short_by_a_dying_client_is_not_logged(fake, client):
    # A client killed mid-body sent no request: the log (which tests compare with what was
    # asked) must not hold a half-read body.
    import socket
    from urllib.parse import urlsplit

    where = urlsplit(fake.base_url)
    body = json.dumps({"model": "m", "prompt": "hello", "max_tokens": 5}).encode()
    with socket.create_connection((where.hostname, where.port)) as sock:
        sock.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
    client.completions.create(model="m", prompt="whole", max_tokens=5)  # a later request still arrives
    deadline = time.monotonic() + 5
    while not fake.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [r["body"]["prompt"] for r in fake.requests] == ["whole"]


def test_concurrency():
    with FakeOpenAI(latency=0.3) as server:
        c = make_client(server)

        def call(i):
            return c.completions.create(model="m", prompt=f"prompt {i}").choices[0].text

        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(call, range(20)))
        elapsed = time.monotonic() - t0
        assert len(results) == 20 and all(results)
        assert elapsed < 2.0, elapsed
        assert len(server.requests) == 20


def test_script_mode():
    proc = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "fakeserver.py"), "--port", "0", "--latency", "0.01"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert re.fullmatch(r"READY http://127\.0\.0\.1:\d+/v1", line), line
        base_url = line.split(" ", 1)[1]
        c = openai.OpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=5)
        assert c.completions.create(model="m", prompt=EN_PROMPT).choices[0].text
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=5)
        assert proc.returncode == 0
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
