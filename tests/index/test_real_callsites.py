"""Call sites of the real repository the seed reviews talk about (rancher-desktop-daemon at
refs/pull/336/head), each checked by hand against the Go source: the edges the index gives
for them, exactly. Uses the calibration tests' clone of ../shared's bundle (skips without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewvet.api import index, open_workspace
from reviewvet.index.graph import Edge
from reviewvet.index.model import RepoIndex


MOD = "github.com/rancher-sandbox/rancher-desktop-daemon"
HEAD = "refs/pull/336/head"


@pytest.fixture(scope="module")
def pr_336(real_repo: Path, tmp_path_factory: pytest.TempPathFactory) -> RepoIndex:
    with open_workspace(real_repo, HEAD, cache_dir=tmp_path_factory.mktemp("cache")) as workspace:
        return index(workspace, HEAD)


def at(idx: RepoIndex, path: str, line: int, *, name: str = "") -> set[tuple[str, str, str]]:
    """The edges of one call-site line into the repository, ids shortened: (caller, callee, confidence)."""

    def short(ident: str) -> str:
        return ident.removeprefix(f"{MOD}/")

    def wanted(e: Edge) -> bool:
        return (e.path == path and e.line == line and not e.callee.startswith("external:")
                and (not name or e.callee.rsplit(".", 1)[-1] == name))

    return {(short(e.caller), short(e.callee), e.confidence) for e in idx.edges if wanted(e)}


def test_a_method_on_a_parenthesised_composite_literal_reaches_that_type_only(pr_336: RepoIndex) -> None:
    # (&controllers.AppReconciler{ ...4 fields... }).SetupWithManager(mgr): the literal opens on line
    # 156, the method is named on 161; three reconcilers have a SetupWithManager.
    assert at(pr_336, "pkg/controllers/app/app/controller.go", 161) == {
        ("pkg/controllers/app/app.(*controller).RegisterWithManager",
         "pkg/controllers/app/app/controllers.(*AppReconciler).SetupWithManager", "by-type")}
    assert at(pr_336, "pkg/controllers/app/app/controller.go", 156) == set()
    assert at(pr_336, "pkg/controllers/app/engine/controller.go", 68) == {
        ("pkg/controllers/app/engine.(*controller).RegisterWithManager",
         "pkg/controllers/app/engine/controllers.(*EngineReconciler).SetupWithManager", "by-type")}


def test_cobra_run_functions_are_reference_edges(pr_336: RepoIndex) -> None:
    assert at(pr_336, "cmd/rdd/kubectl.go", 28) == {("cmd/rdd.newCtlCommand", "cmd/rdd.ctlAction", "reference")}
    assert at(pr_336, "cmd/rdd/kubectl.go", 52) == {
        ("cmd/rdd.newKubectlCommand", "cmd/rdd.kubectlAction", "reference")}
    assert at(pr_336, "cmd/rdd/main.go", 123) == {("cmd/rdd.main", "cmd/rdd.setLogLevel", "reference")}
    assert at(pr_336, "cmd/rdd/service.go", 190) == {
        ("cmd/rdd.newServiceCreateCommand", "cmd/rdd.serviceCreateAction", "reference")}


def test_a_call_on_a_function_result_takes_the_declared_result_type(pr_336: RepoIndex) -> None:
    # version.Get() returns version.Info; (*Value).String is the other String of that package.
    # The file also imports k8s.io/.../prometheus/version as _, which must not shadow it.
    assert at(pr_336, "cmd/rdd/main.go", 107) == {
        ("cmd/rdd.newVersionCommand", "pkg/version.Get", "exact"),
        ("cmd/rdd.newVersionCommand", "pkg/version.Info.String", "by-type")}


def test_constructor_results_type_the_variables_they_are_assigned_to(pr_336: RepoIndex) -> None:
    # sharedManager, err := controllers.NewSharedControllerManager(...) then sharedManager.RegisterController(...)
    assert at(pr_336, "pkg/external/main.go", 113) == {
        ("pkg/external.RunControllers", "pkg/service/controllers.(*SharedControllerManager).RegisterController",
         "by-type")}
    # s := options.NewOptions(...); completedOptions, err := s.Complete(...); completedOptions.Validate():
    # two other packages have a Complete and a Validate of their own.
    assert at(pr_336, "pkg/service/cmd/service.go", 626) == {
        ("pkg/service/cmd.NewServeCommand", "pkg/service/cmd/options.(*Options).Complete", "by-type")}
    assert at(pr_336, "pkg/service/cmd/service.go", 631) == {
        ("pkg/service/cmd.NewServeCommand", "pkg/service/cmd/options.(*CompletedOptions).Validate", "by-type")}


def test_a_method_of_the_function_s_own_receiver(pr_336: RepoIndex) -> None:
    assert at(pr_336, "pkg/controllers/app/app/controller.go", 165) == {
        ("pkg/controllers/app/app.(*controller).RegisterWithManager",
         "pkg/controllers/app/app.(*controller).setupWebhook", "by-type")}


def test_an_interface_receiver_still_goes_to_every_method_of_that_name(pr_336: RepoIndex) -> None:
    # controller ranges over []base.Controller: an interface, so every GetName in the repository.
    found = at(pr_336, "pkg/external/main.go", 114, name="GetName")
    getnames = {s.id.removeprefix(f"{MOD}/") for s in pr_336.symbols if s.kind == "method" and s.name == "GetName"}
    assert {callee for _, callee, _ in found} == getnames
    assert {confidence for _, _, confidence in found} == {"by-name-only"}
    assert len(getnames) > 10
