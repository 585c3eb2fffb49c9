"""What a model call cost, from the tokens it used and a small table of list prices.

The prices are approximate: each provider's standard (not batch, not cached, not priority) price
per million tokens, for a handful of models, as published in early 2026. They change, and a
provider may bill a long prompt at a higher rate; treat a cost as an estimate and check the
provider's pricing page before relying on it. A model not in the table costs ``None`` (unknown),
never zero.

A model is looked up by its name without a ``models/`` prefix and without a trailing snapshot
date (``claude-sonnet-4-5-20250929`` and ``gpt-4o-2024-08-06`` are priced as ``claude-sonnet-4-5``
and ``gpt-4o``); any other suffix makes it a different, unknown model.
"""

from __future__ import annotations

import re

from reviewvet.llm.client import Usage

PRICES_AS_OF = "2026-03"

# model: (USD per million input tokens, USD per million output tokens)
PRICES: dict[str, tuple[float, float]] = {
    # Anthropic ("-4-0" is the alias of the dated 4.0 snapshots)
    "claude-opus-4-6": (5.0, 25.0),
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-opus-4-0": (15.0, 75.0),
    "claude-sonnet-4-6": (3.0, 15.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-sonnet-4-0": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    # OpenAI
    "gpt-5": (1.25, 10.0),
    "gpt-5-mini": (0.25, 2.0),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4o": (2.50, 10.0),
    "gpt-4o-mini": (0.15, 0.60),
    # Gemini (2.5 Pro: the rate for prompts up to 200k tokens)
    "gemini-2.5-pro": (1.25, 10.0),
    "gemini-2.5-flash": (0.30, 2.50),
    "gemini-2.5-flash-lite": (0.10, 0.40),
}

_SNAPSHOT_DATE = re.compile(r"-(\d{8}|\d{4}-\d{2}-\d{2})$")


def price_key(model: str) -> str:
    """The name ``model`` is priced under: no ``models/`` prefix, no snapshot date."""
    return _SNAPSHOT_DATE.sub("", model.removeprefix("models/"))


def cost_usd(model: str, input_tokens: int, output_tokens: int) -> float | None:
    """The approximate cost of a call in US dollars, or None when ``model``'s price is not known."""
    price = PRICES.get(price_key(model))
    if price is None:
        return None
    per_input, per_output = price
    return (input_tokens * per_input + output_tokens * per_output) / 1_000_000


def usage(model: str, input_tokens: int, output_tokens: int) -> Usage:
    """The tokens of one call with their approximate cost."""
    return Usage(input_tokens, output_tokens, cost_usd(model, input_tokens, output_tokens))
