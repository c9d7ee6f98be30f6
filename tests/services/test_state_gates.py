"""The permission table's state gates are read off the life cycles (the models' transition
tables), and they let through exactly what they let through when they were written out
by hand: nothing a user sees changes."""

import ast
from pathlib import Path

import pytest

from app.models import (
    LIVE_INTEREST_STATUSES,
    TRANSITIONS,
    Edition,
    EditionStatus,
    FinancingNeed,
    Interest,
    InterestStatus,
    Job,
    JobStatus,
    NeedStatus,
)
from app.services import permissions
from app.services.state_gates import (
    ACTION_TARGETS,
    EDGES_OF_OTHER_ACTIONS,
    STATE_OVERRIDES,
    STATES,
    SYSTEM_MOVE,
)
from app.services.workflow import can_move

N, E, INT = NeedStatus, EditionStatus, InterestStatus
OPEN_DEALS = {INT.submitted, INT.contacted, INT.due_diligence}
# The gates as they were declared by hand before they were derived: who may act when.
GATES_BEFORE = {
    ("edit", FinancingNeed): {N.draft, N.returned, N.approved, N.listed},
    ("submit", FinancingNeed): {N.draft, N.returned},
    ("withdraw", FinancingNeed): {N.draft, N.submitted, N.returned, N.approved, N.listed},
    ("delete", FinancingNeed): {N.draft},
    ("approve", FinancingNeed): {N.submitted},
    ("return", FinancingNeed): {N.submitted},
    ("attach", FinancingNeed): {N.draft, N.submitted, N.returned, N.approved, N.listed},
    ("edit", Edition): {E.draft},
    ("request_publication", Edition): {E.draft},
    ("approve_publication", Edition): {E.draft},
    ("publish", Edition): {E.draft},
    ("correct", Edition): {E.published},
    ("retry", Job): {JobStatus.failed},
}
# The gates of follows and interests, written out: who may act when.
INTEREST_GATES = {
    ("express", FinancingNeed): {N.listed},
    ("follow", FinancingNeed): {N.listed},
    ("close_financed", FinancingNeed): {N.listed},
    ("confirm_overfunding", FinancingNeed): {N.listed, N.financed},
    ("contact", Interest): {INT.submitted},
    ("start_due_diligence", Interest): {INT.contacted},
    ("approve", Interest): {INT.due_diligence},
    ("disburse", Interest): {INT.approved, INT.funded},
    ("withdraw", Interest): OPEN_DEALS | {INT.approved},
    ("decline", Interest): OPEN_DEALS | {INT.approved},
    ("reject", Interest): OPEN_DEALS,
    ("update", Interest): set(LIVE_INTEREST_STATUSES),
    ("reconfirm", Interest): set(LIVE_INTEREST_STATUSES),
    ("message", Interest): set(LIVE_INTEREST_STATUSES),
}


def test_the_derived_gates_are_the_gates_users_had():
    assert {key: set(states) for key, states in STATES.items()} == GATES_BEFORE | INTEREST_GATES


def test_each_action_is_gated_once_and_has_a_rule():
    assert not ACTION_TARGETS.keys() & STATE_OVERRIDES.keys()
    assert set(STATES) <= set(permissions.RULES)


@pytest.mark.parametrize(("action", "model"), sorted(ACTION_TARGETS, key=str))
def test_an_action_named_by_its_target_is_open_exactly_where_its_edge_leaves(action, model):
    """In every state its gate opens, the move it leads to is allowed; in every other
    state it is not, unless the edge there belongs to another action."""
    target = ACTION_TARGETS[(action, model)]
    for state in TRANSITIONS[model]:
        obj = model(status=state)
        taken_by = EDGES_OF_OTHER_ACTIONS.get((model, state, target))
        expected = can_move(obj, target) and taken_by in (None, action)
        assert (state in STATES[(action, model)]) is expected, (action, state)


def test_edges_given_to_another_action_are_edges_of_that_action():
    for (model, source, target), action in EDGES_OF_OTHER_ACTIONS.items():
        assert target in TRANSITIONS[model][source]
        if action == SYSTEM_MOVE:  # taken by the platform, not a user action
            assert (action, model) not in permissions.RULES
            continue
        assert source in STATES[(action, model)]  # that action is open where its edge leaves


def test_files_go_to_a_need_until_it_is_closed():
    closed = {s for s in NeedStatus if FinancingNeed(status=s).is_closed}
    assert STATES[("attach", FinancingNeed)] == set(NeedStatus) - closed


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at its top or inside a function."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_audit_log_does_not_import_workflow():
    """workflow records each move in the audit log; the log never needs workflow back."""
    services = Path(permissions.__file__).parent
    audit_files = sorted((services / "audit").glob("*.py"))
    assert audit_files
    for path in audit_files:
        assert "app.services.workflow" not in _imported_modules(path), path
