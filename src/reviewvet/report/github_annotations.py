"""GitHub Actions workflow commands: one line per finding, which a workflow step prints so that GitHub
shows reviewvet's verdicts as annotations (the shape of ruff's ``--output-format github``)::

    ::warning file=agent/internal/retry/budget.go,line=58,endLine=62,title=RV702 confirmed::[confirmed] …

- The command follows the final severity: critical is ``error``, important ``warning``, suggestion
  (or no severity) ``notice``; a false positive is always a ``notice``.
- The title is short: the deciding rule and the verdict word. The message is the verdict-first
  ``headline``.
- A finding with no location at head still gets an annotation, with a title and a message but no
  ``file`` (GitHub shows it with the run rather than on a line): leaving it out would hide a verdict.
  These come after the located ones, because GitHub shows only a limited number of annotations of
  each kind per step and the located ones are the ones a reader finds in the pull request's diff.
- False positives are left out unless ``RenderOptions.include_false_positives``, as in rdjsonl.
- Nothing from a review can start a command of its own (``::add-mask``, ``::stop-commands`` …): text
  first passes through ``visible`` (control characters and bidi marks spelled out), then gets the
  runner's escaping, ``%``, CR and LF in the message, and ``:`` and ``,`` too in a property. A line
  therefore holds no line break of any kind, and a ``%0A`` written in a review stays text (``%250A``).
- A challenged finding's message ends with what the challenge came to, in brackets (its short form,
  without the model's reason).
"""

from __future__ import annotations

from reviewvet.model.challenge import ChallengeOutcome
from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.rules import Decision
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.escape import visible
from reviewvet.report.text import deciding_rule, headline, verdict_word

COMMANDS = {"critical": "error", "important": "warning", "suggestion": "notice"}
DATA_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A"})
PROPERTY_ESCAPES = str.maketrans({"%": "%25", "\r": "%0D", "\n": "%0A", ":": "%3A", ",": "%2C"})


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    located: list[str] = []
    unlocated: list[str] = []
    for fv in v.verdicts:
        decision = v.decisions.get(fv.finding.key)
        if decision is not None and decision.false_positive and not options.include_false_positives:
            continue
        location = primary_location(fv)
        challenge = v.challenge(fv.finding.key)
        (located if location is not None else unlocated).append(annotation(fv, decision, location, challenge))
    return "".join(line + "\n" for line in located + unlocated)


def annotation(fv: FindingVerdict, decision: Decision | None, location: tuple[str, int, int] | None,
               challenge: ChallengeOutcome | None = None) -> str:
    """``::warning file=…,line=…,endLine=…,title=…::message``; no file and lines when unlocated. The message
    ends with what the finding's challenge came to, when it was challenged."""
    properties: list[tuple[str, str]] = []
    if location is not None:
        path, start, end = location
        properties += [("file", path), ("line", str(start)), ("endLine", str(end))]
    properties.append(("title", f"{deciding_rule(decision)} {verdict_word(fv, decision)}"))
    listed = ",".join(f"{name}={escape_property(visible(value))}" for name, value in properties)
    return f"::{command(fv, decision)} {listed}::{escape_data(visible(headline(fv, decision, challenge)))}"


def command(fv: FindingVerdict, decision: Decision | None) -> str:
    """``error``, ``warning`` or ``notice``, by the final severity; ``notice`` for a false positive."""
    if decision is not None and decision.false_positive:
        return "notice"
    final = decision.severity if decision is not None else fv.finding.severity
    return COMMANDS.get(final or "", "notice")


def escape_data(text: str) -> str:
    """A command's message as the runner reads it back: ``%``, CR and LF percent-encoded."""
    return text.translate(DATA_ESCAPES)


def escape_property(text: str) -> str:
    """A property's value: as a message, and ``:`` and ``,`` too (they end a value)."""
    return text.translate(PROPERTY_ESCAPES)
