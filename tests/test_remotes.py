"""Remote URLs in reports: hosted repositories only, without credentials; GitHub links only for GitHub."""

from __future__ import annotations

import pytest

from reviewvet.remotes import github_web, is_local_url, public_url


@pytest.mark.parametrize(("url", "local"), [
    ("/srv/mirrors/kettle.git", True), ("./kettle.git", True), ("../kettle.bundle", True),
    ("file:///srv/kettle.git", True), ("FILE:///srv/kettle.git", True), ("C:\\mirrors\\kettle", True),
    ("c:/mirrors/kettle", True), ("kettle.git", True), ("./a:b/kettle.git", True),
    ("https://github.com/acme/kettle.git", False), ("ssh://git@example.com/acme/kettle", False),
    ("git@github.com:acme/kettle.git", False), ("example.com:acme/kettle", False), ("git://example.com/k", False),
])
def test_local_urls_are_told_from_hosted_ones_as_git_reads_them(url: str, local: bool) -> None:
    assert is_local_url(url) is local


@pytest.mark.parametrize(("remote", "url"), [
    ("https://github.com/acme/kettle.git", "https://github.com/acme/kettle"),
    ("https://ci-bot:ghp_SECRET@github.com/acme/kettle", "https://github.com/acme/kettle"),
    ("https://user:pw@git.example.com:8443/team/kettle.git/", "https://git.example.com/team/kettle"),
    ("git@github.com:acme/kettle.git", "https://github.com/acme/kettle"),
    ("ssh://git@GitHub.com/acme/kettle", "https://github.com/acme/kettle"),
    ("/srv/mirrors/kettle.git", None), ("file:///srv/kettle.git", None), ("../kettle.bundle", None),
    ("https://github.com/", None), ("https://github.com/acme/../etc", None),
    ("https://github.com/acme/ket tle", None), ("", None), (None, None),
])
def test_a_public_url_keeps_host_and_path_and_drops_credentials_and_local_paths(remote: str | None,
                                                                                  url: str | None) -> None:
    assert public_url(remote) == url
    assert "SECRET" not in (public_url(remote) or "")


@pytest.mark.parametrize(("remote", "web"), [
    ("git@github.com:acme/kettle.git", "https://github.com/acme/kettle"),
    ("https://gitlab.com/acme/kettle", None),
    ("https://github.com/acme/kettle/extra", None),
    ("/home/me/kettle", None),
])
def test_github_links_only_for_a_github_repository(remote: str, web: str | None) -> None:
    assert github_web(remote) == web
