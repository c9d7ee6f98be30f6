"""When an action is possible: the permission table's state gates, read off the life cycles.

can() needs both a rule of app/services/permissions.py (who) and a gate here (when);
require() tells the two refusals apart: the wrong person gets NotAllowed (403), the right
person at the wrong time InvalidTransition (409).

The life cycle is declared once, in the models' transition tables (app.models
TRANSITIONS). An action that moves its object along an edge is named here by the status
it leads to, and is possible in every state from which an edge to that status leaves.
"""

import enum

from app.models import (
    EDITABLE_NEED_STATUSES,
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

ACTION_TARGETS: dict[tuple[str, type], enum.Enum] = {
    ("submit", FinancingNeed): NeedStatus.submitted,
    ("approve", FinancingNeed): NeedStatus.approved,
    ("return", FinancingNeed): NeedStatus.returned,
    ("withdraw", FinancingNeed): NeedStatus.withdrawn,
    ("publish", Edition): EditionStatus.published,
    # Both halves of maker–checker lead to publication: asked for and approved where it can follow.
    ("request_publication", Edition): EditionStatus.published,
    ("approve_publication", Edition): EditionStatus.published,
    # A correction, once published, supersedes the edition it corrects.
    ("correct", Edition): EditionStatus.superseded,
    # An administrator sends a failed job back to the queue.
    ("retry", Job): JobStatus.queued,
    # The owner closes a listed need as financed (fully, or partly with a note).
    ("close_financed", FinancingNeed): NeedStatus.financed,
    # An interest's pipeline: the institution's steps and exits, the owner's decline.
    ("contact", Interest): InterestStatus.contacted,
    ("start_due_diligence", Interest): InterestStatus.due_diligence,
    ("approve", Interest): InterestStatus.approved,
    ("withdraw", Interest): InterestStatus.withdrawn,
    ("reject", Interest): InterestStatus.rejected,
    ("decline", Interest): InterestStatus.declined,
}

# Edges that serve another action than the one named by their target. An owner's edit of
# an approved or listed need sends it back for review (approval.send_back_for_review)
# along the edge to `submitted`; "submit" itself starts from a draft or a returned need.
# "system" marks an edge the platform takes by itself, never a user.
SYSTEM_MOVE = "system"
EDGES_OF_OTHER_ACTIONS: dict[tuple[type, enum.Enum, enum.Enum], str] = {
    (FinancingNeed, NeedStatus.approved, NeedStatus.submitted): "edit",
    (FinancingNeed, NeedStatus.listed, NeedStatus.submitted): "edit",
    # A failed attempt goes back to the queue by itself (retries with backoff, jobs.py).
    (Job, JobStatus.running, JobStatus.queued): "system",
    # The first disbursement of an approved credit makes the interest funded.
    (Interest, InterestStatus.approved, InterestStatus.funded): "disburse",
}


def _sources(action: str, model: type, target) -> frozenset:
    """The states from which `action` takes `model` to `target`."""
    return frozenset(
        state for state, targets in TRANSITIONS[model].items()
        if target in targets and EDGES_OF_OTHER_ACTIONS.get((model, state, target), action) == action
    )


def _alive(model: type) -> frozenset:
    """The states that still have a way out (not financed, withdrawn, expired ...)."""
    return frozenset(state for state, targets in TRANSITIONS[model].items() if targets)


# Actions that are not an edge of the life cycle (the status stays, or the row goes),
# each gated explicitly.
STATE_OVERRIDES: dict[tuple[str, type], frozenset] = {
    # Editing keeps a draft or a returned need where it is and sends an approved or listed
    # one back for review (the edges above); a submitted need waits for its reviewer.
    ("edit", FinancingNeed): EDITABLE_NEED_STATUSES,
    # Deleting removes the row: only a draft never submitted; anything reviewed once is
    # in the review history and is withdrawn instead.
    ("delete", FinancingNeed): frozenset({NeedStatus.draft}),
    # Files are added to a need for as long as it is alive.
    ("attach", FinancingNeed): _alive(FinancingNeed),
    # Compiling changes a draft's items; publication freezes them.
    ("edit", Edition): frozenset({EditionStatus.draft}),
    # Institutions follow and express interest in listed needs only.
    ("express", FinancingNeed): frozenset({NeedStatus.listed}),
    ("follow", FinancingNeed): frozenset({NeedStatus.listed}),
    # Over-funding is accepted while money may still be disbursed.
    ("confirm_overfunding", FinancingNeed): frozenset({NeedStatus.listed, NeedStatus.financed}),
    # Tranches are drawn on an approved credit, the first one making it funded.
    ("disburse", Interest): frozenset({InterestStatus.approved, InterestStatus.funded}),
    # A live interest's offer is updated or re-confirmed, and its conversation goes on.
    ("update", Interest): LIVE_INTEREST_STATUSES,
    ("reconfirm", Interest): LIVE_INTEREST_STATUSES,
    ("message", Interest): LIVE_INTEREST_STATUSES,
}

STATES: dict[tuple[str, type], frozenset] = {
    **{(action, model): _sources(action, model, target)
       for (action, model), target in ACTION_TARGETS.items()},
    **STATE_OVERRIDES,
}
