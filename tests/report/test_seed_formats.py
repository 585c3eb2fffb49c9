"""The pull-request formats of the five real seed reports, each verified once per session against
its own pull request (skipped when ../shared is absent): annotations that are all workflow
commands, rdjsonl lines that are all reviewdog diagnostics, with false positives left out of both.
(SARIF and the comment have their own seed tests: test_sarif_github.py, test_github_comment.py.)"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from reviewvet.model.verification import Verification
from reviewvet.model.checks import primary_location
from reviewvet.report import RenderOptions, render
from tests.conftest import SEED_PRS
from tests.report.test_github_annotations import parse
from tests.report.test_rdjsonl import RDJSONL_SCHEMA

pytestmark = pytest.mark.slow


def posted(v: Verification, options: RenderOptions) -> list[str]:
    """The keys of the findings a pull-request format should carry, in the report's order."""
    return [fv.finding.key for fv in v.verdicts
            if options.include_false_positives or not v.decisions[fv.finding.key].false_positive]


@pytest.mark.parametrize("prefix", SEED_PRS)
@pytest.mark.parametrize("with_false_positives", [False, True])
def test_annotations_of_a_seed_are_workflow_commands(seed_verifications: dict[str, Verification], prefix: str,
                                                     with_false_positives: bool) -> None:
    v = seed_verifications[prefix]
    options = RenderOptions(include_false_positives=with_false_positives)
    annotations = parse(render("github", v, options))
    keys = [a.message.split("] ", 1)[1].split(": ", 1)[0] for a in annotations]
    assert sorted(keys) == sorted(posted(v, options))
    located = {fv.finding.key: primary_location(fv) for fv in v.verdicts}
    for key, annotation in zip(keys, annotations, strict=True):
        where = located[key]
        if where is None:
            assert "file" not in annotation.properties
        else:
            assert (annotation.properties["file"], int(annotation.properties["line"]),
                    int(annotation.properties["endLine"])) == where


@pytest.mark.parametrize("prefix", SEED_PRS)
def test_rdjsonl_of_a_seed_is_reviewdog_diagnostics(seed_verifications: dict[str, Verification], prefix: str) -> None:
    v = seed_verifications[prefix]
    lines = render("rdjsonl", v).splitlines()
    validator = jsonschema.Draft202012Validator(RDJSONL_SCHEMA)
    diagnostics: list[dict[str, Any]] = [json.loads(line) for line in lines]
    for diagnostic in diagnostics:
        validator.validate(diagnostic)
    wanted = [key for key in posted(v, RenderOptions()) if primary_location(v.verdicts[_index(v, key)])]
    assert [d["original_output"] for d in diagnostics] == wanted
    assert all(d["message"].startswith("[") for d in diagnostics)


def _index(v: Verification, key: str) -> int:
    return next(i for i, fv in enumerate(v.verdicts) if fv.finding.key == key)
