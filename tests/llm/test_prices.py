"""The price table: a dated snapshot is priced as its model, an unknown model costs nothing known."""

from __future__ import annotations

import pytest

from reviewvet.llm.prices import PRICES, cost_usd, price_key, usage


@pytest.mark.parametrize(("model", "key"), [
    ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("gpt-4o-mini", "gpt-4o-mini"),
    ("models/gemini-2.5-flash", "gemini-2.5-flash"),
    ("gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash-preview-09-2025"),  # a preview is another model
])
def test_price_key(model: str, key: str) -> None:
    assert price_key(model) == key


def test_a_known_model_costs_its_list_price() -> None:
    per_input, per_output = PRICES["claude-sonnet-4-5"]
    assert cost_usd("claude-sonnet-4-5-20250929", 2_000_000, 1_000_000) == pytest.approx(2 * per_input + per_output)
    assert usage("gpt-4.1-mini", 1000, 500).cost_usd == pytest.approx((1000 * 0.40 + 500 * 1.60) / 1e6)


def test_an_unknown_model_has_no_cost() -> None:
    assert cost_usd("claude-opus-9", 1000, 1000) is None
    assert usage("my-gateway-model", 10, 5).cost_usd is None


def test_every_price_is_per_million_tokens_in_a_sane_range() -> None:
    for model, (per_input, per_output) in PRICES.items():
        assert 0 < per_input <= per_output <= 100, model
