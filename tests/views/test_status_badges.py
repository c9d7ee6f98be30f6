"""Every status of every life cycle has its badge colour: a status without one shows as
white text on the page's background, i.e. nothing."""

import re
from pathlib import Path

import pytest

from app.models import TRANSITIONS

CSS = (Path(__file__).parents[2] / "app" / "static" / "css" / "app.css").read_text(encoding="utf-8")
STYLED = set(re.findall(r"\.cp-status-([a-z_]+)", CSS))


@pytest.mark.parametrize("model", sorted(TRANSITIONS, key=lambda m: m.__name__), ids=lambda m: m.__name__)
def test_every_status_has_a_badge_colour(model):
    assert {s.value for s in TRANSITIONS[model]} - STYLED == set()
