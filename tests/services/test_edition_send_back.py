"""Maker–checker: the checker sends a publication request back with a comment, and sees
the requests awaiting their approval."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, EditionStatus, NeedStatus, Notification, Role
from app.services import editions
from app.services.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from tests import factories
from tests.services.test_editions import ready_need

COMMENT = "第3项资本金证明未附，请补充后重新申请。"


@pytest.fixture
def requested(app, admin, owner_org):
    """A draft whose publication `admin` (the maker) requested."""
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    ready_need(owner_org)
    draft = editions.open_draft(2026, 6, by=admin)
    editions.request_publication(draft, by=admin)
    db.session.commit()
    return draft


@pytest.fixture
def checker(gov_org):
    return factories.make_user(gov_org, Role.admin, email="checker@test.cn", name="复核员")


def _state(edition):
    db.session.refresh(edition)
    return (edition.requested_by_id, edition.sent_back_by_id, edition.sent_back_note)


def test_checker_sends_back_with_a_comment(requested, admin, checker):
    editions.send_back_publication(requested, f"  {COMMENT} ", by=checker)
    db.session.commit()

    assert requested.requested_by_id is None and requested.requested_at is None  # the request is cleared
    assert (requested.sent_back_by_id, requested.sent_back_note) == (checker.id, COMMENT)
    assert requested.sent_back_at is not None and requested.status is EditionStatus.draft
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "edition.send_back")).one()
    assert (entry.actor_id, entry.object_id, entry.note) == (checker.id, requested.id, COMMENT)
    assert entry.before["requested_by"] == admin.name
    [note] = db.session.scalars(sa.select(Notification).where(
        Notification.kind == "edition_publication_sent_back")).all()
    assert note.user_id == admin.id and note.params["comment"] == COMMENT
    assert note.link == "/editions/2026-6/compile"
    # Nobody can approve a request that no longer exists...
    with pytest.raises(InvalidTransition):
        editions.publish_edition(requested, by=checker)
    # ... until the maker asks again, which clears the old refusal.
    editions.request_publication(requested, by=admin)
    assert _state(requested) == (admin.id, None, None)


@pytest.mark.parametrize("comment", ["", "   ", None, "长" * 2001])
def test_a_comment_is_required_and_bounded(requested, admin, checker, comment):
    with pytest.raises(ValidationFailed) as refused:
        editions.send_back_publication(requested, comment, by=checker)
    assert "comment" in refused.value.errors
    db.session.rollback()
    assert _state(requested) == (admin.id, None, None)


def test_the_maker_cannot_send_back_their_own_request(requested, admin):
    with pytest.raises(NotAllowed):
        editions.send_back_publication(requested, COMMENT, by=admin)
    db.session.rollback()
    assert _state(requested) == (admin.id, None, None)


@pytest.mark.parametrize("who", ["owner", "institution", "expert"])
def test_non_admins_cannot_send_back(request, requested, admin, who):
    with pytest.raises(NotFound):  # a draft edition does not exist for them
        editions.send_back_publication(requested, COMMENT, by=request.getfixturevalue(who))
    db.session.rollback()
    assert _state(requested) == (admin.id, None, None)


def test_nothing_to_send_back_without_a_request(app, admin, checker, owner_org):
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    ready_need(owner_org)
    draft = editions.open_draft(2026, 6, by=admin)
    with pytest.raises(InvalidTransition):
        editions.send_back_publication(draft, COMMENT, by=checker)


def test_awaiting_approval_lists_other_admins_requests(requested, admin, checker, owner, owner_org):
    ready_need(owner_org, status=NeedStatus.approved)
    unrequested = editions.open_draft(2026, 5, by=admin)
    db.session.commit()
    assert editions.awaiting_approval(checker) == [requested]
    assert unrequested not in editions.awaiting_approval(checker)
    assert editions.awaiting_approval(admin) == []  # never one's own request
    assert editions.awaiting_approval(owner) == []
    editions.send_back_publication(requested, COMMENT, by=checker)
    assert editions.awaiting_approval(checker) == []
