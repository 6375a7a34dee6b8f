"""Batch back ends: the OpenAI Batch API, and batch files for other engines.

``lines`` writes a wave of rounds as OpenAI batch JSONL, ``results`` reads the
output format back into rounds, ``api`` drives the Batch and Files APIs step by
step. A wave's answers feed the same ordered committer as live answers.
"""
from .api import BatchAPI, BatchOutcome
from .lines import BatchRequest, custom_id, parse_custom_id, round_requests, split_files
from .results import LineResult, read_results, round_result

__all__ = ["BatchAPI", "BatchOutcome", "BatchRequest", "LineResult", "custom_id", "parse_custom_id", "read_results",
           "round_requests", "round_result", "split_files"]
