"""One finding, one provenance answer: the claim the finding is about decides its status.

The primary claim is the location on the finding's title line, else its first evidence quote,
else its first line claim, else its symbol. Secondary references stay listed, marked, but a
reference to older code beside new code no longer turns a finding ``mixed``.
"""

from __future__ import annotations

from reviewvet.ingest.parse import parse_review
from reviewvet.api import verify_repository

from .test_provenance import GO_MOD, prov, review, verify_json

LOAD = """\
package m

func Load(path string) ([]byte, error) {
\treturn readFile(path)
}
"""
RETRY = """
func LoadRetry(path string, n int) ([]byte, error) {
\tfor i := 0; i < n; i++ {
\t\tif data, err := readFile(path); err == nil {
\t\t\treturn data, nil
\t\t}
\t}
\treturn nil, nil
}
"""  # lines 6-14 at head, new in the PR; it does not call Load (which would widen Load's gap)
SAVE = """\
package m

func Save(path string, data []byte) error {
\treturn writeFile(path, data)
}
"""
NEW_CODE = "\t\tif data, err := readFile(path); err == nil {\n\t\t\treturn data, nil\n"
OLD_CODE = "func Load(path string) ([]byte, error) {\n\treturn readFile(path)\n"


def load_repo(make_repo):
    repo = make_repo()
    repo.commit("load: add", {"go.mod": GO_MOD, "a.go": LOAD, "b.go": SAVE}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("load: retry", {"a.go": LOAD + RETRY})
    return repo


def finding(n: int, title_ref: str, code: str, body: str, label: str) -> str:
    head = f"I{n}. **Finding {n}** — `{title_ref}` [Claude]" if title_ref else f"I{n}. **Finding {n}** [Claude]"
    return f"{head}\n\n```go\n{code}```\n\n{body}\n\n*(important, {label} — see above.)*\n\n"


def claims(p) -> list[tuple[str, int, int, str, bool]]:
    return [(c["source"], c["start"], c["end"], c["status"], c["primary"]) for c in p["claims"]]


def test_new_lines_on_the_title_with_an_old_secondary_reference_are_a_regression(
        make_repo, capsys, tmp_path) -> None:
    repo = load_repo(make_repo)
    text = review(finding(1, "a.go:9-10", NEW_CODE, "It retries `a.go:3-4` without a pause.", "regression"))
    p = prov(verify_json(capsys, tmp_path, repo, text), 1)
    assert (p["status"], p["claimed"], p["agreement"]) == ("regression", "regression", "agrees")
    assert claims(p) == [("quote", 9, 10, "regression", True), ("line claim", 3, 4, "gap", False)]


def test_old_code_on_the_title_with_a_new_secondary_reference_is_a_gap(make_repo, capsys, tmp_path) -> None:
    repo = load_repo(make_repo)
    text = review(finding(1, "a.go:3-4", OLD_CODE, "Its new caller `a.go:9-10` retries it.", "regression"),
                  finding(2, "a.go:3-4", OLD_CODE, "Its new caller `a.go:9-10` retries it.", "gap"))
    report = verify_json(capsys, tmp_path, repo, text)
    wrong, right = prov(report, 1), prov(report, 2)
    assert (wrong["status"], wrong["agreement"]) == ("gap", "mislabelled")
    assert (right["status"], right["agreement"]) == ("gap", "agrees")
    assert claims(right) == [("quote", 3, 4, "gap", True), ("line claim", 9, 10, "regression", False)]


def test_without_a_title_location_the_first_evidence_quote_decides(make_repo, capsys, tmp_path) -> None:
    repo = load_repo(make_repo)
    text = review(finding(1, "", NEW_CODE, "See also `b.go:3-4`.", "regression"))
    p = prov(verify_json(capsys, tmp_path, repo, text), 1)
    assert (p["status"], p["agreement"]) == ("regression", "agrees")
    assert [c["primary"] for c in p["claims"]] == [True, False]


def test_a_line_claim_on_the_title_beats_a_quote_in_the_body(make_repo, capsys, tmp_path) -> None:
    repo = load_repo(make_repo)
    # the title names old code in b.go; the body quotes new code in a.go
    text = review(finding(1, "b.go:3-4", NEW_CODE, "", "gap"))
    p = prov(verify_json(capsys, tmp_path, repo, text), 1)
    assert (p["status"], p["agreement"]) == ("gap", "agrees")
    assert claims(p) == [("quote", 9, 10, "regression", False), ("line claim", 3, 4, "gap", True)]


def test_a_mixed_primary_claim_is_still_mixed(make_repo, capsys, tmp_path) -> None:
    repo = load_repo(make_repo)
    code = "}\n\nfunc LoadRetry(path string, n int) ([]byte, error) {\n"
    p = prov(verify_json(capsys, tmp_path, repo, review(finding(1, "a.go:5-7", code, "", "regression"))), 1)
    assert (p["status"], p["agreement"]) == ("mixed", "partial")


def test_exactly_one_claim_is_primary_in_the_records(make_repo) -> None:
    repo = load_repo(make_repo)
    text = review(finding(1, "a.go:9-10", NEW_CODE, "Compare `a.go:3-4` and `a.go:12-13`.", "regression"))
    (v,) = verify_repository(repo.path, parse_review(text), head="pr", base="main").verdicts
    assert v.provenance is not None
    assert [c.primary for c in v.provenance.claims] == [True, False, False]
    assert v.provenance.status == "regression"
