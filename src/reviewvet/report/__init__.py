"""Output formats: a verification in, text out. One module per format, registered here by name.

Every format renders a ``reviewvet.model.verification.Verification`` and nothing else: none
reads git or files (what SARIF needs of the repository, its line hashes, is computed while
verifying and carried on each verdict). Front ends call ``render`` and never name a format.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from reviewvet.model.verification import Verification

FORMATS = {
    "terminal": "reviewvet.report.terminal",
    "markdown": "reviewvet.report.markdown",
    "json": "reviewvet.report.json_format",
    "sarif": "reviewvet.report.sarif",
    "rdjsonl": "reviewvet.report.rdjsonl",
    "github": "reviewvet.report.github_annotations",
    "github-comment": "reviewvet.report.github_comment",
}

Unlocated = Literal["keep", "file", "drop"]
UNLOCATED: tuple[Unlocated, ...] = ("keep", "file", "drop")


@dataclass(frozen=True)
class RenderOptions:
    """How a report is drawn; a format uses what applies to it (only the terminal has colour).

    - ``sarif_unlocated``: a SARIF result with no location is kept as it is (``keep``; GitHub
      refuses the whole file then), given the file its finding names (``file``, the default; a
      finding naming no file is then left out and counted), or left out and counted (``drop``);
    - ``category``: SARIF ``automationDetails.id`` (default ``reviewvet/<pr>/<round>/``);
    - ``include_false_positives``: rdjsonl and GitHub annotations post false positives too (left out
      by default: on a pull request they are noise; every other format shows them);
    - ``command``: the command line that shows the whole report, for a format that must cut it short.
    """

    color: bool = False
    width: int = 120
    sarif_unlocated: Unlocated = "file"
    category: str | None = None
    include_false_positives: bool = False
    command: str = ""


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
