"""A refuted or doubtful finding sent back to a model with its evidence, and what came of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Outcome = Literal["withdraw", "amend", "defend", "failed"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)


@dataclass(frozen=True)
class ChallengeOutcome:
    """One finding's challenge: the model's answer, the re-verification of what it claimed instead, and
    whether the finding survived its evidence (an amended or defended claim that verified as confirmed)."""

    key: str  # the finding's key
    provider: str
    model: str
    outcome: Outcome  # failed: the model could not be asked, or did not answer as asked
    reason: str  # the model's one-sentence reason (or why the call failed)
    claim: dict[str, Any] | None = None  # the amended or defending claim, as verified
    regrade: str = ""  # its verdict when verified again: confirmed, refuted, doubtful, unverifiable
    flags: tuple[str, ...] = ()  # its flags when verified again
    survived: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    seconds: float = 0.0
