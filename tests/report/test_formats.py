"""Every output format renders the demo verification; JSON follows its documented schema."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from reviewvet.checks.flags import FLAGS
from reviewvet.report import RenderOptions
from reviewvet.model.checks import LINE_STATUSES, QUOTE_STATUSES, SYMBOL_STATUSES
from reviewvet.ingest.parse import parse_review, read_review_file
from reviewvet.model.verification import Verification
from reviewvet.api import verify_repository
from reviewvet.report import json_format, markdown, terminal
from reviewvet.report.text import LINE_TEMPLATES, QUOTE_TEMPLATES, SYMBOL_TEMPLATES
from tests.conftest import REVIEWS


@pytest.fixture(scope="module")
def result(demo_repo) -> Verification:
    review = parse_review(read_review_file(REVIEWS / "demo-review.md"), "demo-review.md")
    return verify_repository(demo_repo.path, review, head=demo_repo.head, base=demo_repo.base)


def test_json_validates_against_the_schema(result: Verification) -> None:
    schema = json.loads(resources.files("reviewvet.schemas").joinpath("verify-1.schema.json").read_text())
    data = json.loads(json_format.render(result))
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["summary"]["findings"] == len(result.verdicts)
    s2 = next(f for f in data["findings"] if f["key"] == "consolidated/S2")
    assert s2["quotes"][0]["near_miss"]["differences"][0]["actual"].count("$@") == 1


def test_json_is_stable(result: Verification) -> None:
    first = json.loads(json_format.render(result))
    second = json.loads(json_format.render(result))
    first.pop("timings"), second.pop("timings")
    assert first == second


def test_markdown_and_terminal_name_every_finding(result: Verification) -> None:
    md = markdown.render(result)
    text = terminal.render(result, RenderOptions(color=False))
    for v in result.verdicts:
        assert v.finding.key in md
        assert v.finding.key in text
    assert "wrong-path" in md and "wrong-path" in text
    assert "\x1b[" not in text  # no colour codes unless asked


def test_terminal_colour_when_asked(result: Verification) -> None:
    assert "\x1b[" in terminal.render(result, RenderOptions(color=True))


def test_every_status_has_a_sentence() -> None:
    assert set(QUOTE_TEMPLATES) == set(QUOTE_STATUSES)
    assert set(LINE_TEMPLATES) == set(LINE_STATUSES)
    assert set(SYMBOL_TEMPLATES) == set(SYMBOL_STATUSES)
    assert all(FLAGS.values())
