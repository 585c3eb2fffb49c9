"""Copy is not move: lines a pull request copied (the original still at head) are new where
they were pasted, although ``git blame -M -C`` credits them to the commit of the original.

A moved block (the original deleted) and a re-indented one keep their old commit. Every test
builds its own history (fixed dates, ``main`` and a PR branch ``pr``) and runs the real CLI.
"""

from __future__ import annotations

from reviewvet.git import parse_diff_hunks

from .test_provenance import GO_MOD, blame, blame_one, shas

WAIT = """\
package m

func Wait(ctx context.Context, c Client, key Key) error {
\tvar vm VM
\tif err := c.Get(ctx, key, &vm); err != nil {
\t\tif errors.IsNotFound(err) {
\t\t\treturn fmt.Errorf("machine %q was deleted while waiting", key.Name)
\t\t}
\t\treturn err
\t}
\treturn nil
}
"""
BLOCK = WAIT.splitlines(keepends=True)[4:10]  # the Get-and-check block, lines 5-10
WATCH = ("\nfunc Watch(ctx context.Context, c Client, key Key) error {\n\tvar vm VM\n"
         "\tif ctx.Err() != nil {\n\t\treturn ctx.Err()\n\t}\n" + "".join(BLOCK) + "\treturn nil\n}\n")


def base_repo(make_repo, files: dict[str, str]):
    repo = make_repo()
    old = repo.commit("wait: add", {"go.mod": GO_MOD, **files}, date="2025-04-01T09:00:00+00:00")
    repo.branch("pr")
    repo.checkout("pr")
    return repo, old


def test_a_block_copied_within_a_file_is_new_where_it_was_pasted(make_repo, capsys) -> None:
    repo, old = base_repo(make_repo, {"a.go": WAIT})
    copy = repo.commit("watch: add", {"a.go": WAIT + WATCH})
    # Watch is lines 14-26 at head; the copied block is 19-24, the original (5-10) is still there
    pasted, whole, original = blame(capsys, repo, "a.go:19-24", "a.go:14-26", "a.go:5-10")
    assert pasted["status"] == "regression" and shas(pasted["pr_commits"]) == [copy]
    assert pasted["new_lines"] == list(range(19, 25))
    assert whole["status"] == "regression" and whole["old_commits"] == []
    assert original["status"] == "gap" and shas(original["old_commits"]) == [old]


def test_a_block_moved_within_a_file_keeps_its_old_commit(make_repo, capsys) -> None:
    repo, old = base_repo(make_repo, {"a.go": WAIT})
    head = WAIT.replace("".join(BLOCK), "") + WATCH  # Wait loses the block, Watch gets it
    repo.commit("wait: the check moves to Watch", {"a.go": head})
    start = head.splitlines().index(BLOCK[0].rstrip("\n")) + 1
    moved = blame_one(capsys, repo, f"a.go:{start}-{start + 5}")
    assert moved["status"] == "gap" and shas(moved["old_commits"]) == [old]


def test_a_reindented_block_keeps_its_old_commit(make_repo, capsys) -> None:
    repo, old = base_repo(make_repo, {"a.go": WAIT})
    wrapped = "\tif key.Name != \"\" {\n" + "".join("\t" + line for line in BLOCK) + "\t}\n"
    repo.commit("wait: only named machines", {"a.go": WAIT.replace("".join(BLOCK), wrapped)})
    indented = blame_one(capsys, repo, "a.go:6-11")
    assert indented["status"] == "gap" and shas(indented["old_commits"]) == [old]
    assert blame_one(capsys, repo, "a.go:5")["status"] == "regression"  # the new if


def test_a_block_copied_from_another_file_is_new(make_repo, capsys) -> None:
    repo, old = base_repo(make_repo, {"a.go": WAIT, "b.go": "package m\n"})
    # -C looks for copies in files the same commit changed: touch a.go too, keeping the block
    copy = repo.commit("watch: add", {"a.go": WAIT.replace("var vm VM", "var vm VM // one machine"),
                                      "b.go": "package m\n" + WATCH})
    pasted = blame_one(capsys, repo, "b.go:8-13")
    assert pasted["status"] == "regression" and shas(pasted["pr_commits"]) == [copy]
    original = blame_one(capsys, repo, "a.go:5-10")
    assert original["status"] == "gap" and shas(original["old_commits"]) == [old]
    naive = blame_one(capsys, repo, "b.go:8-13", options=("--no-move-detection",))
    assert naive["status"] == "regression"


def test_a_block_moved_to_another_file_keeps_its_old_commit(make_repo, capsys) -> None:
    repo, old = base_repo(make_repo, {"a.go": WAIT, "b.go": "package m\n"})
    repo.commit("watch: take the check", {"a.go": WAIT.replace("".join(BLOCK), ""), "b.go": "package m\n" + WATCH})
    moved = blame_one(capsys, repo, "b.go:8-13")
    assert moved["status"] == "gap" and shas(moved["old_commits"]) == [old]


def test_a_copy_from_a_branch_older_than_the_merge_base(make_repo, capsys) -> None:
    """The blame's boundary is the side branch's fork point, not the merge base: its line
    numbers are mapped to head by a diff from that commit."""
    repo, old = base_repo(make_repo, {"a.go": WAIT})
    repo.checkout("main")
    repo.branch("feat")
    shifted = WAIT.replace("package m\n", "package m\n\n// Machines.\n// More.\n")
    repo.commit("wait: document", {"a.go": shifted}, date="2025-05-01T09:00:00+00:00")
    repo.run("branch", "-f", "pr", "main")
    repo.checkout("feat")
    copy = repo.commit("watch: add", {"a.go": WAIT + WATCH})
    repo.checkout("pr")
    repo.merge("feat", "merge feat")
    head = (repo.path / "a.go").read_text()
    assert head == shifted + WATCH
    pasted = blame_one(capsys, repo, "a.go:22-27")  # Watch's copy of the block, after the 3 new lines
    assert [line.strip() for line in head.splitlines()[21:27]] == [line.strip() for line in BLOCK]
    assert pasted["status"] == "regression" and shas(pasted["pr_commits"]) == [copy]
    original = blame_one(capsys, repo, "a.go:8-13")
    assert original["status"] == "gap" and shas(original["old_commits"]) == [old]


def test_diff_hunks_map_old_lines_to_new_ones() -> None:
    diff = ("diff --git a/a.go b/a.go\n--- a/a.go\n+++ b/a.go\n"
            "@@ -2,0 +3,2 @@\n+x\n+y\n@@ -5,2 +7 @@\n-p\n-q\n+r\n"
            "diff --git a/gone.go b/gone.go\ndeleted file mode 100644\n--- a/gone.go\n+++ /dev/null\n"
            "@@ -1,2 +0,0 @@\n-a\n-b\n")
    changes = parse_diff_hunks(diff)
    a, gone = changes["a.go"], changes["gone.go"]
    assert a.hunks == ((2, 0, 3, 2), (5, 2, 7, 1))
    assert [a.new_line(n) for n in (1, 2, 3, 4, 5, 6, 7, 8)] == [1, 2, 5, 6, None, None, 8, 9]
    assert (gone.path, gone.old_path, gone.added, gone.deleted) == ("", "gone.go", (), ((1, 2),))
    assert gone.new_line(1) is None and gone.new_line(5) is None
