"""The administrators' follow-up pages: financing outcomes (with their Excel file), the
coverage of listed needs and the reasons for refusal; nobody else opens them."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import InterestStatus, NeedStatus, RejectionReason
from app.reference import OrgKind
from app.services import editions, exports
from tests import factories
from tests.conftest import login

READY = dict(funds_secured=Decimal("40000.00"))
PAGES = ("/admin/financing", "/admin/financing?by=institution", "/admin/financing/coverage",
         "/admin/financing/coverage?unanswered=1&days=0", "/admin/financing/refusals",
         "/admin/financing/refusals?side=owner", "/admin/financing.xlsx")


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def _listed(admin, owner_org, n, period=5):
    needs = [factories.make_need(factories.make_project(org=owner_org, name=f"城市更新项目{period}-{i + 1}"),
                                 status=NeedStatus.approved, amount=Decimal("1000.00"), **READY)
             for i in range(n)]
    edition = editions.open_draft(2026, period, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return needs, edition


def _deals(needs, edition):
    bank = factories.make_user(factories.make_org(OrgKind.bank, name="成都农商银行"))
    for i, need in enumerate(needs):
        if i % 3 == 0:
            factories.make_interest(need, bank, InterestStatus.funded, credit_amount=Decimal("800.00"),
                                    disbursed=[("300.00", edition.published_at.date())],
                                    created_at=edition.published_at + timedelta(days=1))
        elif i % 3 == 1:
            factories.make_interest(need, bank, InterestStatus.rejected, rejection_reason=RejectionReason.permits,
                                    contacted_at=edition.published_at, closed_at=edition.published_at)
            factories.make_follow(need, bank)
    db.session.commit()
    return bank


def test_the_outcomes_page_shows_the_reported_figures(client, admin, owner_org):
    needs, edition = _listed(admin, owner_org, 3)
    _deals(needs, edition)
    login(client, admin)
    page = client.get("/admin/financing").get_data(as_text=True)
    assert 'data-figure="listed">3<' in page
    assert 'data-figure="contacted">2<' in page and 'data-figure="contact_rate">66.67%<' in page
    assert 'data-figure="credited">1<' in page and 'data-figure="credit_rate">33.33%<' in page
    assert "融资对接成效" in page and "接单率" in page
    by_institution = client.get("/admin/financing?by=institution").get_data(as_text=True)
    assert "成都农商银行" in by_institution


def test_the_outcomes_spreadsheet_reads_back(client, admin, owner_org):
    needs, edition = _listed(admin, owner_org, 3)
    _deals(needs, edition)
    login(client, admin)
    response = client.get("/admin/financing.xlsx?by=district")
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "融资对接成效（按所属区（市）县）"
    assert rows[1][:3] == ("所属区（市）县", "已发布需求", "融资需求金额（万元）")
    total = rows[-1]
    assert total[0] == "合计" and total[1] == 3 and total[5] == 2
    assert total[6] == pytest.approx(66.67)
    assert isinstance(total[8], (int, float)) and total[8] == pytest.approx(800.0)


def test_coverage_narrows_to_needs_nobody_took_up(client, admin, owner_org):
    needs, edition = _listed(admin, owner_org, 3)
    _deals(needs, edition)
    login(client, admin)
    everything = client.get("/admin/financing/coverage").get_data(as_text=True)
    assert all(f'id="need-{n.id}"' in everything for n in needs)
    assert f'id="need-{needs[1].id}" data-interests="1" data-followers="1"' in everything
    unanswered = client.get("/admin/financing/coverage?unanswered=1&days=0").get_data(as_text=True)
    assert f'id="need-{needs[2].id}"' in unanswered
    assert f'id="need-{needs[0].id}"' not in unanswered and f'id="need-{needs[1].id}"' not in unanswered


def test_coverage_refuses_a_day_count_that_is_not_one_and_keeps_it(client, admin, owner_org):
    _listed(admin, owner_org, 1)
    login(client, admin)
    page = client.get("/admin/financing/coverage?unanswered=1&days=十").get_data(as_text=True)
    assert "请输入整数。" in page
    assert 'value="十"' in page and "is-invalid" in page


def test_refusals_list_the_reasons(client, admin, owner_org):
    needs, edition = _listed(admin, owner_org, 3)
    _deals(needs, edition)
    login(client, admin)
    page = client.get("/admin/financing/refusals").get_data(as_text=True)
    assert 'data-reason="permits"' in page and "手续不全" in page and needs[1].project.name in page
    assert needs[1].project.name not in client.get("/admin/financing/refusals?side=owner").get_data(as_text=True)


@pytest.mark.parametrize("who", ["owner", "institution", "expert"])
def test_only_administrators_open_the_follow_up_pages(client, who, request):
    login(client, request.getfixturevalue(who))
    for path in PAGES:
        assert client.get(path).status_code == 403, path


def test_the_follow_up_pages_cost_the_same_for_few_and_many_needs(client, admin, owner_org, count_queries):
    def costs():
        counts = {}
        for path in PAGES:
            with count_queries() as counter:
                assert client.get(path).status_code == 200, path
            counts[path] = counter.count
        return counts

    login(client, admin)
    needs, edition = _listed(admin, owner_org, 3, period=4)
    _deals(needs, edition)
    few = costs()
    more, later = _listed(admin, owner_org, 12, period=5)
    _deals(more, later)
    assert costs() == few
