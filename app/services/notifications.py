"""In-app notifications and their e-mails.

A notification is stored as a kind and parameters and rendered in the reader's language
when shown; its e-mail is rendered in the recipient's own language.
"""

from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Notification
from app.models.base import utcnow
from app.services import formatting, mail
from app.services.errors import NotFound

# kind -> (title, body); %(name)s placeholders are filled from the stored params.
KINDS = {
    "need_submitted": (
        _l("New financing need to review: %(project)s"),
        _l("%(org)s submitted a financing need of %(amount)s for “%(project)s”. "
           "It is waiting in the review queue."),
    ),
    "need_approved": (
        _l("Financing need approved: %(project)s"),
        _l("Your financing need of %(amount)s for “%(project)s” was approved. "
           "It will appear in the next list edition."),
    ),
    "need_returned": (
        _l("Financing need returned for changes: %(project)s"),
        _l("Your financing need for “%(project)s” was returned for changes. "
           "Reviewer's comment: %(comment)s"),
    ),
    "org_verified": (
        _l("Your organisation has been verified"),
        _l("%(org)s has been verified. You can now use every function of the platform."),
    ),
    "org_rejected": (
        _l("Your organisation's registration was not approved"),
        _l("The registration of %(org)s was not approved. Reason: %(reason)s"),
    ),
    "user_verified": (
        _l("Your account has been verified"),
        _l("Your account in %(org)s has been verified."),
    ),
    "user_rejected": (
        _l("Your account request was not approved"),
        _l("Your request to join %(org)s was not approved. Reason: %(reason)s"),
    ),
    "edition_published": (
        _l("List edition %(year)s No. %(period)s published"),
        _l("The financing needs list %(year)s No. %(period)s is published with %(total)s items."),
    ),
    "edition_published_matches": (
        _l("List edition %(year)s No. %(period)s: %(matching)s items match your saved searches"),
        _l("The financing needs list %(year)s No. %(period)s is published with %(total)s items; "
           "%(matching)s of them match your saved searches (%(searches)s)."),
    ),
    # A correction (更正) is a new revision of a published edition: its notice says so, and why.
    "edition_corrected": (
        _l("Correction to list edition %(year)s No. %(period)s (revision %(revision)s)"),
        _l("The financing needs list %(year)s No. %(period)s has been corrected: revision %(revision)s "
           "replaces the previous one and has %(total)s items. Correction note: %(note)s"),
    ),
    "edition_corrected_matches": (
        _l("Correction to list edition %(year)s No. %(period)s (revision %(revision)s): "
           "%(matching)s items match your saved searches"),
        _l("The financing needs list %(year)s No. %(period)s has been corrected: revision %(revision)s "
           "replaces the previous one and has %(total)s items; %(matching)s of them match your saved "
           "searches (%(searches)s). Correction note: %(note)s"),
    ),
    "edition_approval_requested": (
        _l("Approve the publication of list edition %(year)s No. %(period)s"),
        _l("%(by)s asks a second administrator to approve the publication of list edition "
           "%(year)s No. %(period)s."),
    ),
    "edition_publication_sent_back": (
        _l("Publication of list edition %(year)s No. %(period)s sent back"),
        _l("%(by)s did not approve the publication of list edition %(year)s No. %(period)s "
           "and sent it back. Comment: %(comment)s"),
    ),
    "interest_validity_ending": (
        _l("Your interest in %(project)s is valid until %(valid_until)s"),
        _l("Your institution's interest of %(amount)s in “%(project)s” (%(owner)s) is valid until "
           "%(valid_until)s. If the offer still stands, update its validity date; if not, withdraw it."),
    ),
    "interest_uncontacted": (
        _l("An owner is waiting for your call: %(project)s"),
        _l("Your institution expressed interest of %(amount)s in “%(project)s” (%(owner)s) and "
           "has not contacted the owner for %(days)s working days. Contact the owner and record "
           "the contact, or withdraw the interest."),
    ),
    "invitation_received": (
        _l("Financing need pushed to you: %(project)s"),
        _l("%(org)s recommends to your institution the financing need of %(amount)s for “%(project)s” "
           "(match score %(score)s). %(message)s"),
    ),
    # Interests (融资意向): each side is told of the other's steps; confidential to the two.
    "interest_new": (
        _l("New financing interest: %(project)s"),
        _l("%(org)s expressed a financing interest of %(amount)s in your financing need for "
           "“%(project)s”."),
    ),
    "interest_updated": (
        _l("Financing interest updated: %(project)s"),
        _l("%(org)s updated its financing interest in your financing need for “%(project)s”: "
           "%(amount)s."),
    ),
    "interest_moved": (
        _l("Financing interest in “%(project)s”: %(interest_status)s"),
        _l("%(org)s moved its financing interest in “%(project)s” to: %(interest_status)s. %(note)s"),
    ),
    "interest_credited": (
        _l("Credit approved: %(project)s"),
        _l("%(org)s approved credit (授信) of %(amount)s for “%(project)s”."),
    ),
    "interest_disbursed": (
        _l("Disbursement recorded: %(project)s"),
        _l("%(org)s recorded a disbursement of %(amount)s for “%(project)s”."),
    ),
    "interest_declined": (
        _l("Financing interest declined: %(project)s"),
        _l("The owner of “%(project)s” declined your financing interest. Reason: %(note)s"),
    ),
    "interest_reconfirm": (
        _l("Please re-confirm your financing interest: %(project)s"),
        _l("The owner changed the terms of the financing need for “%(project)s” (%(fields)s). "
           "Re-confirm or update your financing interest."),
    ),
    "interest_need_closed": (
        _l("Financing need closed: %(project)s"),
        _l("The financing need for “%(project)s” was closed: %(need_status)s. %(note)s"),
    ),
    "interest_message": (
        _l("New message about “%(project)s”"),
        _l("%(org)s wrote about the financing interest in “%(project)s”."),
    ),
    # Follows (关注): changes, corrections and closing of a followed need.
    "follow_changed": (
        _l("A followed financing need changed: %(project)s"),
        _l("The owner changed the terms of the financing need for “%(project)s” (%(fields)s)."),
    ),
    "follow_corrected": (
        _l("Correction concerning a followed financing need: %(project)s"),
        _l("List edition %(year)s No. %(period)s, which carries “%(project)s”, has been corrected "
           "(revision %(revision)s)."),
    ),
    "follow_closed": (
        _l("A followed financing need was closed: %(project)s"),
        _l("The financing need for “%(project)s” was closed: %(need_status)s."),
    ),
}
# Appended to a publication notice: the reader's best matches of the new edition, stored as
# [[project name, score], ...] (services/recommendations.py: edition_matches).
BEST_MATCHES = _l("Best matches for your preference profile: %(best)s.")
BEST_MATCH = _l("%(project)s (score %(score)s)")

# Parameters stored as an enum's value and shown as its label in the reader's language.
ENUM_PARAMS = {"interest_status": "InterestStatus", "need_status": "NeedStatus"}


def render(kind: str, params: dict) -> tuple[str, str]:
    return _title(kind, params), _body(kind, params)


def _title(kind: str, params: dict) -> str:
    return str(KINDS[kind][0]) % _shown(params)


def _body(kind: str, params: dict) -> str:
    body = str(KINDS[kind][1]) % _shown(params)
    if params.get("best"):
        best = "; ".join(str(BEST_MATCH) % {"project": name, "score": score} for name, score in params["best"])
        body = f"{body} {BEST_MATCHES % {'best': best}}"
    return body


def _footer(link: str | None) -> str:
    return _l("Open CityPartner: %(url)s") % {"url": current_app.config["SITE_URL"].rstrip("/") + (link or "/")}


def _shown(params: dict) -> dict:
    """An amount is stored as its 万元 figure ("52000.50") and shown in the reader's
    language by the one formatter; rows written before that keep their text. Statuses
    are stored as their value and shown as their label."""
    params = _labelled(params)
    if "amount" not in params:
        return params
    try:
        amount = Decimal(str(params["amount"]))
    except InvalidOperation:
        return params
    return {**params, "amount": formatting.money(amount)}


def _labelled(params: dict) -> dict:
    import app.models as models
    from app.reference import label

    shown = dict(params)
    for key, enum_name in ENUM_PARAMS.items():
        if key in shown:
            try:
                shown[key] = label(getattr(models, enum_name)(shown[key]))
            except ValueError:
                pass
    if isinstance(shown.get("fields"), list):  # a need's changed fields, named in the reader's language
        from app.services.approval import MATERIAL_NEED_FIELDS, separator

        shown["fields"] = separator().join(str(MATERIAL_NEED_FIELDS.get(f, f)) for f in shown["fields"])
    return shown


def notify(users, kind: str, params: dict, link: str | None = None, *, email: bool = True):
    """Create an in-app notification for each user and queue its e-mail."""
    if kind not in KINDS:
        raise KeyError(kind)
    for user in users:
        db.session.add(Notification(user_id=user.id, kind=kind, params=params, link=link))
        if email:
            mail.queue_to(user, _l("[CityPartner] %(title)s"), "%(body)s\n\n%(footer)s\n",
                          title=LazyString(_title, kind, params), body=LazyString(_body, kind, params),
                          footer=LazyString(_footer, link))


def unread_count(user) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def inbox(user) -> sa.Select:
    return (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def mark_read(user, notification_id: int | None = None) -> None:
    """Mark one of the user's notifications (or all of them) as read. Another user's
    notification does not exist as far as this user can tell."""
    query = sa.update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        mine = db.session.scalar(sa.select(Notification.id).where(
            Notification.id == notification_id, Notification.user_id == user.id))
        if mine is None:
            raise NotFound()
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
