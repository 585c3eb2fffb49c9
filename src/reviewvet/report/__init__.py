"""Output formats: a verification in, text out. One module per format, registered here by name.

Every format renders a ``reviewvet.model.verification.Verification`` and nothing else: none
reads git or files (what SARIF needs of the repository, its line hashes, is computed while
verifying and carried on each verdict). Front ends call ``render`` and never name a format.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from reviewvet.model.verification import Verification

FORMATS = {
    "terminal": "reviewvet.report.terminal",
    "markdown": "reviewvet.report.markdown",
    "json": "reviewvet.report.json_format",
    "sarif": "reviewvet.report.sarif",
    "rdjsonl": "reviewvet.report.rdjsonl",
}


@dataclass(frozen=True)
class RenderOptions:
    """How a report is drawn; a format uses what applies to it (only the terminal has colour)."""

    color: bool = False
    width: int = 120


PLAIN = RenderOptions()


class Formatter(Protocol):
    def __call__(self, v: Verification, options: RenderOptions) -> str: ...


def formatter(name: str) -> Formatter:
    """The ``render`` function of the format ``name`` (one of ``FORMATS``)."""
    if name not in FORMATS:
        raise ValueError(f"unknown output format {name!r}; known: {', '.join(sorted(FORMATS))}")
    render_function: Formatter = importlib.import_module(FORMATS[name]).render
    return render_function


def render(name: str, v: Verification, options: RenderOptions = PLAIN) -> str:
    """The verification ``v`` as text in the format ``name``."""
    return formatter(name)(v, options)
