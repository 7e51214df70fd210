"""Every passive cue the liveness check writes reaches the reviewer in words, not as a code."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from identity_app.checks import liveness
from identity_app.services.console_words import SUB_CHECK_LABELS, readable

pytestmark = pytest.mark.fast


def test_every_passive_cue_of_the_liveness_check_has_a_reviewer_label():
    names = set(re.findall(r'PassiveCue\(\s*"(\w+)"', Path(liveness.__file__).read_text()))
    assert {"passive_screen_replay", "passive_screen_gamut", "passive_presentation_attack"} <= names
    assert names <= set(SUB_CHECK_LABELS)
    assert readable("passive_screen_gamut") == "Face not lit by a screen's backlight (passive)"
