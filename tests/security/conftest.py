"""Security tests against a real app in production mode (the browser tests' server, without a browser).

Anything here starts the app and builds the shared .web folder: run it under
the same lock as the browser tests (see CONTRIBUTING / the browser tests)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import start_app, stop_app


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    app = start_app(tmp_path_factory.mktemp("hostile-app"))
    yield app
    stop_app(app.proc)
