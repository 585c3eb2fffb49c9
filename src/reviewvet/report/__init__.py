"""Output formats: one module each, registered here by name."""

from __future__ import annotations

FORMATS = {
    "terminal": "reviewvet.report.terminal",
    "markdown": "reviewvet.report.markdown",
    "json": "reviewvet.report.json_format",
    "sarif": "reviewvet.report.sarif",
    "rdjsonl": "reviewvet.report.rdjsonl",
}
