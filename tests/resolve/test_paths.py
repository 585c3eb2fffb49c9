"""Claimed paths: unsafe ones are never read, unreadable files say why, and paths resolve
(module-root suffix, ambiguity, files that exist only at the merge base).

Each test builds a real repository (main plus a `pr` branch) and runs `reviewvet verify`.
The files outside the repository that unsafe claims point at really contain the quoted
text: had reviewvet followed the path, the quote would have been found.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewvet.checks.context import CheckContext
from reviewvet.cli import main
from reviewvet.git import Git
from reviewvet.ingest.parse import parse_review
from reviewvet.checks.finding import check_finding
from reviewvet.resolve.snapshot import DEFAULT_MAX_FILE_BYTES, Snapshot
from reviewvet.model.source import FileText, Unreadable
from reviewvet.workspace import RevisionPair, Workspace

SECRET = "func leakedOutsideTheRepository(token string) error {"

APP_GO = """\
package app

// Run starts the worker pool.
func Run(workers int) {
\tfor i := 0; i < workers; i++ {
\t\tgo work(i)
\t}
}
"""


def pr_repo(make_repo, base: dict, pr: dict | None = None):
    """main: `app/app.go` then ``base``; branch `pr` adds ``pr``. Returns the builder."""
    repo = make_repo()
    repo.commit("app: add the worker pool", {"app/app.go": APP_GO}, date="2026-04-01T08:00:00+00:00")
    repo.commit("add more files", base, date="2026-04-02T08:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    repo.commit("app: tune workers", {"app/app.go": APP_GO.replace("Run starts", "Run starts and tunes"), **(pr or {})},
                date="2026-04-03T08:00:00+00:00")
    return repo


def review(*findings: tuple[str, str]) -> str:
    """A review with one Important finding per (reference, quoted code)."""
    items = [
        f"I{n}. **Finding number {n}** — `{ref}` [Claude]\n\n```go\n{quote}\n```\n\n"
        f"The code at `{ref}` needs another look.\n\n*(important, regression — new here.)*\n\n"
        for n, (ref, quote) in enumerate(findings, start=1)
    ]
    return "# Deep Review: paths\n\n## Important Issues\n\n" + "".join(items)


def verify(capsys, tmp_path: Path, repo, text: str, name: str = "review.md") -> list[dict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    code = main(["verify", str(path), "--repo", str(repo.path), "--base", "main", "--head", "pr", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    findings = json.loads(out)["findings"]
    assert isinstance(findings, list)
    return findings


def assert_not_read(finding: dict, reason: str) -> None:
    [quote] = finding["quotes"]
    assert quote["status"] == "unknown"
    assert reason in quote["reason"]
    assert quote["span"] is None and quote["matched"] == []
    assert "unsafe-path" in finding["flags"]
    assert [p["status"] for p in finding["paths"]] == ["unsafe"]
    assert reason in finding["paths"][0]["reason"]
    assert [c["status"] for c in finding["lines"]] == ["unknown"]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A Go file next to the repository folder that holds the quoted line."""
    path = tmp_path / "outside.go"
    path.write_text(f"package outside\n\n{SECRET}\n\treturn nil\n}}\n")
    return path


# -- paths that leave the repository ---------------------------------------------------------


def test_dotdot_path_is_never_read(capsys, tmp_path, make_repo, outside):
    repo = pr_repo(make_repo, {"README.md": "# app\n"})
    assert (repo.path / "../outside.go").read_text().splitlines()[2] == SECRET
    found = verify(capsys, tmp_path, repo, review(("../outside.go:3", SECRET), ("app/../../outside.go:3", SECRET)))
    for finding in found:
        assert_not_read(finding, "contains '..'")


def test_absolute_path_in_claims_json_is_never_read(capsys, tmp_path, make_repo, outside):
    repo = pr_repo(make_repo, {"README.md": "# app\n"})
    claims = {"reviewvet_claims": 1, "findings": [
        {"id": "I1", "title": "outside", "locations": [{"path": str(outside), "start": 3}],
         "quotes": [{"text": SECRET, "language": "go"}]},
        {"id": "I2", "title": "passwd", "locations": [{"path": "/etc/passwd", "start": 1}],
         "quotes": [{"text": "root:x:0:0:root:/root:/bin/bash"}]},
    ]}
    found = verify(capsys, tmp_path, repo, json.dumps(claims), "claims.json")
    assert [f["id"] for f in found] == ["I1", "I2"]
    for finding in found:
        assert_not_read(finding, "is an absolute path")


def test_absolute_path_in_markdown_is_reported_unsafe(capsys, tmp_path, make_repo, outside):
    repo = pr_repo(make_repo, {"README.md": "# app\n"})
    found = verify(capsys, tmp_path, repo, review((f"{outside}:3", SECRET), ("/etc/passwd:1", "root:x:0:0:root"),
                                                    ("~/outside.go:3", SECRET)))
    assert [f["references"][0]["path"] for f in found] == [str(outside), "/etc/passwd", "~/outside.go"]
    for finding in found:
        assert_not_read(finding, "is an absolute path")


def test_path_through_a_symlink_out_of_the_repository_is_never_read(capsys, tmp_path, make_repo, outside):
    repo = make_repo()
    repo.commit("app: add the worker pool", {"app/app.go": APP_GO}, date="2026-04-01T08:00:00+00:00")
    repo.symlink("up", "..")  # the folder that holds outside.go
    repo.symlink("link", "/tmp")
    repo.commit("add links", date="2026-04-02T08:00:00+00:00")
    repo.branch("pr")
    assert repo.run("ls-tree", "pr", "up").startswith("120000")
    assert SECRET in (repo.path / "up" / "outside.go").read_text()  # following the link would find it
    found = verify(capsys, tmp_path, repo, review(("up/outside.go:3", SECRET), ("link/x.go:1", SECRET)))
    assert_not_read(found[0], "leads through the symbolic link 'up'")
    assert_not_read(found[1], "leads through the symbolic link 'link'")


# -- files that cannot be read as text --------------------------------------------------------


def test_binary_file_gives_unknown_with_the_reason(capsys, tmp_path, make_repo):
    blob = b"package gen\n\x00\x01\x02\xff\x00" + bytes(range(256)) * 4
    repo = pr_repo(make_repo, {"gen/blob.go": blob})
    [finding] = verify(capsys, tmp_path, repo, review(("gen/blob.go:1", "package gen")))
    [quote] = finding["quotes"]
    assert quote["status"] == "unknown"
    assert quote["reason"] == "'gen/blob.go' is a binary file"
    assert "unknown" in finding["flags"]
    assert finding["lines"][0]["status"] == "unknown"
    assert "binary" in finding["lines"][0]["reason"]


def test_non_utf8_file_gives_unknown_with_the_reason(capsys, tmp_path, make_repo):
    latin = "package legacy\n\n// Brew makes a caf\u00e9 cr\u00e8me.\nfunc Brew() {}\n".encode("latin-1")
    repo = pr_repo(make_repo, {"legacy/brew.go": latin})
    [finding] = verify(capsys, tmp_path, repo, review(("legacy/brew.go:3", "// Brew makes a caf\u00e9 cr\u00e8me.")))
    [quote] = finding["quotes"]
    assert quote["status"] == "unknown"
    assert quote["reason"] == f"'legacy/brew.go' is not UTF-8 (byte {latin.index(0xE9)})"
    assert "unknown" in finding["flags"]


def test_file_over_a_snapshot_size_limit_is_not_read(make_repo):
    table = "package gen\n\nvar table = []int{\n" + "".join(f"\t{i},\n" for i in range(400)) + "}\n"
    repo = pr_repo(make_repo, {"gen/table.go": table})
    size = len(table.encode())
    git, head = Git(repo.path), repo.rev("pr")
    assert isinstance(Snapshot(git, head).file("gen/table.go"), FileText)  # readable under the default limit
    small = Snapshot(git, head, max_bytes=1024)
    assert small.file("gen/table.go") == Unreadable("gen/table.go", f"is {size} bytes, over the 1024-byte limit")

    finding = parse_review(review(("gen/table.go:3", "var table = []int{"))).findings[0]
    pair = RevisionPair(Workspace(repo.path), small, Snapshot(git, repo.rev("main"), max_bytes=1024))
    verdict = check_finding(CheckContext(pair), finding)
    [quote] = verdict.quotes
    assert quote.status == "unknown"
    assert quote.reason == f"'gen/table.go' is {size} bytes, over the 1024-byte limit"
    assert verdict.lines[0].status == "unknown"


def test_file_over_the_default_size_limit_gives_unknown(capsys, tmp_path, make_repo):
    line = "\t0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,\n"
    big = "package gen\n\nvar blob = []byte{\n" + line * (DEFAULT_MAX_FILE_BYTES // len(line) + 1) + "}\n"
    repo = pr_repo(make_repo, {"README.md": "# app\n"}, {"gen/blob.go": big})
    [finding] = verify(capsys, tmp_path, repo, review(("gen/blob.go:3", "var blob = []byte{")))
    [quote] = finding["quotes"]
    assert quote["status"] == "unknown"
    assert quote["reason"] == f"'gen/blob.go' is {len(big)} bytes, over the {DEFAULT_MAX_FILE_BYTES}-byte limit"


# -- resolution -------------------------------------------------------------------------------


def test_module_root_relative_path_resolves_as_suffix(capsys, tmp_path, make_repo):
    main_go = "package main\n\nimport \"example.com/svc/app\"\n\nfunc main() {\n\tapp.Run(4)\n}\n"
    repo = pr_repo(make_repo, {"svc/go.mod": "module example.com/svc\n", "svc/cmd/server/main.go": main_go})
    [finding] = verify(capsys, tmp_path, repo, review(("cmd/server/main.go:5-7", "func main() {\n\tapp.Run(4)\n}")))
    [path] = finding["paths"]
    assert path["status"] == "suffix"
    assert path["path"] == "svc/cmd/server/main.go"
    assert "under a module root" in path["reason"]
    [quote] = finding["quotes"]
    assert quote["status"] == "exact"
    assert (quote["span"]["path"], quote["span"]["start"], quote["span"]["end"]) == ("svc/cmd/server/main.go", 5, 7)
    assert finding["lines"][0]["status"] == "exact"
    assert [f for f in finding["flags"] if f != "mislabelled-provenance"] == []  # provenance is not the point here


def test_ambiguous_basename_lists_both_candidates(capsys, tmp_path, make_repo):
    alpha = "package alpha\n\n// Start launches alpha.\nfunc Start() error { return nil }\n"
    beta = "package beta\n\n// Start launches beta and retries forever.\nfunc Start() error { return retry() }\n"
    repo = pr_repo(make_repo, {"svc/alpha/service.go": alpha, "svc/beta/service.go": beta})
    [finding] = verify(capsys, tmp_path, repo, review(("service.go:4", "func Start() error { return retry() }")))
    [path] = finding["paths"]
    assert path["status"] == "ambiguous"
    assert path["path"] is None
    assert path["candidates"] == ["svc/alpha/service.go", "svc/beta/service.go"]
    assert "matches 2 files" in path["reason"]
    assert "ambiguous-path" in finding["flags"]
    assert finding["quotes"][0]["span"]["path"] == "svc/beta/service.go"  # the candidates are searched


def test_path_only_at_the_merge_base_is_base_only(capsys, tmp_path, make_repo):
    old = "package tools\n\n// Legacy converts old records.\nfunc Legacy(r Record) Record {\n\treturn r.upgrade()\n}\n"
    repo = pr_repo(make_repo, {"tools/legacy.go": old}, {"tools/legacy.go": None})
    quote = "func Legacy(r Record) Record {\n\treturn r.upgrade()\n}"
    [finding] = verify(capsys, tmp_path, repo, review(("tools/legacy.go:4-6", quote)))
    [path] = finding["paths"]
    assert path["status"] == "base-only"
    assert path["path"] == "tools/legacy.go"
    assert "exists at the merge base but not at head" in path["reason"]
    [q] = finding["quotes"]
    assert q["status"] == "base-only"
    assert q["span"]["side"] == "base" and q["span"]["rev"] == repo.rev("main")
    assert (q["span"]["start"], q["span"]["end"]) == (4, 6)
    assert finding["lines"][0]["status"] == "base-only"
    assert "quote-removed" in finding["flags"] and "missing-file" not in finding["flags"]
