"""reviewdog's JSON-lines diagnostic format (rdjsonl): one diagnostic per located finding,
so reviewdog can post reviewvet's verdicts as pull-request comments."""

from __future__ import annotations

import json
from typing import Any

from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.escape import json_visible
from reviewvet.model.checks import primary_location
from reviewvet.report.sarif import _message
from reviewvet.report.text import deciding_rule

SEVERITIES = {"critical": "ERROR", "important": "WARNING", "suggestion": "INFO"}


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    return "".join(json_visible(json.dumps(d, sort_keys=True, ensure_ascii=False)) + "\n" for d in diagnostics(v))


def diagnostics(v: Verification) -> list[dict[str, Any]]:
    out = []
    for fv in v.verdicts:
        location = primary_location(fv)
        if location is None:
            continue  # reviewdog needs a path; such findings are in the other formats
        decision = v.decisions.get(fv.finding.key)
        path, start, end = location
        severity = decision.severity if decision else fv.finding.severity
        out.append({
            "message": _message(fv, decision),
            "location": {"path": path, "range": {"start": {"line": start, "column": 1}, "end": {"line": end}}},
            "severity": SEVERITIES.get(severity or "", "INFO"),
            "source": {"name": "reviewvet"},
            "code": {"value": deciding_rule(decision)},
            "original_output": fv.finding.key,
        })
    return out
