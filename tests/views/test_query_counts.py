"""A list page costs the same number of SQL statements whether it shows 2 rows or a
full page: no query per row (N+1)."""

import pytest

from app.extensions import db
from app.models import NeedStatus
from app.reference import OrgKind
from app.services import audit
from app.services.notifications import notify
from tests import factories
from tests.conftest import login


def _fill(owner, n):
    """n projects, each with a submitted need, and n organisations with a user each."""
    for _ in range(n):
        need = factories.make_need(org=owner.org, status=NeedStatus.submitted)
        audit.record("financing_need.submitted", need, by=owner)
        factories.make_user(factories.make_org(OrgKind.owner))
    notify([owner] * n, "need_approved", {"project": "项目", "org": "单位", "amount": "1"}, email=False)
    db.session.commit()


PAGES = [
    ("owner", "/projects/"),
    ("owner", "/needs/"),
    ("owner", "/notifications/"),
    ("admin", "/projects/"),
    ("admin", "/needs/"),
    ("admin", "/needs/review"),
    # every filter of the lists at once: still no statement per row
    ("owner", "/needs/?q=项目&status=submitted&instrument=project_loan&district=510112&level=municipal"
              "&min_amount=1&max_amount=99999&sort=amount_desc"),
    ("admin", "/needs/review?q=项目&instrument=project_loan&district=510112&level=municipal"
              "&min_amount=1&submitted_from=2020-01-01&sort=updated"),
    ("owner", "/projects/?q=项目&level=municipal&category=infrastructure&district=510112"
              "&stage=under_construction&industry=48&sort=amount_asc"),
    ("admin", "/projects/?industry=48&sort=newest"),
    ("admin", "/admin/organizations"),
    ("admin", "/admin/users"),
    ("admin", "/admin/audit"),
    ("owner", "/"),
    ("admin", "/"),
    ("institution", "/"),
]


@pytest.mark.parametrize("who,url", PAGES)
def test_list_pages_cost_the_same_for_few_and_many_rows(request, client, owner, admin, institution, count_queries,
                                                        who, url):
    user = request.getfixturevalue(who)
    login(client, user)

    def statements():
        with count_queries() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    _fill(owner, 2)
    few = statements()
    assert "cp-filter-errors" not in client.get(url).get_data(as_text=True)  # every filter applied
    _fill(owner, 18)
    many = statements()
    assert many == few, f"{url}: {few} statements for a few rows, {many} for many"


def test_edition_page_costs_the_same_for_few_and_many_items_cached_or_not(app, admin, institution, count_queries):
    """Rendered, the page reads its items once; from the cache, not at all."""
    from decimal import Decimal

    from app.extensions import cache
    from app.services import editions, exports

    exports_pdf, exports.edition_pdf = exports.edition_pdf, lambda meta, items: b"%PDF-1.7 test"
    try:
        for period, n in ((5, 3), (6, 40)):
            project = factories.make_project(org=factories.make_org())
            for _ in range(n):
                factories.make_need(project, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
            edition = editions.open_draft(2026, period, by=admin)
            for item in edition.items:  # many needs of one project: accepted for this test
                item.justifications = {"duplicate": {"reason": "同一项目的多笔需求"}}
            editions.publish_edition(edition, by=admin)
            db.session.commit()
    finally:
        exports.edition_pdf = exports_pdf
    client = app.test_client()
    login(client, institution)
    counts = {}
    for key in ("2026-5", "2026-6"):
        for state in ("rendered", "cached"):
            if state == "rendered":
                cache.clear()
            with count_queries() as counter:
                assert client.get(f"/editions/{key}").status_code == 200
            counts[key, state] = counter.count
    assert counts["2026-5", "rendered"] == counts["2026-6", "rendered"]
    assert counts["2026-5", "cached"] == counts["2026-6", "cached"] < counts["2026-6", "rendered"]
