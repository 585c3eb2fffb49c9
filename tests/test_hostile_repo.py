"""A hostile repository runs nothing and changes no verdict.

The demo repository, its pull request rewritten as signed commits (the reviewed commits left
unreachable, as after a force-push, so `--head auto` and the history reads run), is copied
twice: a clean copy, and one armed by ``fixtures/hostile.py`` with hooks, fsmonitor, pager,
textconv, external diff, required filters, gpg programs, includes, attributes in
``info/attributes`` and an uncommitted ``.gitattributes``, replace refs, a graft, and every
presentation setting away from git's default. Every reviewvet command that reads git gives
the same answer on both, no hostile program runs, and the repository is left byte for byte
as it was. The user's environment is hostile too during the hostile runs (``GIT_DIFF_OPTS``,
``GIT_EXTERNAL_DIFF``, ``GIT_PAGER``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pty
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from demo import HEAD_BRANCH, DemoRepo
from hostile import Armory, arm, git, ran, reset, sign_commits

from reviewvet.cli import main
from reviewvet.git import Git

ROOT = Path(__file__).resolve().parent.parent
REVIEW = str(ROOT / "fixtures" / "reviews" / "demo-review.md")

COMMANDS: dict[str, list[str]] = {
    "verify": ["verify", REVIEW, "--base", "main", "--head", HEAD_BRANCH, "--format", "json"],
    "verify --head auto": ["verify", REVIEW, "--head", "auto", "--format", "json"],
    "blame": ["blame", "--base", "main", "--head", HEAD_BRANCH, "--json", "agent/internal/retry/policy.go:1-60",
              "agent/internal/probe/probe.go:46-48", "scripts/run-agent.sh:32-35", "scripts/run-agent.sh:22-30",
              "README.md:1-10"],
    "index": ["index", "--rev", HEAD_BRANCH, "--json", "--no-cache"],
    "symbols": ["symbols", "--rev", HEAD_BRANCH, "--json", "--no-cache"],
    "callers": ["callers", "--rev", HEAD_BRANCH, "--json", "--no-cache", "Policy.ShouldRetry"],
    "callees": ["callees", "--rev", HEAD_BRANCH, "--json", "--no-cache", "Prober.Send"],
}
AUDIT_QUERIES = (
    "SELECT head_named, head_used, merge_base, status, reason, warnings FROM reviews",
    "SELECT * EXCLUDE (review_id) FROM findings ORDER BY finding_key",
    "SELECT * EXCLUDE (review_id) FROM claims ORDER BY ALL",
    "SELECT * EXCLUDE (review_id) FROM rule_hits ORDER BY ALL",
)


@dataclass(frozen=True)
class Repos:
    origin: Path  # the signed demo repository both copies come from
    clean: Path
    hostile: Path
    armory: Armory
    signed: dict[str, str]  # reviewed commit -> its signed rewrite


@pytest.fixture(scope="module")
def repos(demo_repo: DemoRepo, tmp_path_factory: pytest.TempPathFactory) -> Repos:
    root = tmp_path_factory.mktemp("hostile")
    origin = root / "origin"
    shutil.copytree(demo_repo.path, origin, symlinks=True)
    signed = sign_commits(origin, HEAD_BRANCH, base="main")
    git(origin, "update-ref", "refs/pull/41/head", HEAD_BRANCH)
    shutil.copytree(origin, root / "clean", symlinks=True)
    shutil.copytree(origin, root / "hostile", symlinks=True)
    return Repos(origin, root / "clean", root / "hostile", arm(root / "hostile", root / "armory"), signed)


def hostile_user(patch: pytest.MonkeyPatch, armory: Armory) -> None:
    """The user's environment asks git for more context, an external diff and a pager."""
    patch.setenv("GIT_DIFF_OPTS", "--unified=20")
    patch.setenv("GIT_EXTERNAL_DIFF", str(armory.programs / "diff-external"))
    patch.setenv("GIT_PAGER", str(armory.programs / "pager"))


def snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    """Every path under ``root`` (``.git`` included): mode, mtime and, for files, a content hash."""
    entries = {}
    for folder, dirs, files in os.walk(root):
        for name in [".", *dirs, *files]:
            path = Path(folder, name)
            st = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() and not path.is_symlink() else ""
            entries[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, digest)
    return entries


def run(capsys: pytest.CaptureFixture[str], repo: Path, argv: list[str]) -> Any:
    code = main([*argv, "--repo", str(repo)])
    out, err = capsys.readouterr()
    assert code in (0, 1), f"{argv[0]} on {repo.name}: {err}"
    return normalised(json.loads(out), repo)


def normalised(data: Any, repo: Path) -> Any:
    """The answer without where the repository is and how long it took."""
    if isinstance(data, dict):
        return {k: normalised(v, repo) for k, v in data.items() if k not in ("timings", "seconds")}
    if isinstance(data, list):
        return [normalised(v, repo) for v in data]
    return data.replace(str(repo), "<repo>") if isinstance(data, str) else data


def test_every_command_answers_as_on_a_clean_copy_and_runs_nothing(repos, demo_repo, capsys, monkeypatch) -> None:
    before = snapshot(repos.hostile)
    reset(repos.armory)  # only this test's commands count
    clean = {name: run(capsys, repos.clean, argv) for name, argv in COMMANDS.items()}
    with monkeypatch.context() as user:
        hostile_user(user, repos.armory)
        hostile = {name: run(capsys, repos.hostile, argv) for name, argv in COMMANDS.items()}

    assert ran(repos.armory) == []
    assert snapshot(repos.hostile) == before
    for name in COMMANDS:
        assert hostile[name] == clean[name], name
    # the answers are about the signed history (read with git log for --head auto), and not empty
    tip = git(repos.origin, "rev-parse", HEAD_BRANCH).strip()
    assert clean["verify"]["revisions"]["head"]["sha"] == tip == repos.signed[demo_repo.head_sha]
    auto = clean["verify --head auto"]["revisions"]
    assert auto["head"]["sha"] == demo_repo.head_sha and auto["review_head"]["status"] == "unreachable"
    assert auto["review_head"]["candidates"][0]["sha"] == tip
    assert auto["review_head"]["candidates"][0]["refs"] == f"refs/pull/41/head, {HEAD_BRANCH}"
    verdicts = [f["verdict"]["grade"] for f in clean["verify --head auto"]["findings"]]
    assert verdicts.count("confirmed") > 5
    assert [loc["status"] for loc in clean["blame"]["locations"]] == ["mixed", "regression", "regression", "widened",
                                                                         "gap"]
    assert clean["symbols"] and clean["callers"] and clean["callees"]


def test_audit_ingest_stores_what_it_stores_for_a_clean_copy(repos, capsys, tmp_path, monkeypatch) -> None:
    before = snapshot(repos.hostile)
    reset(repos.armory)  # only this test's commands count
    mapping = tmp_path / "map.json"  # the review's own head is unreachable: ingest is told which to use
    mapping.write_text(json.dumps({"demo-review.md": {"head": HEAD_BRANCH, "base": "main"}}))
    stored = {}
    for repo in (repos.clean, repos.hostile):
        db = str(tmp_path / f"{repo.name}.duckdb")
        with monkeypatch.context() as user:
            if repo == repos.hostile:
                hostile_user(user, repos.armory)
            code = main(["audit", "ingest", REVIEW, "--repo", str(repo), "--db", db, "--map", str(mapping)])
            assert code == 0, capsys.readouterr().err
        capsys.readouterr()
        rows = []
        for query in AUDIT_QUERIES:
            assert main(["audit", "sql", "--csv", query, "--db", db]) == 0
            rows.append(capsys.readouterr().out.replace(str(repo), "<repo>"))
        stored[repo.name] = rows

    assert ran(repos.armory) == []
    assert snapshot(repos.hostile) == before
    assert stored["hostile"] == stored["clean"]
    assert ",verified," in stored["clean"][0] and ",confirmed," in stored["clean"][1]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="giving the repository to another user needs root")
def test_a_repository_of_another_user_is_refused_with_the_reason(repos, capsys, tmp_path, monkeypatch) -> None:
    theirs = tmp_path / "theirs" / "hostile"
    shutil.copytree(repos.hostile, theirs, symlinks=True)
    subprocess.run(["chown", "-R", "4242:4242", str(theirs)], check=True)
    monkeypatch.delenv("SUDO_UID", raising=False)  # git trusts the sudo caller's repositories
    reset(repos.armory)

    code = main(["verify", REVIEW, "--repo", str(theirs), "--head", HEAD_BRANCH])
    err = capsys.readouterr().err

    assert code == 2
    assert err.count("\n") == 1 and repr(str(theirs)) in err
    assert "another user" in err and "dubious ownership" in err
    assert f"git config --global --add safe.directory {theirs}" in err
    assert ran(repos.armory) == []


def test_the_hostile_repository_does_run_its_programs_under_plain_git(repos, tmp_path) -> None:
    """The fixture is armed: plain git, on another armed copy, runs every kind of program."""
    copy = tmp_path / "armed" / "hostile"  # the conditional include matches this path too
    shutil.copytree(repos.origin, copy, symlinks=True)
    armory = arm(copy, tmp_path / "armory")

    def fired(*args: str) -> list[str]:
        reset(armory)
        git(copy, *args)
        return ran(armory)

    assert fired("log", "-1", "--format=%H", HEAD_BRANCH) == ["gpg"]  # from the included configuration
    # textconv converts to the work tree's form first: the smudge filter runs too
    textconv = ["filter-smudge", "textconv"]
    assert fired("blame", HEAD_BRANCH, "--", "agent/internal/retry/policy.go") == textconv  # from info/attributes
    assert fired("blame", HEAD_BRANCH, "--", "scripts/run-agent.sh") == textconv  # from the work tree's .gitattributes
    assert "diff-command" in fired("diff", "main", HEAD_BRANCH, "--", "agent/")  # so does an external diff
    assert "diff-external" in fired("diff", "main", HEAD_BRANCH, "--", "README.md")
    assert "fsmonitor" in fired("status")
    assert "hooks-pre-commit" in fired("-c", "user.name=A", "-c", "user.email=a@example.com", "commit", "-qm", "armed",
                                          "--allow-empty")
    (copy / "scripts" / "lib.sh").unlink()
    assert "filter-smudge" in fired("checkout", "--", "scripts/lib.sh")
    reset(armory)
    _under_a_terminal(copy, "show", "-s", "HEAD")
    assert ran(armory) == ["pager"]  # set by the conditional include


def _under_a_terminal(repo: Path, *args: str) -> None:
    """Run git with a terminal as its output, so that it starts its pager."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1", TERM="dumb")
    leader, follower = pty.openpty()
    try:
        subprocess.run(["git", "-C", str(repo), *args], stdout=follower, stderr=subprocess.DEVNULL, env=env,
                       check=True, timeout=30)
    finally:
        os.close(follower)
        os.close(leader)


# -- one setting at a time: each changes what plain git prints, and nothing reviewvet reads --------------------

FROB_OLD = ("#include <stdio.h>\n\n// Frobs foo heartily\nint frobnitz(int foo)\n{\n    int i;\n"
            "    for(i = 0; i < 10; i++)\n    {\n        printf(\"Your answer is: \");\n"
            "        printf(\"%d\\n\", foo);\n    }\n}\n\nint fact(int n)\n{\n    if(n > 1)\n    {\n"
            "        return fact(n-1) * n;\n    }\n    return 1;\n}\n\nint main(int argc, char **argv)\n{\n"
            "    frobnitz(fact(10));\n}\n")
FROB_NEW = ("#include <stdio.h>\n\nint fib(int n)\n{\n    if(n > 2)\n    {\n        return fib(n-1) + fib(n-2);\n"
            "    }\n    return 1;\n}\n\n// Frobs foo heartily\nint frobnitz(int foo)\n{\n    int i;\n"
            "    for(i = 0; i < 10; i++)\n    {\n        printf(\"%d\\n\", foo);\n    }\n}\n\n"
            "int main(int argc, char **argv)\n{\n    frobnitz(fib(10));\n}\n")
NUMBERED = {name: "".join(f"{name} line {n}\n" for n in range(1, 21)) for name in ("p.txt", "q.txt")}


def diff_repo(make_repo):
    """A change whose hunks depend on the diff algorithm, the indent heuristic, the inter-hunk
    context, the rename limit and the submodule settings."""
    repo = make_repo()

    def commit(message: str, files: dict[str, str | None], submodule_at: str) -> str:
        repo.write(files)
        repo.run("add", "-A")
        repo.run("update-index", "--add", "--cacheinfo", f"160000,{submodule_at},vendor/lib")
        repo.run("commit", "-q", "--no-verify", "-m", message)
        return repo.rev("HEAD")

    base = commit("base", {"frob.c": FROB_OLD, "slider.txt": "1\n2\na\n\nb\n3\n4\n",
                           "gaps.txt": "1\n2\n3\n4\n5\n6\n7\n8\n", **NUMBERED}, "1" * 40)
    head = commit("head", {"frob.c": FROB_NEW, "slider.txt": "1\n2\na\n\nb\na\n\nb\n3\n4\n",
                           "gaps.txt": "1\nX\n3\n4\n5\n6\nY\n8\n", "p.txt": None, "q.txt": None,
                           **{f"{n[0]}2.txt": text + "moved\n" for n, text in NUMBERED.items()}}, "2" * 40)
    return repo, base, head


@pytest.mark.parametrize("setting", ["diff.algorithm=histogram", "diff.indentHeuristic=false",
                                     "diff.interHunkContext=100", "diff.renameLimit=1", "core.bigFileThreshold=1",
                                     "color.diff=always", "diff.noprefix=true", "diff.submodule=log",
                                     "diff.ignoreSubmodules=all"])
def test_a_diff_setting_of_the_repository_changes_no_hunk(make_repo, setting: str) -> None:
    repo, base, head = diff_repo(make_repo)
    plain = git(repo.path, "diff", "-U0", "-M", base, head)
    before = Git(repo.path).changed_lines(base, head)

    repo.run("config", *setting.split("="))

    assert git(repo.path, "diff", "-U0", "-M", base, head) != plain  # git itself answers differently
    assert Git(repo.path).changed_lines(base, head) == before
    assert before["p2.txt"].old_path == "p.txt" and before["gaps.txt"].added == ((2, 2), (7, 7))
    assert before["slider.txt"].added == ((5, 7),) and before["frob.c"].added[0] == (3, 3)
    assert before["vendor/lib"].added == ((1, 1),)


def test_the_users_diff_options_in_the_environment_change_no_hunk(make_repo, monkeypatch) -> None:
    repo, base, head = diff_repo(make_repo)
    before = Git(repo.path).changed_lines(base, head)
    monkeypatch.setenv("GIT_DIFF_OPTS", "--unified=20")  # git lets it win over -U0
    assert Git(repo.path).changed_lines(base, head) == before


def test_log_follow_does_not_add_commits_from_before_a_rename(make_repo) -> None:
    repo = make_repo()
    base = repo.commit("base", {"old.txt": "one\ntwo\n"})
    repo.commit("edit", {"old.txt": "one\n2\n"})
    head = repo.commit("rename", {"old.txt": None, "new.txt": "one\n2\n"})
    plain = git(repo.path, "log", "--format=%s", f"{base}..{head}", "--", "new.txt")

    repo.run("config", "log.follow", "true")

    assert git(repo.path, "log", "--format=%s", f"{base}..{head}", "--", "new.txt") != plain
    assert [e.subject for e in Git(repo.path).commits_touching(base, head, "new.txt")] == ["rename"]


def test_blame_show_root_does_not_change_boundaries(make_repo) -> None:
    """A history with a second root (merged from an unrelated branch): its root commit is a boundary."""
    repo = make_repo()
    base = repo.commit("base", {"a.txt": "one\n"})
    repo.run("checkout", "-q", "--orphan", "vendor")
    repo.run("rm", "-q", "-rf", ".")
    repo.commit("vendor root", {"v.txt": "v1\nv2\n"})
    repo.checkout("main")
    repo.run("merge", "-q", "--allow-unrelated-histories", "-m", "merge vendor", "vendor")
    head = repo.rev("HEAD")
    plain = git(repo.path, "blame", "--porcelain", f"{base}..{head}", "--", "v.txt")
    before = Git(repo.path).blame(f"{base}..{head}", "v.txt", [(1, 2)])

    repo.run("config", "blame.showRoot", "true")

    assert git(repo.path, "blame", "--porcelain", f"{base}..{head}", "--", "v.txt") != plain
    after = Git(repo.path).blame(f"{base}..{head}", "v.txt", [(1, 2)])
    assert after == before and [c.boundary for c in before[1].values()] == [True]
