"""Labels first users tripped over: 名称 (not 姓名) for organisations and saved searches; the
saved-search e-mail switch is a toggle column; filter chips take the Chinese colon; the
save-search panel follows the filter form; a correction's notice says 更正; the industry
filter offers the industries of the edition only."""

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import NeedStatus, Notification, SavedSearch
from app.reference import industry_choices
from app.services import editions, exports
from app.services.notifications import render
from tests import factories
from tests.views.test_editions_views import login

READY = dict(funds_secured=Decimal("40000.00"))


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def _publish(admin, owner_org, industries=("48", "78")):
    for code in industries:
        project = factories.make_project(org=owner_org, industry_code=code, district_code="510104")
        factories.make_need(project, status=NeedStatus.approved, **READY)
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


def _thead(page: str, marker: str) -> str:
    table = page[page.index(marker):]
    return table[table.index("<thead"):table.index("</thead>")]


def test_organisations_are_listed_by_name_not_by_person_name(client, admin, owner_org):
    login(client, admin)
    page = client.get("/admin/organizations").get_data(as_text=True)
    head = _thead(page, "<table")
    assert ">单位名称<" in head and "姓名" not in head
    assert "成都城投建设有限公司" in page


def test_people_keep_their_name_label(client, admin, owner):
    login(client, admin)
    head = _thead(client.get("/admin/users").get_data(as_text=True), "<table")
    assert ">姓名<" in head


def test_saved_searches_name_chips_and_e_mail_toggle(client, institution):
    on = editions.save_search(institution, name="锦江区项目", filters=editions.Filters.from_args(
        {"district": "510104", "instrument": "project_loan"}))
    off = editions.save_search(institution, name="全部项目", filters=editions.Filters(), email=False)
    db.session.commit()
    login(client, institution)
    page = client.get("/editions/saved").get_data(as_text=True)
    head = _thead(page, "<table")
    assert ">订阅名称<" in head and "姓名" not in head and ">邮件提醒<" in head
    assert "所属区（市）县：锦江区" in page and "融资方式：项目贷款" in page
    assert not re.search(r"[\u4e00-\u9fff]: ", page)  # no ASCII colon after a Chinese label
    # the e-mail switch: a checkbox toggle per row, on or off, that posts its new state
    switches = re.findall(r'<input class="form-check-input" type="checkbox" role="switch"[^>]*>', page)
    assert len(switches) == 2
    assert "checked" in switches[0] and "checked" not in switches[1]
    assert f'action="/editions/saved/{on.id}/email"' in page
    client.post(f"/editions/saved/{on.id}/email", data={})  # unticked: the box sends nothing
    client.post(f"/editions/saved/{off.id}/email", data={"email": "y"})
    assert db.session.get(SavedSearch, on.id).email is False
    assert db.session.get(SavedSearch, off.id).email is True


def test_save_search_panel_follows_the_filter_form(client, admin, owner_org, institution):
    _publish(admin, owner_org)
    login(client, institution)
    page = client.get("/editions/2026-6?district=510104").get_data(as_text=True)
    filters_end = page.index("</form>", page.index('role="search"'))
    save = page.index('action="/editions/saved"')
    assert filters_end < save < page.index("cp-edition-table")
    panel = page[save:page.index("</form>", save)]
    assert '<input type="hidden" name="district" value="510104">' in panel


def test_industry_filter_offers_the_industries_of_the_edition(client, admin, owner_org):
    _publish(admin, owner_org, industries=("48", "78"))
    page = client.get("/editions/2026-6").get_data(as_text=True)
    select = page[page.index('id="f-industry"'):]
    select = select[:select.index("</select>")]
    offered = re.findall(r'<option value="([^"]*)"', select)
    assert offered == ["", "48", "78"]
    assert len(industry_choices()) > 90  # all divisions exist; only two are offered


def test_correction_notice_and_e_mail_say_it_is_a_correction(admin, owner_org, institution, expert, mailbox):
    editions.save_search(institution, name="锦江区项目", filters=editions.Filters.from_args({"district": "510104"}))
    first = _publish(admin, owner_org)
    draft = editions.create_correction(first, "更正第1项的融资金额", by=admin)
    editions.publish_edition(draft, by=admin)
    db.session.commit()
    notes = db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    latest = {n.user_id: n for n in notes}
    assert latest[institution.id].kind == "edition_corrected_matches"
    assert latest[expert.id].kind == "edition_corrected"
    title, body = render(latest[expert.id].kind, latest[expert.id].params)
    assert "更正" in title and "第2版" in title and "更正说明：更正第1项的融资金额" in body
    title, body = render(latest[institution.id].kind, latest[institution.id].params)
    assert "更正" in title and "锦江区项目" in body
    mails = mailbox.to("expert@test.cn")
    assert len(mails) == 2
    assert "更正" not in mails[0]["Subject"] and "更正" in mails[1]["Subject"]
    assert "更正第1项的融资金额" in mailbox.body(mails[1])


def test_a_label_follows_the_language_even_within_one_request(app):
    """Labels are translated once per request and language: a part rendered in another
    language (an e-mail, an export) still gets that language's label."""
    from flask_babel import force_locale

    from app.reference import Level, label

    with app.test_request_context("/?lang=en"):
        assert label(Level.municipal) == "Municipal key project"
        with force_locale("zh"):
            assert label(Level.municipal) == "市重点项目"
        assert label(Level.municipal) == "Municipal key project"
    with app.app_context(), app.test_request_context("/"):  # the next request: a context of its own
        assert label(Level.municipal) == "市重点项目"
