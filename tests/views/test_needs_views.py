"""Financing need pages: create and edit through the form, the detail page (contacts,
history, buttons), the life-cycle buttons, the lists and the admin's review queue."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus, Notification
from app.reference import CreditEnhancement, Instrument, Level
from app.services import needs
from tests import factories
from tests.conftest import login as _login


def login(client, user):
    """Log in as `user`, also after another user in the same test: every request of a test
    shares the fixture's app context, where Flask-Login caches the user."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("unread", None)
    return _login(client, user)


def form_data(**overrides) -> dict:
    data = {
        "amount": "52000.50", "instruments": ["project_loan", "bond"], "term_months": "180",
        "cost_ceiling": "4.35", "use_of_funds": "主线桥梁及互通立交建设",
        "credit_enhancements": ["pledge", "guarantee"], "funds_secured": "12000",
        "contact_name": "李娜", "contact_phone": "028-87654321", "contact_email": "lina@example.cn",
    }
    data.update(overrides)
    return data


def get_need(need_id) -> FinancingNeed:
    db.session.expire_all()
    return db.session.get(FinancingNeed, need_id)


def count_needs() -> int:
    return db.session.scalar(sa.select(sa.func.count(FinancingNeed.id)))


# ---- create and edit ---------------------------------------------------------------------------
def test_owner_creates_a_need_through_the_form(client, owner):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/projects/{project.id}/needs/new").get_data(as_text=True)
    assert 'type="checkbox"' in page and 'value="project_loan"' in page
    response = client.post(f"/projects/{project.id}/needs/new", data=form_data())
    assert response.status_code == 302
    need = db.session.scalars(sa.select(FinancingNeed)).one()
    assert response.headers["Location"].endswith(f"/needs/{need.id}")
    assert need.status is NeedStatus.draft and need.project_id == project.id
    assert need.amount == Decimal("52000.50") and need.funds_secured == Decimal("12000.00")
    assert need.instruments == [Instrument.project_loan, Instrument.bond]
    assert need.enhancements == [CreditEnhancement.pledge, CreditEnhancement.guarantee]
    assert (need.term_months, need.cost_ceiling, need.contact_name) == (180, Decimal("4.35"), "李娜")
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "alert-success" in detail and "5.2 亿元" in detail and "028-87654321" in detail


@pytest.mark.parametrize("overrides,field", [
    ({"instruments": []}, "instruments"),
    ({"amount": "999999999"}, "amount"),  # above the project's total investment
    ({"amount": "10.555"}, "amount"),
    ({"funds_secured": "60000"}, "funds_secured"),
    ({"term_months": "0"}, "term_months"),
    ({"contact_email": "not-an-address"}, "contact_email"),
    ({"instruments": ["project_loan", "magic_money"]}, "instruments"),
])
def test_invalid_need_input_is_shown_and_kept(client, owner, overrides, field):
    project = factories.make_project(org=owner.org)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/projects/{project.id}/needs/new", data=form_data(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "主线桥梁及互通立交建设" in page  # the input is kept
    assert "invalid-feedback" in page
    assert count_needs() == 0


def test_edit_through_the_form(client, owner):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}/edit").get_data(as_text=True)
    assert f'value="{need.version}"' in page and "checked" in page
    response = client.post(f"/needs/{need.id}/edit", data=form_data(version=str(need.version),
                                                                      instruments=["equity"]))
    assert response.status_code == 302
    need = get_need(need.id)
    assert need.instruments == [Instrument.equity] and need.amount == Decimal("52000.50")
    assert need.status is NeedStatus.draft


def test_editing_an_approved_need_sends_it_back_for_review(client, owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.approved)
    db.session.commit()
    login(client, owner)
    client.get("/?lang=en")
    response = client.post(f"/needs/{need.id}/edit", data=form_data(version=str(need.version)),
                           follow_redirects=True)
    assert "goes back to the administrator for review" in response.get_data(as_text=True)
    assert get_need(need.id).status is NeedStatus.submitted


def test_a_stale_edit_keeps_the_input_and_says_why(client, owner):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    opened_at = need.version
    login(client, owner)
    client.get(f"/needs/{need.id}/edit?lang=en")
    needs.update_need(need, factories.need_data(term_months=24), version=opened_at, by=owner)
    db.session.commit()
    response = client.post(f"/needs/{need.id}/edit", data=form_data(version=str(opened_at),
                                                                      use_of_funds="我的用途说明"))
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Someone else changed this financing need after you opened it" in page
    assert "我的用途说明" in page
    need = get_need(need.id)
    assert need.term_months == 24 and need.use_of_funds == "主体工程建设"


# ---- who sees what -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["other_owner", "institution", "expert", "unverified_institution"])
def test_a_draft_of_another_organisation_is_not_found(client, request, owner, role):
    need = factories.make_need(org=owner.org, status=NeedStatus.draft)
    db.session.commit()
    login(client, request.getfixturevalue(role))
    assert client.get(f"/needs/{need.id}").status_code == 404
    assert client.get(f"/needs/{need.id}/edit").status_code == 404
    assert client.post(f"/needs/{need.id}/submit").status_code == 404
    assert client.get(f"/projects/{need.project_id}/needs/new").status_code == 404
    assert get_need(need.id).status is NeedStatus.draft


def test_an_institution_sees_listed_needs_with_contacts(client, owner, institution):
    listed = factories.make_need(org=owner.org, status=NeedStatus.listed, contact_phone="028-11112222")
    draft = factories.make_need(org=owner.org, status=NeedStatus.draft)
    db.session.commit()
    login(client, institution)
    page = client.get(f"/needs/{listed.id}").get_data(as_text=True)
    assert "028-11112222" in page
    assert f"/needs/{listed.id}/edit" not in page and "/submit" not in page and "/approve" not in page
    assert 'id="history"' not in page  # reviewers' notes are between owner and admins
    listing = client.get("/needs/").get_data(as_text=True)
    assert f"/needs/{listed.id}\"" in listing and f"/needs/{draft.id}\"" not in listing


def test_an_unverified_institution_sees_no_contacts(client, owner, unverified_institution):
    listed = factories.make_need(org=owner.org, status=NeedStatus.listed, contact_phone="028-11112222",
                                 contact_email="secret@example.cn")
    db.session.commit()
    login(client, unverified_institution)
    response = client.get(f"/needs/{listed.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "028-11112222" not in page and "secret@example.cn" not in page and "张伟" not in page


def test_owners_list_their_own_needs_and_admins_all(client, owner, other_owner, admin):
    mine = factories.make_need(org=owner.org)
    theirs = factories.make_need(org=other_owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get("/needs/").get_data(as_text=True)
    assert f"/needs/{mine.id}\"" in page and f"/needs/{theirs.id}\"" not in page
    login(client, admin)
    page = client.get("/needs/").get_data(as_text=True)
    assert f"/needs/{mine.id}\"" in page and f"/needs/{theirs.id}\"" in page


@pytest.mark.parametrize("query,expected", [
    ("status=submitted", {"b"}),
    ("instrument=bond", {"b"}),
    ("instrument=project_loan", {"a", "c"}),
    ("district=510104", {"c"}),
    ("q=桥梁", {"a"}),
    ("q=000555", {"c"}),
    ("", {"a", "b", "c"}),
])
def test_need_list_filters(client, owner, query, expected):
    made = {
        "a": factories.make_need(project=factories.make_project(org=owner.org, name="桥梁工程")),
        "b": factories.make_need(org=owner.org, status=NeedStatus.submitted, instruments=[Instrument.bond]),
        "c": factories.make_need(project=factories.make_project(
            org=owner.org, district_code="510104", code="2026-510104-48-01-000555")),
    }
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/?{query}").get_data(as_text=True)
    assert {k for k, n in made.items() if f"/needs/{n.id}\"" in page} == expected


# ---- life-cycle buttons ------------------------------------------------------------------------------
def test_owner_submits_and_admin_approves_through_the_pages(client, owner, admin):
    need = factories.make_need(org=owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/needs/{need.id}/submit" in page and f"/needs/{need.id}/approve" not in page
    assert client.get(f"/needs/{need.id}/submit").status_code == 405  # POST only
    response = client.post(f"/needs/{need.id}/submit")
    assert response.status_code == 302
    assert get_need(need.id).status is NeedStatus.submitted

    login(client, admin)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert f"/needs/{need.id}/approve" in page and f"/needs/{need.id}/return" in page
    assert f"/needs/{need.id}/submit" not in page
    response = client.post(f"/needs/{need.id}/approve", data={"comment": "材料齐全"}, follow_redirects=True)
    assert response.status_code == 200 and "alert-success" in response.get_data(as_text=True)
    assert get_need(need.id).status is NeedStatus.approved
    page = response.get_data(as_text=True)
    assert "材料齐全" in page and 'id="history"' in page  # the review history


def test_return_without_a_comment_says_so_and_changes_nothing(client, owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.submitted)
    db.session.commit()
    login(client, admin)
    client.get("/?lang=en")
    response = client.post(f"/needs/{need.id}/return", data={"comment": "  "}, follow_redirects=True)
    assert "Say what the owner should change." in response.get_data(as_text=True)
    assert get_need(need.id).status is NeedStatus.submitted
    assert db.session.scalar(sa.select(sa.func.count(Notification.id))) == 0


def test_return_with_a_comment_shows_it_to_the_owner(client, owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.submitted)
    db.session.commit()
    login(client, admin)
    client.post(f"/needs/{need.id}/return", data={"comment": "请补充项目资本金到位证明"})
    assert get_need(need.id).status is NeedStatus.returned
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "请补充项目资本金到位证明" in page and f"/needs/{need.id}/submit" in page


def test_approving_a_draft_is_refused(client, owner, admin):
    need = factories.make_need(org=owner.org, status=NeedStatus.draft)
    db.session.commit()
    login(client, admin)
    response = client.post(f"/needs/{need.id}/approve", headers={"Referer": f"/needs/{need.id}"},
                           follow_redirects=True)
    assert "alert-danger" in response.get_data(as_text=True)
    assert get_need(need.id).status is NeedStatus.draft


@pytest.mark.parametrize("role,path,status", [
    ("owner", "approve", 403), ("owner", "return", 403),
    ("institution", "withdraw", 403), ("admin", "withdraw", 403), ("admin", "submit", 403),
])
def test_a_step_by_the_wrong_person_is_forbidden(client, request, owner, role, path, status):
    start = NeedStatus.listed if path == "withdraw" else NeedStatus.submitted
    if path == "submit":
        start = NeedStatus.draft
    need = factories.make_need(org=owner.org, status=start)
    db.session.commit()
    login(client, request.getfixturevalue(role))
    assert client.post(f"/needs/{need.id}/{path}", data={"comment": "x"}).status_code == status
    assert get_need(need.id).status is start


def test_owner_withdraws_with_a_reason(client, owner):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed)
    db.session.commit()
    login(client, owner)
    client.post(f"/needs/{need.id}/withdraw", data={"comment": "已通过自有资金解决"})
    need = get_need(need.id)
    assert need.status is NeedStatus.withdrawn and need.closed_at is not None
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert "已通过自有资金解决" in page and f"/needs/{need.id}/withdraw" not in page


# ---- the review queue ------------------------------------------------------------------------------
@pytest.fixture
def queue(owner, other_owner):
    def need(org, submitted, status=NeedStatus.submitted, **project):
        made = factories.make_need(project=factories.make_project(org=org, **project), status=status)
        made.submitted_at = submitted
        return made

    made = {
        "old": need(owner.org, datetime(2026, 1, 5, 2, tzinfo=UTC), name="老项目", level=Level.provincial),
        "new": need(other_owner.org, datetime(2026, 3, 20, 2, tzinfo=UTC), name="新项目",
                    district_code="510104", code="2026-510104-48-01-000321"),
        "mid": need(owner.org, datetime(2026, 2, 10, 2, tzinfo=UTC), name="中间项目"),
        "draft": factories.make_need(org=owner.org),
        "approved": need(owner.org, datetime(2026, 2, 1, tzinfo=UTC), status=NeedStatus.approved),
    }
    made["mid"].set_instruments([Instrument.abs_reits])
    db.session.commit()
    return made


def shown(page: str, made: dict) -> list:
    """The keys of `made` shown on page, in the order they appear."""
    found = [(page.find(f"/needs/{n.id}\""), k) for k, n in made.items()]
    return [k for pos, k in sorted(found) if pos >= 0]


@pytest.mark.parametrize("query,expected", [
    ("", ["old", "mid", "new"]),  # submitted only, oldest first
    ("status=approved", ["approved"]),
    ("status=", ["old", "approved", "mid", "new"]),  # every status that was submitted
    ("district=510104", ["new"]),
    ("level=provincial", ["old"]),
    ("instrument=abs_reits", ["mid"]),
    ("submitted_from=2026-02-01&submitted_to=2026-02-28", ["mid"]),
    ("submitted_to=2026-01-05", ["old"]),
    ("q=其他业主", ["new"]),  # the owner organisation's name
    ("q=000321", ["new"]),  # the project code
    ("q=中间", ["mid"]),  # the project name
])
def test_review_queue_filters(client, admin, queue, query, expected):
    login(client, admin)
    response = client.get(f"/needs/review?{query}")
    assert response.status_code == 200
    assert shown(response.get_data(as_text=True), queue) == expected


@pytest.mark.parametrize("role", ["owner", "institution", "expert"])
def test_the_review_queue_is_for_admins_only(client, request, role):
    login(client, request.getfixturevalue(role))
    assert client.get("/needs/review").status_code == 403


@pytest.mark.parametrize("lang,shown", [("zh", "项目贷款、银团贷款"), ("en", "Project loan, Syndicated loan")])
def test_instruments_are_enumerated_in_the_reader_s_language(client, owner, lang, shown):
    factories.make_need(org=owner.org)  # project loan and syndicated loan
    db.session.commit()
    login(client, owner)
    assert shown in client.get(f"/needs/?lang={lang}").get_data(as_text=True)
