"""The fake provider every model test talks to: one per provider (the tests run once per provider)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm.servers import KEY, KEY_VARIABLES, PROVIDERS, FakeProvider, clean_environment, provider_server


@pytest.fixture(params=PROVIDERS)
def fake(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    """A provider's fake API, its dummy key in the provider's variable and no other provider setting in the
    environment; a client gets its URL by ``base_url`` (a command by --base-url)."""
    clean_environment(monkeypatch)
    with provider_server(request.param) as server:
        monkeypatch.setenv(KEY_VARIABLES[server.provider], KEY)
        yield server
