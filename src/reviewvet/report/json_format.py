"""JSON output: the verification data with sorted keys (schema: reviewvet-verify/1)."""

from __future__ import annotations

import json

from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions
from reviewvet.report.data import verification_data
from reviewvet.report.escape import json_visible


def render(v: Verification, options: RenderOptions = PLAIN) -> str:
    return json_visible(json.dumps(verification_data(v), sort_keys=True, indent=2, ensure_ascii=False)) + "\n"
