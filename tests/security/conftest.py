"""Security tests against a real app in production mode (the browser tests' server, without a
browser; each app builds its frontend in its own folder, see tests/browser/conftest.py)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import start_app, stop_app


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    # Many links send images at once here: admission (web/capture_admission.py, tested on its own) would
    # answer most with WAIT; these tests are about what the image routes do with what they admit.
    app = start_app(tmp_path_factory.mktemp("hostile-app"), {"IDV_LIVE_CAPTURES": "1000"})
    yield app
    stop_app(app.proc)
