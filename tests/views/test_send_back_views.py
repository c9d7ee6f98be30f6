"""Maker–checker through the pages: the checker sends a publication request back with a
comment, the maker reads it on the compile page, and the checker's home page lists what
awaits their approval (待复核)."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, Edition, Notification, Role
from app.services import editions
from tests import factories
from tests.conftest import login
from tests.services.test_editions import ready_need
from tests.views.test_auth_views import html

COMMENT = "第3项资本金证明未附，请补充后重新申请。"
URL = "/editions/2026-6/send-back"


@pytest.fixture
def requested(app, admin, owner_org):
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    ready_need(owner_org)
    draft = editions.open_draft(2026, 6, by=admin)
    editions.request_publication(draft, by=admin)
    db.session.commit()
    return draft


@pytest.fixture
def checker(gov_org):
    return factories.make_user(gov_org, Role.admin, email="checker@test.cn", name="复核员")


def _edition():
    db.session.expire_all()
    return db.session.scalars(sa.select(Edition)).one()


def test_checker_sends_back_and_the_maker_reads_the_comment(client, requested, admin, checker):
    login(client, checker)
    compile_page = html(client.get("/editions/2026-6/compile"))
    assert "退回申请人" in compile_page and "需要申请人修改哪些内容？" in compile_page

    response = client.post(URL, data={"comment": COMMENT})
    assert response.status_code == 302 and response.location.endswith("/editions/2026-6/compile?rev=1")
    edition = _edition()
    assert edition.requested_by_id is None and edition.sent_back_note == COMMENT
    assert "发布申请已连同复核意见退回" in html(client.get(response.location))
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "edition.send_back", AuditEntry.actor_id == checker.id)) == 1

    login(client, admin)
    page = html(client.get("/editions/2026-6/compile"))
    assert "复核员 已于" in page and "退回发布申请" in page and f"复核意见：{COMMENT}" in page
    assert "申请发布" in page  # the maker can ask again
    inbox = html(client.get("/notifications/"))
    assert "2026年第6期融资需求清单的发布申请已被退回" in inbox and COMMENT in inbox
    assert db.session.scalar(sa.select(Notification.user_id).where(
        Notification.kind == "edition_publication_sent_back")) == admin.id


def test_an_empty_comment_is_refused_in_place(client, requested, admin, checker):
    login(client, checker)
    response = client.post(URL, data={"comment": "   "})
    page = html(response)
    assert response.status_code == 422
    assert "请填写退回意见，说明需要申请人修改的内容。" in page
    assert "<details class=\"cp-send-back w-100\" open>" in page  # the form is open on its error
    edition = _edition()
    assert edition.requested_by_id == admin.id and edition.sent_back_note is None


def test_an_over_long_comment_is_refused_and_kept(client, requested, admin, checker):
    login(client, checker)
    text = "需补充材料" * 401  # 2,005 characters
    page = html(client.post(URL, data={"comment": text}))
    assert "退回意见不得超过 2000 字。" in page and text in page
    assert _edition().requested_by_id == admin.id


def test_the_maker_cannot_send_back_their_own_request(client, requested, admin):
    login(client, admin)
    assert "退回申请人" not in html(client.get("/editions/2026-6/compile"))
    assert client.post(URL, data={"comment": COMMENT}).status_code == 403
    edition = _edition()
    assert edition.requested_by_id == admin.id and edition.sent_back_note is None


@pytest.mark.parametrize("who", ["owner", "institution", "expert"])
def test_non_admins_cannot_send_back(request, client, requested, admin, who):
    login(client, request.getfixturevalue(who))
    assert client.post(URL, data={"comment": COMMENT}).status_code == 403
    assert _edition().requested_by_id == admin.id


def test_anonymous_is_sent_to_login(client, requested):
    response = client.post(URL, data={"comment": COMMENT})
    assert response.status_code == 302 and "/login" in response.location


def test_without_a_request_there_is_nothing_to_send_back(client, app, admin, checker, owner_org):
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    ready_need(owner_org)
    editions.open_draft(2026, 6, by=admin)
    db.session.commit()
    login(client, checker)
    response = client.post(URL, data={"comment": COMMENT}, headers={"Referer": "/editions/2026-6/compile"})
    assert response.status_code == 302
    assert "没有待复核的发布申请。" in html(client.get(response.location))
    assert _edition().sent_back_note is None


def test_the_checkers_home_page_lists_what_awaits_approval(client, requested, admin, checker):
    login(client, checker)
    home = html(client.get("/"))
    assert "待复核" in home and "2026年第6期（11–12月） · 第1版" in home
    assert 'href="/editions/2026-6/compile?rev=1"' in home
    login(client, admin)  # the maker's own request is not theirs to approve
    assert "待复核" not in html(client.get("/"))

    login(client, checker)
    client.post(URL, data={"comment": COMMENT})
    assert "待复核" not in html(client.get("/"))
