"""Packaging: what pyproject.toml tells setuptools to put in the wheel covers the source tree.

Cheap checks, no build: the packages setuptools would build are read from pyproject.toml (a
hand-written list, or found with setuptools' own finder when [tool.setuptools.packages.find] is
used) and compared with the folders of src/reviewvet; the data files the code reads through
``importlib.resources`` (``reviewvet.grammars``, ``reviewvet.ruleset``, ``reviewvet.schemas``) must be
in declared packages and matched by their package-data globs.
"""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

import pytest
from setuptools import find_namespace_packages, find_packages

ROOT = Path(__file__).resolve().parent.parent
SETUPTOOLS: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
PACKAGE_DIR: dict[str, str] = SETUPTOOLS.get("package-dir", {})
PACKAGE_DATA: dict[str, list[str]] = SETUPTOOLS.get("package-data", {})
# the data packages the code opens with importlib.resources, and the files it reads from them
DATA = {"reviewvet.grammars": "*.scm", "reviewvet.ruleset": "*.yaml", "reviewvet.schemas": "*.json"}


def built_packages() -> set[str]:
    """The packages setuptools builds with this pyproject.toml."""
    packages = SETUPTOOLS.get("packages")
    if isinstance(packages, list):
        return set(packages)
    assert isinstance(packages, dict) and "find" in packages, f"unexpected [tool.setuptools] packages: {packages!r}"
    find = dict(packages["find"])
    finder = find_namespace_packages if find.pop("namespaces", True) else find_packages
    return {name for where in find.pop("where", ["."]) for name in finder(str(ROOT / where), **find)}


def package_folder(name: str) -> Path:
    """Where setuptools takes package ``name`` from, following [tool.setuptools.package-dir]."""
    parts = name.split(".")
    for cut in range(len(parts), -1, -1):
        prefix = ".".join(parts[:cut])
        if prefix in PACKAGE_DIR:
            return ROOT / PACKAGE_DIR[prefix] / Path(*parts[cut:])
    return ROOT / Path(*parts)


def source_packages() -> set[str]:
    """Every folder under src/reviewvet that holds Python files (with or without an __init__.py)."""
    src = ROOT / "src"
    return {".".join(folder.relative_to(src).parts) for folder in {f.parent for f in (src / "reviewvet").rglob("*.py")}
            if "__pycache__" not in folder.parts}


def test_every_source_package_is_built() -> None:
    missing = source_packages() - built_packages()
    assert not missing, f"not in the wheel: {sorted(missing)}; add them to [tool.setuptools] packages"


def test_every_built_package_has_a_folder() -> None:
    absent = {name: str(package_folder(name).relative_to(ROOT)) for name in built_packages()
              if not package_folder(name).is_dir()}
    assert not absent, f"declared packages without a folder (the build fails): {absent}"


@pytest.mark.parametrize("package, pattern", list(DATA.items()))
def test_data_files_are_declared(package: str, pattern: str) -> None:
    folder = package_folder(package)
    files = sorted(p.name for p in folder.iterdir() if p.is_file() and fnmatch.fnmatch(p.name, pattern))
    assert files, f"no {pattern} file in {folder}"
    assert package in built_packages(), f"{package} is not built, so its {pattern} files are not shipped"
    undeclared = [f for f in files if not any(fnmatch.fnmatch(f, glob) for glob in PACKAGE_DATA.get(package, []))]
    assert not undeclared, f"{package} files no package-data glob ships: {undeclared}"


def test_packages_are_found_not_listed() -> None:
    """A new package ships without an edit to pyproject.toml: setuptools finds every one under src/."""
    assert "packages" not in SETUPTOOLS or isinstance(SETUPTOOLS["packages"], dict)
    assert {"reviewvet.grammars", "reviewvet.ruleset", "reviewvet.model", "reviewvet.cli"} <= built_packages()


def test_the_data_packages_live_inside_the_package() -> None:
    assert package_folder("reviewvet.grammars") == ROOT / "src" / "reviewvet" / "grammars"
    assert package_folder("reviewvet.ruleset") == ROOT / "src" / "reviewvet" / "ruleset"
    assert package_folder("reviewvet.schemas") == ROOT / "src" / "reviewvet" / "schemas"


# -- the source distribution: built once, in a child process, with no download -----------------


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tuple[set[str], str]:
    """The names in the sdist (relative to its top folder) and its PKG-INFO."""
    import subprocess
    import sys
    import tarfile

    out = tmp_path_factory.mktemp("sdist")
    build = ("import sys; from setuptools import build_meta; "
             "print(build_meta.build_sdist(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", build, str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    name = proc.stdout.strip().splitlines()[-1]
    with tarfile.open(out / name) as archive:
        members = archive.getnames()
        top = members[0].split("/")[0]
        info = archive.extractfile(f"{top}/PKG-INFO")
        assert info is not None
        pkg_info = info.read().decode("utf-8")
    return {m.removeprefix(top + "/") for m in members}, pkg_info


def project_files(*folders: str) -> set[str]:
    """The project's files under ``folders`` (what git tracks, when this is a git checkout)."""
    import subprocess

    proc = subprocess.run(["git", "ls-files", "-z", "--", *folders], cwd=ROOT, capture_output=True, check=False)
    if proc.returncode == 0 and proc.stdout:
        return {name for name in proc.stdout.decode("utf-8").split("\0") if name}
    return {str(p.relative_to(ROOT)) for folder in folders for p in (ROOT / folder).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def test_the_sdist_holds_the_test_suite_and_its_fixtures(sdist: tuple[set[str], str]) -> None:
    names, _ = sdist
    wanted = project_files("tests", "fixtures", "docs")
    assert wanted and {"tests/conftest.py", "fixtures/demo.py", "fixtures/gitbuild.py"} <= wanted
    assert sorted(wanted - names) == []
    assert {"LICENSE", "README.md", "Makefile", "pyproject.toml", "action.yml"} <= names
    assert not any("__pycache__" in name for name in names)


def test_the_package_metadata_names_license_urls_and_classifiers(sdist: tuple[set[str], str]) -> None:
    _, pkg_info = sdist
    assert "License-Expression: MIT" in pkg_info and "License-File: LICENSE" in pkg_info
    assert "Project-URL: Homepage, https://github.com/reviewvet/reviewvet" in pkg_info
    assert "Classifier: Topic :: Software Development :: Quality Assurance" in pkg_info
    assert "Provides-Extra: service" in pkg_info and "Provides-Extra: models" in pkg_info
