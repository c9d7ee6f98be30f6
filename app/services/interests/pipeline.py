"""An interest's pipeline, each step by the role PRODUCT.md names, through workflow.move:
the institution contacts, starts due diligence, approves credit (授信), records
disbursements (放款), withdraws or refuses credit (with a structured reason); the owner
declines. Each move is audited and the other side told."""

from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import STAGE_ENTERED_AT, Disbursement, Interest, InterestStatus, RejectionReason, User
from app.models.base import utcnow
from app.services import audit, formatting
from app.services.errors import ValidationFailed
from app.services.interests import common
from app.services.permissions import require
from app.services.validation import Errors
from app.services.workflow import move

# Institution's actions -> the status they lead to; the owner's is decline().
INSTITUTION_MOVES = {
    "contact": InterestStatus.contacted,
    "start_due_diligence": InterestStatus.due_diligence,
    "withdraw": InterestStatus.withdrawn,
}


def _move(interest: Interest, to: InterestStatus, *, by: User, note: str | None) -> None:
    move(interest, to, by=by, note=note)
    setattr(interest, STAGE_ENTERED_AT[to], utcnow())
    db.session.flush()


def _start(user: User, interest: Interest, action: str) -> None:
    require(user, action, interest)
    common.require_need_open(interest.need)


def step(user: User, interest: Interest, action: str, *, note: str | None = None) -> Interest:
    """contact, start_due_diligence or withdraw (with an optional note)."""
    if action not in INSTITUTION_MOVES:
        raise KeyError(action)
    _start(user, interest, action)
    errors = Errors()
    note = common.check_text(errors, "note", note)
    errors.raise_if_any()
    to = INSTITUTION_MOVES[action]
    if to is InterestStatus.withdrawn:
        interest.withdrawal_note = note
    _move(interest, to, by=user, note=note)
    common.tell_owners(interest, "interest_moved", interest_status=to.value, note=note or "")
    return interest


def approve_credit(user: User, interest: Interest, data: dict) -> Interest:
    """授信: the credit amount (万元, above zero, at most the amount sought), its date and conditions."""
    _start(user, interest, "approve")
    need = interest.need
    errors = Errors()
    amount = common.check_amount(
        errors, "credit_amount", data.get("credit_amount"), ceiling=need.amount,
        ceiling_message=_l("The credit cannot exceed the amount sought (%(amount)s).",
                           amount=formatting.money(need.amount)))
    credit_date = common.check_past_date(errors, "credit_date", data.get("credit_date"))
    conditions = common.check_text(errors, "credit_conditions", data.get("credit_conditions"))
    errors.raise_if_any()
    interest.credit_amount, interest.credit_date, interest.credit_conditions = amount, credit_date, conditions
    _move(interest, InterestStatus.approved, by=user, note=conditions)
    audit.record("interest.credit", interest, by=user,
                 after={"credit_amount": amount, "credit_date": credit_date})
    common.tell_owners(interest, "interest_credited", amount=str(amount))
    return interest


def reject(user: User, interest: Interest, *, reason, note: str | None = None) -> Interest:
    """The institution's credit decision is no: a structured reason, with a text for "other"."""
    _start(user, interest, "reject")
    errors = Errors()
    if not isinstance(reason, RejectionReason):
        errors.add("reason", _l("Choose a reason."))
    note = common.check_text(errors, "note", note, required=reason is RejectionReason.other,
                             message=_l("Say what the reason is."))
    errors.raise_if_any()
    interest.rejection_reason, interest.rejection_note = reason, note
    _move(interest, InterestStatus.rejected, by=user, note=note)
    common.tell_owners(interest, "interest_moved", interest_status=InterestStatus.rejected.value,
                       note=note or "")
    return interest


def decline(user: User, interest: Interest, *, reason: str | None) -> Interest:
    """The owner declines an institution's interest, with its reason."""
    _start(user, interest, "decline")
    errors = Errors()
    reason = common.check_text(errors, "reason", reason, required=True,
                               message=_l("Say why you decline this interest."))
    errors.raise_if_any()
    interest.decline_reason = reason
    _move(interest, InterestStatus.declined, by=user, note=reason)
    common.tell_institution(interest, "interest_declined", note=reason)
    return interest


def record_disbursement(user: User, interest: Interest, data: dict) -> Disbursement:
    """One tranche (放款): amount and date. The first moves an approved interest to funded;
    interest.disbursed_amount stays the sum of its tranches, in the same transaction. The
    need's row is locked first, so that concurrent disbursements and the owner's closing
    run one after the other: all institutions together never disburse more than the
    amount sought unless the owner accepted it (confirm_overfunding)."""
    require(user, "disburse", interest)
    need = common.lock_need(interest.need)
    interest = common.reload(interest)
    require(user, "disburse", interest)
    common.require_need_open(need, financed_too=True)
    errors = Errors()
    amount = common.check_amount(errors, "amount", data.get("amount"))
    day = common.check_past_date(errors, "disbursed_on", data.get("disbursed_on"),
                                 not_before=interest.credit_date)
    note = common.check_text(errors, "note", data.get("note"), limit=200)
    if amount is not None:
        credit = interest.credit_amount or Decimal("0")
        if interest.disbursed_amount + amount > credit:
            errors.add("amount", _l("Disbursements would total %(total)s, more than the credit approved "
                                    "(%(credit)s).", total=formatting.money(interest.disbursed_amount + amount),
                                    credit=formatting.money(credit)))
        else:
            total = common.disbursed_total(need.id) + amount
            if total > need.amount_open and need.overfunding_confirmed_at is None:
                # What the others disbursed is theirs to know: the refusal names no total.
                errors.add("amount", _l("With this disbursement the institutions together would disburse more "
                                        "than the amount still to be raised (%(amount)s). The owner must first "
                                        "accept financing beyond it.", amount=formatting.money(need.amount_open)))
    if errors:
        raise ValidationFailed(errors=dict(errors))
    row = Disbursement(interest=interest, amount=amount, disbursed_on=day, note=note, recorded_by_id=user.id)
    db.session.add(row)
    interest.disbursed_amount = interest.disbursed_amount + amount
    if interest.status is InterestStatus.approved:
        _move(interest, InterestStatus.funded, by=user, note=None)
    db.session.flush()
    audit.record("interest.disburse", interest, by=user,
                 after={"amount": amount, "disbursed_on": day, "disbursed_amount": interest.disbursed_amount})
    common.tell_owners(interest, "interest_disbursed", amount=str(amount))
    return row
