"""``reviewvet bench models`` runs end to end against its own stand-in servers (figures are not asserted,
only their shape, the results of the calls it timed, and that it leaves the environment as it was)."""

from __future__ import annotations

import json
import os

import pytest

from reviewvet.cli import main

TIMES = {"server_ms", "raw_ms", "sdk_ms", "reviewvet_ms", "overhead_ms", "ratio", "sdk_overhead_ms", "own_ms"}


def test_bench_models_reports_each_provider_and_call(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "a-value-set-before-the-run")  # hidden for the run, then back
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    before = dict(os.environ)
    assert main(["bench", "models", "--calls", "2", "--delay", "1", "--json"]) == 0
    assert dict(os.environ) == before
    figures = json.loads(capsys.readouterr().out)
    assert (figures["calls"], figures["delay_ms"]) == (2, 1.0)
    assert figures["challenged"]["grade"] in ("doubtful", "refuted")
    assert sorted(figures["providers"]) == ["anthropic", "gemini", "openai"]
    for provider in figures["providers"].values():
        assert provider["client_open_ms"] > 0
        extract, challenge = provider["extract"], provider["challenge"]
        assert set(extract) == TIMES | {"findings", "rewritten_quotes"}
        assert set(challenge) == TIMES | {"outcome", "regrade", "survived"}
        assert (extract["findings"], extract["rewritten_quotes"]) == (1, 0)
        assert (challenge["outcome"], challenge["regrade"], challenge["survived"]) == ("amend", "confirmed", True)
        for call in (extract, challenge):
            assert call["server_ms"] >= 1.0  # the delay it was asked to add
            assert min(call["raw_ms"], call["sdk_ms"], call["reviewvet_ms"]) > 0
            assert call["overhead_ms"] == pytest.approx(call["reviewvet_ms"] - call["raw_ms"])
            assert call["ratio"] == pytest.approx(call["reviewvet_ms"] / call["raw_ms"])


def test_bench_models_text_names_one_provider(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "models", "--provider", "openai", "--calls", "1", "--delay", "0"]) == 0
    text = capsys.readouterr().out
    assert "openai     extract" in text and "openai     challenge" in text
    assert "anthropic" not in text and "amend: confirmed, survived" in text


def test_bench_models_refuses_no_calls(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "models", "--calls", "0"]) == 2
    assert "--calls >= 1" in capsys.readouterr().err
