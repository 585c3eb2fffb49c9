"""The GitHub Action: action.yml's inputs reach action/run.sh, and the script, run with the
environment Actions would give it, verifies the review once, prints annotations, writes the job
summary and its outputs, and posts one pull-request comment that the next round edits.

GitHub's REST API is played by a small server on 127.0.0.1 that keeps comments the way GitHub
does (list with pages and a Link header, create, edit) and checks the token on every request.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REVIEWS, ROOT

ACTION = ROOT / "action.yml"
SCRIPT = ROOT / "action" / "run.sh"
TOKEN = "ghs_test-token"
REPOSITORY = "example-org/beacon"
PAGE = 2  # comments per page: small, so that finding the earlier comment follows the Link header


@dataclass
class FakeGitHub:
    """Issue comments of one pull request, and every request made."""

    comments: list[dict[str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    refuse: int | None = None  # answer every request with this status
    url: str = ""

    def handle(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, Any, dict[str, str]]:
        self.requests.append((method, path))
        if self.refuse:
            return self.refuse, {"message": "Resource not accessible by integration"}, {}
        listing = re.fullmatch(rf"/repos/{REPOSITORY}/issues/(\d+)/comments(?:\?(.*))?", path)
        if listing and method == "GET":
            page = int(dict(p.split("=") for p in (listing[2] or "").split("&") if "=" in p).get("page", "1"))
            chunk = self.comments[(page - 1) * PAGE:page * PAGE]
            following = f'<{self.url}{path.split("?")[0]}?per_page=100&page={page + 1}>; rel="next"'
            return 200, chunk, {"Link": following} if page * PAGE < len(self.comments) else {}
        if listing and method == "POST" and body is not None:
            comment = {"id": 1000 + len(self.comments), "body": body["body"], "user": {"login": "github-actions"}}
            self.comments.append(comment)
            return 201, comment, {}
        edit = re.fullmatch(rf"/repos/{REPOSITORY}/issues/comments/(\d+)", path)
        if edit and method == "PATCH" and body is not None:
            for comment in self.comments:
                if comment["id"] == int(edit[1]):
                    comment["body"] = body["body"]
                    return 200, comment, {}
        return 404, {"message": "Not Found"}, {}


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    state = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, reply, headers = 401, {"message": "Bad credentials"}, {}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                status, reply, headers = state.handle(method, self.path, body)
            data = json.dumps(reply).encode("utf-8")
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 (http.server's names)
            self._answer("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._answer("POST")

        def do_PATCH(self) -> None:  # noqa: N802
            self._answer("PATCH")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def run_action(demo_repo, tmp_path: Path, github: FakeGitHub, *, event: bool = True, **inputs: str) -> Run:
    """action/run.sh in the demo repository, with the environment of a pull_request job."""
    runner = tmp_path / "runner"
    runner.mkdir(exist_ok=True)
    event_path = runner / "event.json"
    event_path.write_text(json.dumps({"pull_request": {
        "number": 41, "head": {"sha": demo_repo.head_sha}, "base": {"sha": demo_repo.base_sha}}}), encoding="utf-8")
    outputs, summary = runner / "output", runner / "summary.md"
    for f in (outputs, summary):
        f.write_text("", encoding="utf-8")
    bin_dir = str(Path(sys.executable).parent)
    env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ.get("HOME", str(tmp_path)),
           "REVIEWVET_CACHE_DIR": os.environ.get("REVIEWVET_CACHE_DIR", str(tmp_path / "cache")),
           "GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_API_URL": github.url,
           "GITHUB_SHA": demo_repo.head_sha, "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary),
           "RUNNER_TEMP": str(runner), "GITHUB_EVENT_NAME": "pull_request" if event else "push",
           "REVIEWVET": str(Path(bin_dir) / "reviewvet"), "REVIEWVET_PYTHON": sys.executable,
           "INPUT_REVIEW": str(REVIEWS / "demo-review.md"), "INPUT_TOKEN": TOKEN}
    if event:
        env["GITHUB_EVENT_PATH"] = str(event_path)
    env |= {f"INPUT_{name.upper()}": value for name, value in inputs.items()}
    proc = subprocess.run(["bash", str(SCRIPT)], cwd=demo_repo.path, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    written = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines() if "=" in line)
    return Run(proc.returncode, proc.stdout, proc.stderr, written, summary.read_text(encoding="utf-8"))


# -- action.yml and the script agree ---------------------------------------------------------------


def test_every_input_reaches_the_script_under_the_name_it_reads() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    declared = set(action["inputs"])
    text = ACTION.read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([a-z-]+)", text)) <= declared
    (step,) = [s for s in action["runs"]["steps"] if s.get("id") == "verify"]
    script = SCRIPT.read_text(encoding="utf-8")
    for name in step["env"]:
        assert re.search(rf"\${{?{name}\b", script), f"run.sh never reads {name}"
    read = set(re.findall(r"\$\{(INPUT_[A-Z_]+)", script))
    assert read <= set(step["env"]), f"run.sh reads inputs action.yml does not pass: {read - set(step['env'])}"
    assert action["runs"]["using"] == "composite"
    assert {o["value"].split(".")[1] for o in action["outputs"].values()} == {"verify"}


def test_the_steps_that_follow_run_even_when_fail_on_fails_the_verify_step() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    (upload,) = [s for s in action["runs"]["steps"] if "upload-sarif" in s.get("uses", "")]
    assert upload["if"].startswith("always()")


# -- the script, as a pull_request job runs it ---------------------------------------------------------


def test_a_round_posts_one_comment_and_the_next_round_edits_it(demo_repo, tmp_path: Path,
                                                                github: FakeGitHub) -> None:
    github.comments += [{"id": 7, "body": "LGTM from a human"}, {"id": 8, "body": "<!-- other-bot -->\nhi"},
                        {"id": 9, "body": "a question"}]
    first = run_action(demo_repo, tmp_path, github)
    assert first.code == 0, first.stderr
    assert [m for m, _ in github.requests].count("POST") == 1
    posted = github.comments[-1]
    assert posted["body"].splitlines()[0].startswith("<!-- reviewvet-action: ")
    assert "<!-- reviewvet -->" in posted["body"]

    github.requests.clear()
    second = run_action(demo_repo, tmp_path, github)
    assert second.code == 0, second.stderr
    methods = [m for m, _ in github.requests]
    assert "POST" not in methods and methods.count("PATCH") == 1
    assert sum(1 for c in github.comments if "reviewvet-action" in c["body"]) == 1
    assert [c["body"] for c in github.comments[:3]] == ["LGTM from a human", "<!-- other-bot -->\nhi", "a question"]
    assert any("page=2" in path for _, path in github.requests)  # the earlier comment was on page 2


def test_outputs_summary_annotations_and_sarif(demo_repo, tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(demo_repo, tmp_path, github)
    assert run.code == 0, run.stderr
    assert run.outputs["exit-code"] == "0"
    sarif_files = list(Path(run.outputs["sarif"]).glob("*.sarif"))
    assert len(sarif_files) == 1
    log = json.loads(sarif_files[0].read_text(encoding="utf-8"))
    assert log["runs"][0]["versionControlProvenance"][0]["revisionId"] == demo_repo.head_sha
    assert run.summary.startswith("<!-- reviewvet -->")
    assert Path(run.outputs["comment"]).read_text(encoding="utf-8") in run.summary
    annotations = [line for line in run.stdout.splitlines() if re.match(r"::(error|warning|notice) ", line)]
    assert sum("file=" in line for line in annotations) >= 10  # workflow commands Actions acts on


def test_fail_on_fails_the_step_after_everything_is_written(demo_repo, tmp_path: Path,
                                                            github: FakeGitHub) -> None:
    run = run_action(demo_repo, tmp_path, github, fail_on="wrong-line")
    assert run.code == 1
    assert run.outputs["exit-code"] == "1" and run.outputs["sarif"]
    assert "--fail-on: raised by 1 finding" in run.stderr
    assert len(github.comments) == 1 and run.summary


def test_without_a_pull_request_nothing_is_posted(demo_repo, tmp_path: Path, github: FakeGitHub) -> None:
    run = run_action(demo_repo, tmp_path, github, event=False, head=demo_repo.head_sha, base=demo_repo.base_sha)
    assert run.code == 0, run.stderr
    assert github.requests == [] and run.summary
    assert "::notice title=reviewvet::not a pull_request event" in run.stdout


def test_a_refused_comment_warns_and_does_not_fail_the_job(demo_repo, tmp_path: Path, github: FakeGitHub) -> None:
    github.refuse = 403  # a pull request from a fork: the token may not write
    run = run_action(demo_repo, tmp_path, github)
    assert run.code == 0
    assert "::warning title=reviewvet::could not post the pull-request comment" in run.stdout
    assert "403" in run.stderr


@pytest.mark.parametrize(("inputs", "message"), [
    ({"base": "0" * 40}, "is not in the checkout: use actions/checkout with fetch-depth: 0"),
    ({"review": "no/such/review.md"}, "review 'no/such/review.md' does not exist"),
    ({"review": "  \n "}, "no review given"),
])
def test_bad_inputs_stop_with_an_error_annotation(demo_repo, tmp_path: Path, github: FakeGitHub,
                                                  inputs: dict[str, str], message: str) -> None:
    run = run_action(demo_repo, tmp_path, github, **inputs)
    assert run.code == 2
    assert "::error title=reviewvet::" in run.stdout and message in run.stdout
    assert github.requests == []


def test_several_reviews_get_a_comment_and_a_sarif_category_each(demo_repo, tmp_path: Path,
                                                                github: FakeGitHub) -> None:
    second = tmp_path / "second round.md"
    second.write_text((REVIEWS / "demo-review.md").read_text(encoding="utf-8"), encoding="utf-8")
    run = run_action(demo_repo, tmp_path, github, review=f"{REVIEWS / 'demo-review.md'}\n{second}\n")
    assert run.code == 0, run.stderr
    assert len(github.comments) == 2
    logs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(Path(run.outputs["sarif"]).glob("*.sarif"))]
    categories = {log["runs"][0]["automationDetails"]["id"] for log in logs}
    assert len(categories) == 2 and all(c.startswith("reviewvet/41/") for c in categories)
