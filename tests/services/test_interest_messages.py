"""The conversation of an interest: between its institution and the need's owner, files
under the upload rules, unread counts per side, notices to the other side only."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, Interest, NeedStatus, Notification
from app.reference import OrgKind
from app.services import attachments, interests
from app.services.errors import NotAllowed, NotFound, ValidationFailed
from app.services.permissions import can
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def interest(owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000"))
    return factories.make_interest(need, institution)


@pytest.fixture
def other_bank(app):
    return factories.make_user(factories.make_org(OrgKind.bank), email="other-bank@test.cn")


def _kinds(user):
    return [n.kind for n in db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))]


def test_each_side_reads_what_the_other_wrote_and_is_told(interest, institution, owner):
    interests.post_message(institution, interest, "请提供项目可研批复。")
    interests.post_message(institution, interest, "以及近三年财务报表。")
    assert interests.unread_count(owner, interest) == 2
    assert interests.unread_count(institution, interest) == 0
    assert _kinds(owner) == ["interest_message", "interest_message"] and _kinds(institution) == []
    interests.mark_read(owner, interest)
    assert interests.unread_count(owner, interest) == 0
    interests.post_message(owner, interest, "已上传，请查收。", files=[("可研批复.pdf", PDF)])
    assert interests.unread_count(institution, interest) == 1
    assert [m.side.value for m in interests.thread(owner, interest)] == ["institution", "institution", "owner"]


def test_a_message_does_not_make_the_offer_form_stale(interest, institution, owner):
    version = interest.version
    interests.post_message(owner, interest, "欢迎来访")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Interest, interest.id).version == version


def test_files_of_a_message_go_to_the_two_sides_and_admins_only(interest, institution, owner, admin,
                                                                  other_bank, other_owner, expert):
    message = interests.post_message(owner, interest, "", files=[("可研批复.pdf", PDF)])
    att = db.session.scalars(sa.select(Attachment).where(Attachment.message_id == message.id)).one()
    for user in (institution, owner, admin):
        assert can(user, "view", att)
    for user in (other_bank, other_owner, expert):
        assert not can(user, "view", att)
        with pytest.raises(NotFound):
            attachments.open_attachment(att, by=user)
    assert not can(owner, "delete", att)


def test_a_bad_file_or_an_empty_message_stores_nothing(interest, owner):
    with pytest.raises(ValidationFailed) as caught:
        interests.post_message(owner, interest, "", files=[("报表.exe", b"MZ\x90\x00")])
    assert "file" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        interests.post_message(owner, interest, "  ")
    assert list(caught.value.errors) == ["body"]


def test_only_the_two_sides_write(interest, admin, other_bank, expert):
    with pytest.raises(NotAllowed):
        interests.post_message(admin, interest, "你好")
    for user in (other_bank, expert):
        with pytest.raises(NotFound):
            interests.post_message(user, interest, "你好")
