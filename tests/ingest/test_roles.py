"""Which identifiers a finding asserts exist here, and what it says about the others."""

from __future__ import annotations

import json

import pytest

from reviewvet.ingest.claims import parse_claims
from reviewvet.model.review import Finding
from reviewvet.ingest.parse import parse_review
from reviewvet.ingest.roles import not_a_symbol


def finding(body: str, title: str = "Queue drops items", fix: str = "") -> Finding:
    text = (f"# Deep Review: t\n\n## Important Issues\n\nI1. **{title}** — `internal/queue/q.go:40` [Claude]\n\n"
            f"{body}\n\n" + (f"{fix}\n\n" if fix else "") + "*(important, gap)*\n")
    (found,) = parse_review(text).findings
    return found


def roles(body: str, **kw: str) -> dict[str, str]:
    return dict(finding(body, **kw).identifier_roles)


@pytest.mark.parametrize("body, expected", [
    # asserted: named in the diagnosis as code that is there
    ("`flushPending` drops the last batch when the buffer is full.", {"flushPending": "asserted"}),
    ("`openSegment` is missing a nil check.", {"openSegment": "asserted"}),
    ("`openSegment` is missing a nil check on `cfg`.", {"openSegment": "asserted", "cfg": "asserted"}),
    ("The loop in `drainAll` is never cancelled.", {"drainAll": "asserted"}),
    ("`Close` is not called on the error path.", {"Close": "asserted"}),
    ("`pollOnce` could return `errStale` twice.", {"pollOnce": "asserted", "errStale": "asserted"}),
    # missing: the finding says it is not there
    ("There is no `closeIdle` in the pool.", {"closeIdle": "missing"}),
    ("there is no `bar`.", {"bar": "missing"}),
    ("The worker exits without a `Flush` call.", {"Flush": "missing"}),
    ("The client lacks `Shutdown()`.", {"Shutdown": "missing"}),
    ("`runLoop` never calls `release`.", {"runLoop": "asserted", "release": "missing"}),
    ("`parseFrame` does not exist in the package.", {"parseFrame": "missing"}),
    ("`resetTimer` and `stopTimer` are missing.", {"resetTimer": "missing", "stopTimer": "missing"}),
    ("Nothing guards `q.items`: there is no `sync.Mutex` or `atomic.Bool`.",
     {"q.items": "asserted", "sync.Mutex": "missing", "atomic.Bool": "missing"}),
    ("Missing `Stop` on the drain path.", {"Stop": "missing"}),
    # proposed: the finding recommends it
    ("Use `sync.OnceValue` here.", {"sync.OnceValue": "proposed"}),
    ("The handler should call `releaseLease` before it returns.", {"releaseLease": "proposed"}),
    ("Rename `cnt` to `pendingCount`.", {"cnt": "asserted", "pendingCount": "proposed"}),
    ("Replace `time.After` with `clock.After` so tests can fake it.",
     {"time.After": "asserted", "clock.After": "proposed"}),
    ("Consider an `errgroup.Group` for the fan-out.", {"errgroup.Group": "proposed"}),
    ("`fanOut` leaks goroutines; switch to `errgroup.WithContext`.",
     {"fanOut": "asserted", "errgroup.WithContext": "proposed"}),
    ("It would be simpler to introduce a `drainTimeout` constant.", {"drainTimeout": "proposed"}),
    ("Poll until it exits (or a `waitGone` helper) before restarting.", {"waitGone": "proposed"}),
    # external: from another project
    ("Moby's `LogImageEvent` emits the same event.", {"LogImageEvent": "external"}),
    ("This mirrors upstream `PollUntilContextCancel`.", {"PollUntilContextCancel": "external"}),
    ("`retry.OnError` in k8s.io/client-go handles this case.", {"retry.OnError": "external"}),
    ("As `wait.Backoff` from k8s.io/apimachinery/pkg/util/wait does, cap the steps.",
     {"wait.Backoff": "external"}),
    # not a symbol: headers, variables, keys, files, literals
    ("The `Origin` header is never compared.", {"Origin": "not-a-symbol"}),
    ("`LANTERN_QUEUE_DIR` is read twice.", {"LANTERN_QUEUE_DIR": "not-a-symbol"}),
    ("The `HOME` environment variable may be empty.", {"HOME": "not-a-symbol"}),
    ("The `spec.replicas` field is ignored.", {"spec.replicas": "not-a-symbol"}),
    ("`queueSettings.maxDepth` is never read.", {"queueSettings.maxDepth": "not-a-symbol"}),
    ("The daemon writes `lanternd.pid` too early.", {"lanternd.pid": "not-a-symbol"}),
    ("`drain` returns `nil` on timeout.", {"drain": "asserted", "nil": "not-a-symbol"}),
])
def test_each_role(body: str, expected: dict[str, str]) -> None:
    assert roles(body) == expected


def test_asserted_is_the_asserted_subset_and_identifiers_are_unchanged() -> None:
    f = finding("`runLoop` never calls `release`; use `sync.OnceFunc` as Moby's `LogImageEvent` does.")
    assert f.identifiers == ("runLoop", "release", "sync.OnceFunc", "LogImageEvent")
    assert f.asserted == ("runLoop",)
    assert [name for name, _ in f.identifier_roles] == list(f.identifiers)


def test_names_only_in_the_fix_are_proposed() -> None:
    f = finding("`Push` accepts items after `Close`.", fix="Fix: check `q.closed` in `Push` and return `ErrClosed`.")
    assert dict(f.identifier_roles) == {"Push": "asserted", "Close": "asserted", "q.closed": "proposed",
                                        "ErrClosed": "proposed"}
    assert f.asserted == ("Push", "Close")


def test_the_title_asserts_and_can_say_missing() -> None:
    assert roles("It leaks.", title="`drain` leaks its ticker") == {"drain": "asserted"}
    assert roles("It leaks.", title="No `Stop` for the ticker in `drain`") == {"Stop": "missing", "drain": "asserted"}


def test_a_paragraph_ending_in_a_proposal_lead_keeps_its_diagnosis() -> None:
    body = ("`Next` adds the jitter after the cap. Clamp at the end instead:\n\n"
            "```go\nreturn min(d+b.jitter(), b.maxDelay)\n```")
    assert roles(body) == {"Next": "asserted"}


def test_missing_wins_over_asserted_and_asserted_over_proposed() -> None:
    assert roles("There is no `checkOrigin`. `checkOrigin` would reject the request.") == {"checkOrigin": "missing"}
    assert roles("`Reset` clears the queue. Call `Reset` on shutdown.") == {"Reset": "asserted"}


def test_the_repositorys_own_module_path_is_not_another_project() -> None:
    text = ("# Deep Review: t\n\n| Field | Value |\n|---|---|\n| Repo | example-org/lanternd |\n\n"
            "## Important Issues\n\nI1. **t** — `q.go:1` [Claude]\n\n"
            "`queue.Open` in github.com/example-org/lanternd/internal/queue skips the lock; "
            "`retry.OnError` in k8s.io/client-go does not.\n")
    (f,) = parse_review(text).findings
    assert dict(f.identifier_roles) == {"queue.Open": "asserted", "retry.OnError": "external"}


def test_flattened_findings_get_roles_too() -> None:
    text = ("Deep Review: t ¶\n\nImportant Issues ¶\n\n"
            "1. drainQueue leaks the ticker (important, gap — pre-existing) Claude\n"
            "drainQueue returns early and there is no stopTicker call on that path.\n")
    review = parse_review(text)
    assert review.format == "flattened"
    (f,) = review.findings
    assert dict(f.identifier_roles) == {"drainQueue": "asserted", "stopTicker": "missing"}
    assert f.asserted == ("drainQueue",)


@pytest.mark.parametrize("name", ["--timeout", "-v", "$HOME", "RDD_INSTANCE", "go.mod", "true", "ENOENT", "EXDEV",
                                  "SIGKILL"])
def test_shapes_that_are_never_symbols(name: str) -> None:
    assert not_a_symbol(name)


@pytest.mark.parametrize("name", ["Origin", "b.refill", "wait.Poll", "CodeTimeout", "(*Queue).Close",
                                  "haCmd.Process.Pid"])
def test_shapes_that_may_be_symbols(name: str) -> None:
    assert not not_a_symbol(name)


def test_claims_identifiers_are_asserted() -> None:
    data = {"reviewvet_claims": 1, "findings": [
        {"id": "I1", "title": "t", "identifiers": ["Queue.Push", "errClosed", "errClosed"]}]}
    (f,) = parse_claims(json.dumps(data)).findings
    assert f.identifiers == ("Queue.Push", "errClosed", "errClosed")
    assert f.asserted == ("Queue.Push", "errClosed")
    assert f.identifier_roles == (("Queue.Push", "asserted"), ("errClosed", "asserted"))
