"""The owner's side of the need: closing it as financed once covered (or partly financed,
with a note), and accepting that disbursements exceed the amount sought. Followers and
the institutions with a live interest are told when a need closes, however it closes."""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import LIVE_INTEREST_STATUSES, FinancingNeed, Interest, NeedStatus, User
from app.models.base import utcnow
from app.services import audit, formatting
from app.services.interests import common
from app.services.interests.follows import tell_followers
from app.services.notifications import notify
from app.services.permissions import can, require
from app.services.validation import Errors
from app.services.workflow import move


def money_raised(user: User, need: FinancingNeed) -> dict | None:
    """The credit approved and the amount disbursed by all institutions, against the amount
    sought; None for a user who may not see every institution's interests in it (an
    institution learns nothing of the others' figures)."""
    if not can(user, "view_interests", need):
        return None
    return {"credited": common.credited_total(need.id), "disbursed": common.disbursed_total(need.id),
            "amount": need.amount, "open": need.amount_open}


def close_financed(user: User, need: FinancingNeed, *, note: str | None = None,
                   partly: bool = False) -> FinancingNeed:
    """Close a listed need as financed. Covered means the credit approved reaches what is
    still to be raised (amount_open); short of that the owner closes it as partly financed,
    which needs a note. The need's row is locked: an interest expressed or a tranche
    disbursed at the same moment comes before or after, never half-way."""
    require(user, "close_financed", need)
    need = common.lock_need(need)
    require(user, "close_financed", need)
    errors = Errors()
    note = common.check_text(errors, "note", note, required=partly,
                             message=_l("Say how far the need is financed."))
    credited = common.credited_total(need.id)
    if not partly and credited < need.amount_open:
        errors.add("partly", _l("The credit approved (%(credited)s) does not cover the amount still to be "
                                "raised (%(open)s): close it as partly financed, with a note.",
                                credited=formatting.money(credited), open=formatting.money(need.amount_open)))
    errors.raise_if_any()
    move(need, NeedStatus.financed, by=user, note=note,
         action="financing_need.financed_partly" if partly else None)
    need.closed_at = utcnow()
    db.session.flush()
    need_closed(need, note=note)
    return need


def confirm_overfunding(user: User, need: FinancingNeed) -> FinancingNeed:
    """The owner accepts that all institutions together disburse more than the amount sought."""
    require(user, "confirm_overfunding", need)
    need = common.lock_need(need)
    if need.overfunding_confirmed_at is None:
        need.overfunding_confirmed_at = utcnow()
        audit.record("financing_need.confirm_overfunding", need, by=user)
        db.session.flush()
    return need


def need_closed(need: FinancingNeed, *, note: str | None = None) -> None:
    """A need closed (financed, withdrawn, expired): its interests stay as they are; their
    institutions and the need's followers are told."""
    live = db.session.scalars(sa.select(Interest).where(
        Interest.need_id == need.id,
        Interest.status.in_([s.value for s in LIVE_INTEREST_STATUSES])).order_by(Interest.id))
    for interest in live:
        notify(common.institution_users(interest.org), "interest_need_closed",
               common.params(interest, need_status=need.status.value, note=note or ""),
               link=f"/interests/{interest.id}")
    tell_followers(need, "follow_closed", need_status=need.status.value)
