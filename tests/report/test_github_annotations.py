"""GitHub Actions annotations: every line read back with the workflow-command grammar gives the
findings' verdicts, and nothing a review says can start a command of its own."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace


from reviewvet.model.checks import FindingVerdict, primary_location
from reviewvet.model.verification import Verification
from reviewvet.report import PLAIN, RenderOptions, github_annotations, render
from reviewvet.report.escape import visible
from reviewvet.report.text import deciding_rule, headline, verdict_word

WITH_FALSE_POSITIVES = RenderOptions(include_false_positives=True)
COMMANDS = {"critical": "error", "important": "warning", "suggestion": "notice"}

# ::command key=value,key=value::message — the runner ends the properties at the first "::"
# after the command; escaped properties hold no ":" and no ",", and no line holds CR or LF.
COMMAND = re.compile(r"::(?P<command>[a-z-]+)(?: (?P<properties>[^:\r\n]*))?::(?P<message>[^\r\n]*)")
ESCAPE = re.compile(r"%(25|0D|0A|3A|2C)")


def unescape(text: str) -> str:
    return ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)


@dataclass(frozen=True)
class Annotation:
    command: str
    properties: dict[str, str]
    message: str


def parse(text: str) -> list[Annotation]:
    """Every line of ``text`` as a workflow command, unescaped; fails on a line that is none."""
    assert text.endswith("\n")
    lines = text[:-1].split("\n")
    assert text.splitlines() == lines  # no other line break (CR, NEL, U+2028 …) hides inside a line
    out = []
    for line in lines:
        match = COMMAND.fullmatch(line)
        assert match is not None, line
        pairs = [item.split("=", 1) for item in (match["properties"] or "").split(",") if item]
        assert all(len(pair) == 2 for pair in pairs), line
        properties = {name: unescape(value) for name, value in pairs}
        assert len(properties) == len(pairs), line
        out.append(Annotation(match["command"], properties, unescape(match["message"])))
    return out




def expected_order(v: Verification, options: RenderOptions = PLAIN) -> list[FindingVerdict]:
    """The findings the annotations are about: located ones first, false positives only on request."""
    kept = [fv for fv in v.verdicts
            if options.include_false_positives or not v.decisions[fv.finding.key].false_positive]
    return ([fv for fv in kept if primary_location(fv) is not None]
            + [fv for fv in kept if primary_location(fv) is None])


def annotated(v: Verification, options: RenderOptions = PLAIN) -> list[tuple[FindingVerdict, Annotation]]:
    found = parse(github_annotations.render(v, options))
    expected = expected_order(v, options)
    assert len(found) == len(expected)
    return list(zip(expected, found, strict=True))


# -- the demo verification ----------------------------------------------------------------------


def test_every_line_is_a_workflow_command_for_one_finding(result: Verification) -> None:
    pairs = annotated(result)
    assert len(pairs) == len(result.verdicts) - 2  # the two false positives are left out
    for fv, a in pairs:
        assert a.command in ("error", "warning", "notice")
        assert a.message == visible(headline(fv, result.decisions[fv.finding.key])), fv.finding.key


def test_titles_are_the_deciding_rule_and_the_verdict(result: Verification) -> None:
    for fv, a in annotated(result, WITH_FALSE_POSITIVES):
        decision = result.decisions[fv.finding.key]
        assert a.properties["title"] == f"{deciding_rule(decision)} {verdict_word(fv, decision)}"
    by_key = {fv.finding.key: a for fv, a in annotated(result)}
    assert by_key["consolidated/I3"].properties["title"] == "RV000 confirmed"  # no rule decided: the grade
    assert by_key["consolidated/S3"].properties["title"] == "RV702 doubtful"  # location rules (RV2xx) last


def test_commands_follow_the_final_severities(result: Verification) -> None:
    pairs = annotated(result)
    for fv, a in pairs:
        assert a.command == COMMANDS.get(result.decisions[fv.finding.key].severity or "", "notice"), fv.finding.key
    by_key = {fv.finding.key: a for fv, a in pairs}
    assert by_key["consolidated/I1"].command == "warning"
    assert by_key["consolidated/S1"].command == "notice"


def test_a_critical_finding_is_an_error_and_a_false_positive_a_notice(result: Verification) -> None:
    decisions = dict(result.decisions)
    decisions["consolidated/I1"] = replace(decisions["consolidated/I1"], severity="critical")
    decisions["consolidated/I2"] = replace(decisions["consolidated/I2"], severity="critical", false_positive=True)
    by_key = {fv.finding.key: a for fv, a in annotated(replace(result, decisions=decisions), WITH_FALSE_POSITIVES)}
    assert by_key["consolidated/I1"].command == "error"
    assert by_key["consolidated/I2"].command == "notice"
    assert by_key["consolidated/I2"].properties["title"] == "RV702 false positive"


def test_located_findings_name_their_file_and_lines(result: Verification) -> None:
    for fv, a in annotated(result):
        location = primary_location(fv)
        if location is not None:
            path, start, end = location
            assert a.properties == {"file": path, "line": str(start), "endLine": str(end),
                                    "title": a.properties["title"]}
    by_key = {fv.finding.key: a.properties for fv, a in annotated(result)}
    assert (by_key["consolidated/S3"]["file"], by_key["consolidated/S3"]["line"],
            by_key["consolidated/S3"]["endLine"]) == ("scripts/run-agent.sh", "32", "38")  # cited 19-25
    assert by_key["consolidated/S4"]["file"] == "scripts/lib.sh"  # the quote's real file


def test_unlocated_findings_have_a_title_and_a_message_only_and_come_last(result: Verification) -> None:
    pairs = annotated(result)
    unlocated = [a for fv, a in pairs if primary_location(fv) is None]
    assert unlocated and pairs[-len(unlocated):] == [(fv, a) for fv, a in pairs if primary_location(fv) is None]
    for a in unlocated:
        assert set(a.properties) == {"title"}
    assert "consolidated/D1" in {fv.finding.key for fv, a in pairs if primary_location(fv) is None}


def test_false_positives_only_when_asked_and_always_notices(result: Verification) -> None:
    false_positives = {key for key, d in result.decisions.items() if d.false_positive}
    assert false_positives == {"consolidated/S2", "Gemini/S3"}
    assert not false_positives & {fv.finding.key for fv, _ in annotated(result)}
    posted = {fv.finding.key: a for fv, a in annotated(result, WITH_FALSE_POSITIVES)}
    for key in false_positives:
        assert posted[key].command == "notice"
        assert posted[key].message.startswith("[false positive] ")
        assert posted[key].properties["title"].endswith(" false positive")
    assert posted["Gemini/S3"].properties["title"] == "RV601 false positive"


def test_the_registry_renders_the_github_format(result: Verification) -> None:
    assert render("github", result, WITH_FALSE_POSITIVES) == github_annotations.render(result, WITH_FALSE_POSITIVES)


# -- escaping -----------------------------------------------------------------------------------

HOSTILE_TITLE = "retry\n::set-output name=x::y\r\n::add-mask::hidden, a:b %0A 100% \x1b[2J \u202eevil\u2028::warning::z"
HOSTILE_PATH = "odd,dir/a:b %0A\n::error::x.go"


def hostile(v: Verification) -> Verification:
    """The first located finding of ``v`` with a title and a located file a review could use to inject."""
    fv = next(fv for fv in v.verdicts if fv.quotes and fv.quotes[0].found and fv.quotes[0].span)
    q = fv.quotes[0]
    assert q.span is not None
    quotes = (replace(q, span=replace(q.span, path=HOSTILE_PATH)), *fv.quotes[1:])
    return replace(v, verdicts=(replace(fv, finding=replace(fv.finding, title=HOSTILE_TITLE), quotes=quotes),))


def test_review_text_cannot_start_a_workflow_command(result: Verification) -> None:
    v = hostile(result)
    text = github_annotations.render(v)
    assert text.count("\n") == 1 and "\r" not in text
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202e]", text)
    (a,) = parse(text)
    assert text.startswith(f"::{a.command} file=")  # the one command on the line is reviewvet's
    fv = v.verdicts[0]
    assert a.message == visible(headline(fv, v.decisions[fv.finding.key]))
    assert a.properties["file"] == visible(HOSTILE_PATH)
    assert "%250A" in text  # a "%0A" written in the review stays text
    assert "::set-output" in a.message and "::add-mask::hidden" in a.message  # shown, not run


def test_escaping_is_the_actions_toolkit_s() -> None:
    assert github_annotations.escape_data("50% a:b,c\r\nd") == "50%25 a:b,c%0D%0Ad"
    assert github_annotations.escape_property("50% a:b,c\r\nd") == "50%25 a%3Ab%2Cc%0D%0Ad"
    assert github_annotations.escape_data("%0A") == "%250A"
    for text in ("%0A%3A", "a,b:c%d\n", "::x::"):
        assert unescape(github_annotations.escape_property(text)) == text
        assert unescape(github_annotations.escape_data(text)) == text
