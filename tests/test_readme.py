"""The README's state-machine tables say what the code does."""

import re
from pathlib import Path

import pytest

from app.models import (
    INTEREST_TRANSITIONS,
    JOB_TRANSITIONS,
    NEED_TRANSITIONS,
    ORG_STATUS_TRANSITIONS,
    USER_STATUS_TRANSITIONS,
)
from app.models.edition import EDITION_TRANSITIONS

README = Path(__file__).resolve().parent.parent / "README.md"


def table_after(heading: str) -> dict[str, set[str]]:
    """The `| from | to |` table that follows `heading`, as {from: {to, ...}}."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == heading)
    rows: dict[str, set[str]] = {}
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) == 2 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = set(re.findall(r"`([a-z_]+)`", cells[1]))
    return rows


@pytest.mark.parametrize("heading, transitions", [
    ("### Financing need (融资需求)", NEED_TRANSITIONS),
    ("### List edition (清单期次)", EDITION_TRANSITIONS),
    ("### Financing interest (融资意向)", INTEREST_TRANSITIONS),
    ("### Organisation", ORG_STATUS_TRANSITIONS),
    ("### User account", USER_STATUS_TRANSITIONS),
    ("### Background job", JOB_TRANSITIONS),
])
def test_readme_state_table_matches_the_code(heading, transitions):
    expected = {state.value: {to.value for to in targets} for state, targets in transitions.items()}
    assert table_after(heading) == expected
