"""Publishing an edition (maker–checker) and corrections. The files and the notices of a
publication are jobs, asked for here and made after the commit (files.py, searches.py)."""


import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import (
    Edition,
    EditionItem,
    EditionItemInstrument,
    EditionStatus,
    ItemMarker,
    NeedStatus,
    User,
)
from app.models.base import utcnow
from app.reference import Instrument
from app.services import audit
from app.services.editions.compiling import (
    REVISION_TAKEN,
    check_readiness,
    live_data,
    previous_need_ids,
    red_count,
)
from app.services.editions.files import request_files
from app.services.editions.reading import latest_published
from app.services.editions.searches import request_notices
from app.services.editions.snapshot import (
    build_snapshot,
    changelog,
    denormalise,
    denormalised,
)
from app.services.errors import InvalidTransition, ValidationFailed, flush_unique
from app.services.notifications import notify
from app.services.permissions import can, require
from app.services.workflow import move, move_all


# ---- publishing ------------------------------------------------------------------------------------
def request_publication(edition: Edition, *, by: User) -> None:
    """Maker–checker, first half: the readiness checks pass and a second admin is asked."""
    require(by, "request_publication", edition)
    _refuse_if_red(edition)
    edition.requested_by_id = by.id
    edition.requested_at = utcnow()
    edition.sent_back_by_id = edition.sent_back_at = edition.sent_back_note = None
    db.session.flush()
    audit.record("edition.request_publication", edition, by=by)
    from app.services.accounts import active_admins

    notify([a for a in active_admins() if a.id != by.id], "edition_approval_requested",
           {"year": edition.year, "period": edition.period, "by": by.name},
           link=f"/editions/{edition.key}/compile")


def send_back_publication(edition: Edition, comment: str, *, by: User) -> None:
    """Maker–checker, the other answer: the checker refuses the request with a comment.
    The request is cleared (the maker fixes the draft and asks again), the comment stays
    on the edition for the maker to read, and the maker is told."""
    if edition.requested_by_id is None:
        require(by, "request_publication", edition)  # who may act at all, then: nothing to answer
        raise InvalidTransition(_l("No publication request is waiting for approval."))
    require(by, "approve_publication", edition)
    comment = (comment or "").strip()
    if not comment:
        raise ValidationFailed(errors={"comment": [_l("Say what the requester should change.")]})
    if len(comment) > 2000:
        raise ValidationFailed(errors={"comment": [_l("Keep the comment within 2,000 characters.")]})
    maker = edition.requested_by
    before = {"requested_by": maker.name, "requested_at": edition.requested_at}
    edition.requested_by_id = edition.requested_at = None
    edition.sent_back_by_id, edition.sent_back_at, edition.sent_back_note = by.id, utcnow(), comment
    db.session.flush()
    audit.record("edition.send_back", edition, by=by, before=before, note=comment)
    notify([maker], "edition_publication_sent_back",
           {"year": edition.year, "period": edition.period, "by": by.name, "comment": comment},
           link=f"/editions/{edition.key}/compile")


def awaiting_approval(user) -> list[Edition]:
    """Draft editions whose publication request this admin may approve (the checker's
    to-do list; never the admin's own requests)."""
    if not can(user, "compile", Edition(status=EditionStatus.draft)):
        return []
    return list(db.session.scalars(
        sa.select(Edition).where(Edition.status == EditionStatus.draft,
                                 Edition.requested_by_id.is_not(None),
                                 Edition.requested_by_id != user.id)
        .options(selectinload(Edition.requested_by))
        .order_by(Edition.requested_at, Edition.id)))


def _refuse_if_red(edition: Edition, live: dict[int, dict] | None = None) -> None:
    if not edition.items:
        raise ValidationFailed(_l("An edition needs at least one item."))
    red = red_count(check_readiness(edition, live))
    if red:
        raise ValidationFailed(_l("%(n)d readiness flag(s) are still red: fix or justify them first.", n=red))


def publish_edition(edition: Edition, *, by: User) -> Edition:
    """Publish a draft in the caller's transaction (flush only; the caller commits).

    With REQUIRE_SECOND_APPROVAL on, `by` must be a second admin approving a request
    made by another admin (request_publication)."""
    require(by, "publish", edition)
    if current_app.config.get("REQUIRE_SECOND_APPROVAL"):
        if edition.requested_by_id is None:
            raise InvalidTransition(_l("A second administrator must approve this publication: request it first."))
        if edition.requested_by_id == by.id:
            raise InvalidTransition(_l("You requested this publication: another administrator must approve it."))
    latest = latest_published()
    if latest is not None and (latest.year, latest.period) > (edition.year, edition.period):
        raise InvalidTransition(_l("A later edition is already published."))
    live = live_data(edition)  # each snapshot built once, for the checks and to freeze
    _refuse_if_red(edition, live)

    _freeze(edition, live)
    # One UPDATE and one INSERT of their audit entries, in the order of the items.
    items = sorted(edition.items, key=lambda i: i.seq)
    move_all([i.need for i in items if i.need.status is NeedStatus.approved], NeedStatus.listed,
             by=by, note=edition.title_zh)
    db.session.flush()

    for older in db.session.scalars(sa.select(Edition).where(
            Edition.status == EditionStatus.published, Edition.id != edition.id)):
        move(older, EditionStatus.superseded, by=by)
    if current_app.config.get("REQUIRE_SECOND_APPROVAL"):
        edition.published_by_id, edition.approved_by_id = edition.requested_by_id, by.id
    else:
        edition.published_by_id = by.id
    edition.published_at = utcnow()
    move(edition, EditionStatus.published, by=by, note=edition.correction_note)
    edition.changelog = changelog(edition)
    db.session.flush()
    # After the commit, outside the request: the four files, and the notices with each
    # reader's saved-search matches (both jobs; the edition is live at once).
    request_files(edition)
    request_notices(edition)
    return edition


def _freeze(edition: Edition, live: dict[int, dict]) -> None:
    """Each item's marker, snapshot and denormalised columns, written in one UPDATE of
    all the items (executemany) rather than a flush of each; the objects in memory are
    given the same values as committed ones."""
    previous_ids = previous_need_ids(edition)
    db.session.flush()  # pending edits of the items go first
    held = _instruments_held(edition)
    rows, changed = [], []
    for item in edition.items:
        marker = ItemMarker.carried if item.need_id in previous_ids else ItemMarker.new
        data = live.get(item.id) or build_snapshot(item.need, seq=item.seq, marker=marker)
        if data["marker"] != marker.value:
            data = {**data, "marker": marker.value}
        values = {"marker": marker, "snapshot": data, **denormalised(data)}
        for key, value in values.items():
            set_committed_value(item, key, value)
        rows.append({"item_id": item.id, **values})
        if held.get(item.id, set()) != set(data["instruments"]):
            changed.append((item, data["instruments"]))
    table = EditionItem.__table__
    if rows:
        db.session.execute(sa.update(table).where(table.c.id == sa.bindparam("item_id")), rows)
    _replace_instruments(changed)


def _instruments_held(edition: Edition) -> dict[int, set[str]]:
    """Per item id, the instruments of its filter rows (read as plain rows)."""
    table = EditionItemInstrument.__table__
    held: dict[int, set[str]] = {}
    for item_id, instrument in db.session.execute(
            sa.select(table.c.item_id, table.c.instrument).join(EditionItem, EditionItem.id == table.c.item_id)
            .where(EditionItem.edition_id == edition.id)):
        held.setdefault(item_id, set()).add(instrument.value)
    return held


def _replace_instruments(changed: list[tuple[EditionItem, list[str]]]) -> None:
    """The filter rows of the items whose need changed its instruments since compiling:
    one DELETE and one INSERT for all of them."""
    if not changed:
        return
    table = EditionItemInstrument.__table__
    db.session.execute(sa.delete(table).where(table.c.item_id.in_([item.id for item, _ in changed])))
    db.session.execute(sa.insert(table), [{"item_id": item.id, "instrument": Instrument(value)}
                                          for item, values in changed for value in dict.fromkeys(values)])
    for item, _ in changed:
        db.session.expire(item, ["instrument_rows"])


def create_correction(edition: Edition, note: str, *, by: User) -> Edition:
    """A new draft revision of a published edition, with the same items."""
    require(by, "correct", edition)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(errors={"correction_note": [_l("Explain what the correction changes.")]})
    latest = db.session.scalar(sa.select(sa.func.max(Edition.revision)).where(
        Edition.year == edition.year, Edition.period == edition.period))
    if latest != edition.revision:
        raise InvalidTransition(_l("A newer revision of this edition already exists."))
    draft = Edition(year=edition.year, period=edition.period, revision=edition.revision + 1,
                    status=EditionStatus.draft, correction_note=note, previous_id=edition.previous_id,
                    compiled_by_id=by.id, sort_order=edition.sort_order)
    db.session.add(draft)
    flush_unique(REVISION_TAKEN)  # the row alone, before loading the items could flush it
    for item in sorted(edition.items, key=lambda i: i.seq):
        copy = EditionItem(need_id=item.need_id, seq=item.seq, marker=item.marker,
                           justifications=dict(item.justifications or {}))
        draft.items.append(copy)
        denormalise(copy, item.snapshot)
    db.session.flush()
    audit.record("edition.correct", draft, by=by, after={"revision": draft.revision}, note=note)
    return draft


