"""List pages: the users filter picks an organisation by name; every list is a table the
stylesheet turns into cards on phones, with its filters behind a button that counts them."""

import re

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.reference import OrgKind
from tests import factories
from tests.conftest import login
from tests.services.test_editions import ready_need
from tests.views.test_auth_views import html


def emails(page: str) -> set[str]:
    return set(re.findall(r"[\w.]+@[\w.]+\.cn", page))


@pytest.fixture
def banks(app):
    chengdu = factories.make_user(factories.make_org(OrgKind.bank, name="成都银行股份有限公司", short_name="成都银行"),
                                  email="a@cdbank.cn")
    rural = factories.make_user(factories.make_org(OrgKind.bank, name="成都农村商业银行股份有限公司",
                                                   short_name="成都农商银行"), email="b@rcbank.cn")
    owner = factories.make_user(factories.make_org(OrgKind.owner, name="成都轨道交通集团有限公司"),
                                email="c@metro.cn")
    db.session.commit()
    return chengdu, rural, owner


def test_users_filter_offers_organisation_names(client, admin, banks):
    login(client, admin)
    page = html(client.get("/admin/users"))
    assert 'list="org-names"' in page and "单位ID" not in page
    assert '<option value="成都银行股份有限公司">成都银行</option>' in page
    assert '<option value="成都轨道交通集团有限公司">' in page


@pytest.mark.parametrize("name,expected", [
    ("成都银行股份有限公司", {"a@cdbank.cn"}),  # picked from the list
    ("成都银行", {"a@cdbank.cn"}),  # a short name is one organisation too
    (" 成都农商银行 ", {"b@rcbank.cn"}),
    ("银行", {"a@cdbank.cn", "b@rcbank.cn"}),  # part of the names
    ("成都", {"a@cdbank.cn", "b@rcbank.cn", "c@metro.cn"}),
    ("不存在的单位", set()),
])
def test_users_filter_by_organisation_name(client, admin, banks, name, expected):
    login(client, admin)
    response = client.get("/admin/users", query_string={"org": name})
    assert response.status_code == 200
    page = html(response)
    found = emails(page) & {"a@cdbank.cn", "b@rcbank.cn", "c@metro.cn"}
    assert found == expected
    assert f'value="{name}"' in page  # the filter keeps what was typed


def test_users_filter_names_the_one_organisation_it_picked(client, admin, banks):
    login(client, admin)
    page = html(client.get("/admin/users?org=成都银行"))
    assert "<h1>用户 · 成都银行</h1>" in page


def test_a_link_with_the_id_shows_the_organisations_name(client, admin, banks):
    chengdu, _rural, _owner = banks
    login(client, admin)
    page = html(client.get(f"/admin/users?org_id={chengdu.org_id}"))
    assert emails(page) & {"a@cdbank.cn", "b@rcbank.cn", "c@metro.cn"} == {"a@cdbank.cn"}
    assert 'name="org" type="text" value="成都银行股份有限公司"' in page
    assert "筛选条件（1）" in page  # one filter, not two


@pytest.fixture
def listed(admin, owner_org, app, monkeypatch):
    from app.services import editions, exports

    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")
    ready_need(owner_org, project_kw=dict(district_code="510104"))
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


def test_edition_filters_button_counts_the_active_filters(client, listed):
    page = html(client.get("/editions/2026-6"))
    assert re.search(r'data-bs-target="#edition-filters"[^>]*>\s*筛选条件\s*</button>', page)
    assert 'class="cp-filters row g-2 align-items-end collapse" id="edition-filters"' in page
    page = html(client.get("/editions/2026-6?district=510104&level=municipal&q=工程&sort=amount_desc"))
    assert re.search(r'data-bs-target="#edition-filters"[^>]*>\s*筛选条件（3）\s*</button>', page)


@pytest.mark.parametrize("who,url,filters,count", [
    ("owner", "/needs/", {"status": "submitted", "district": "510112"}, 2),
    ("admin", "/needs/review", {"q": "测试"}, 2),  # the queue shows the submitted needs by default
    ("owner", "/projects/", {"level": "municipal"}, 1),
    ("admin", "/admin/users", {"role": "owner", "status": "active"}, 2),
    ("admin", "/admin/organizations", {}, 0),
])
def test_list_pages_are_card_tables_with_a_filters_button(request, client, owner, admin, who, url, filters, count):
    factories.make_need(org=owner.org, status=NeedStatus.submitted)
    db.session.commit()
    login(client, request.getfixturevalue(who))
    page = html(client.get(url, query_string=filters))
    assert re.search(r'<table class="[^"]*\bcp-cards\b', page)
    assert 'class="cp-card-title' in page or 'cp-card-title"' in page
    label = f"筛选条件（{count}）" if count else "筛选条件"
    assert re.search(rf'class="btn [^"]*cp-filters-toggle"[^>]*>\s*{label}\s*</button>', page), label


def test_owner_names_are_one_line_with_the_full_name_as_tooltip(client, listed, owner_org):
    page = html(client.get("/editions/2026-6"))
    assert f'<span class="cp-truncate" title="{owner_org.name}">{owner_org.name}</span>' in page


def test_compile_page_items_are_cards_on_phones(client, admin, owner_org):
    from app.services import editions

    ready_need(owner_org)
    editions.open_draft(2026, 6, by=admin)
    db.session.commit()
    login(client, admin)
    page = html(client.get("/editions/2026-6/compile"))
    assert '<table class="table table-sm align-middle cp-cards">' in page
    assert re.search(r'<td class="cp-card-title">测试重点项目\d+号', page)


def test_a_filter_with_an_error_stays_unfolded_on_phones(client, owner):
    login(client, owner)
    page = html(client.get("/needs/", query_string={"q": "长" * 101}))
    assert 'collapse show" id="need-filters"' in page
    assert re.search(r'data-bs-target="#need-filters" aria-expanded="true"', page)
    page = html(client.get("/needs/", query_string={"q": "成都"}))
    assert 'collapse" id="need-filters"' in page and 'aria-expanded="false"' in page



def test_an_edition_filter_with_an_error_stays_unfolded_on_phones(client, listed):
    page = html(client.get("/editions/2026-6?min_amount=-5"))
    assert 'collapse show" id="edition-filters"' in page
    assert re.search(r'data-bs-target="#edition-filters" aria-expanded="true"', page)
    assert "金额不能为负数。" in page
