"""Lists show how many rows the filters match and their total amount, over the whole
filtered result (not just the page shown), in the one formatter's words."""

from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.services import editions
from tests import factories
from tests.conftest import login


@pytest.fixture
def one_per_page(app):
    app.config["PER_PAGE"] = 1  # restored by the app fixture


def _projects(org):
    """Three projects; two in 龙泉驿区 (510112) with 12,000 + 8,500.50 万元."""
    a = factories.make_project(org=org, total_investment=Decimal("12000.00"))
    b = factories.make_project(org=org, total_investment=Decimal("8500.50"))
    c = factories.make_project(org=org, total_investment=Decimal("30000.00"),
                               code="2026-510104-48-01-999999", district_code="510104")
    return a, b, c


def test_project_list_counts_and_totals_the_filtered_result(client, owner, one_per_page):
    _projects(owner.org)
    db.session.commit()
    login(client, owner)
    page = client.get("/projects/?district=510112").get_data(as_text=True)
    assert "共 2 个项目，总投资合计 2.05 亿元" in page
    page = client.get("/projects/").get_data(as_text=True)
    assert "共 3 个项目，总投资合计 5.05 亿元" in page


def test_need_list_and_review_queue_count_and_total(client, owner, admin, one_per_page):
    a, b, c = _projects(owner.org)
    factories.make_need(a, status=NeedStatus.submitted, amount=Decimal("6000.00"),
                        funds_secured=Decimal("0"))
    factories.make_need(b, status=NeedStatus.submitted, amount=Decimal("2500.50"),
                        funds_secured=Decimal("0"))
    factories.make_need(c, status=NeedStatus.draft, amount=Decimal("20000.00"))
    db.session.commit()
    login(client, owner)
    page = client.get("/needs/?district=510112").get_data(as_text=True)
    assert "共 2 项融资需求，拟融资金额合计 8,500.50 万元" in page
    page = client.get("/needs/").get_data(as_text=True)
    assert "共 3 项融资需求，拟融资金额合计 2.85 亿元" in page
    login(client, admin)
    page = client.get("/needs/review").get_data(as_text=True)  # submitted ones only
    assert "共 2 项融资需求，拟融资金额合计 8,500.50 万元" in page


def test_edition_page_counts_and_totals_the_filtered_items(client, admin, owner_org, one_per_page):
    for amount, name in (("12000", "成都地铁30号线一期工程"), ("8000", "天府新区污水处理厂"),
                         ("500.25", "龙泉驿区城市道路工程")):
        project = factories.make_project(org=owner_org, name=name)
        factories.make_need(project, status=NeedStatus.approved, amount=Decimal(amount),
                            funds_secured=Decimal("40000.00"))  # capital in place: ready
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    page = client.get("/editions/2026-6").get_data(as_text=True)
    assert "共 3 项，融资需求合计 2.05 亿元" in page
    page = client.get("/editions/2026-6?q=工程").get_data(as_text=True)
    assert "共 2 项，融资需求合计 1.25 亿元" in page
