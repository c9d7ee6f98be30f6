"""Edition pages: reading, contacts and their audit, caching and query counts, the
compile workflow, saved searches and the publish command."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy import event

from app.extensions import cache, db
from app.models import AuditEntry, Edition, EditionStatus, NeedStatus, Role, SavedSearch
from app.services import editions, exports
from tests import factories
from tests.conftest import login as _login


def forget_user():
    """Tests run inside one app context, whose `g` outlives a request: drop the user
    Flask-Login cached there so the next request loads whoever is logged in now."""
    g.pop("_login_user", None)
    g.pop("unread", None)


def login(client, user):
    forget_user()
    return _login(client, user)

READY = dict(funds_secured=Decimal("40000.00"))


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


def ready_need(org, **project_kw):
    return factories.make_need(factories.make_project(org=org, **project_kw), status=NeedStatus.approved, **READY)


def publish(admin, year=2026, period=6):
    edition = editions.open_draft(year, period, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


@pytest.fixture
def edition(admin, owner_org):
    ready_need(owner_org, name="成都地铁30号线一期工程")
    ready_need(owner_org, name="天府新区污水处理厂")
    return publish(admin)


@contextmanager
def count_queries():
    counter = {"n": 0, "statements": []}

    def before(conn, cursor, statement, parameters, context, executemany):
        counter["n"] += 1
        counter["statements"].append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


# ---- reading --------------------------------------------------------------------------
def test_index_lists_published_editions_and_hides_drafts(client, admin, edition, owner_org):
    ready_need(owner_org)
    editions.open_draft(2026, 5, by=admin)  # an older period, still a draft
    db.session.commit()
    page = client.get("/editions/").get_data(as_text=True)
    assert "/editions/2026-6" in page and "compile" not in page
    login(client, admin)
    assert "/editions/2026-5/compile" in client.get("/editions/").get_data(as_text=True)


def test_edition_page_shows_items_without_contacts(client, edition):
    response = client.get("/editions/2026-6")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "成都地铁30号线一期工程" in page and "天府新区污水处理厂" in page
    assert "张伟" not in page and "028-12345678" not in page
    assert client.get("/editions/2026-5").status_code == 404
    assert client.get("/editions/2026-7").status_code == 404


def test_filters_and_chinese_search_on_the_page(client, edition):
    page = client.get("/editions/2026-6?q=污").get_data(as_text=True)
    assert "天府新区污水处理厂" in page and "成都地铁30号线一期工程" not in page
    page = client.get("/editions/2026-6?q=地铁30").get_data(as_text=True)
    assert "成都地铁30号线一期工程" in page and "天府新区污水处理厂" not in page


@pytest.mark.parametrize(("who", "sees"), [
    ("anonymous", False), ("other_owner", False), ("unverified_institution", False),
    ("institution", True), ("expert", True), ("admin", True), ("owner", True),
])
def test_contacts_only_for_allowed_readers_and_audited(request, client, edition, who, sees):
    if who != "anonymous":
        login(client, request.getfixturevalue(who))
    page = client.get("/editions/2026-6/items/1").get_data(as_text=True)
    assert ("028-12345678" in page) is sees
    assert "成都地铁30号线一期工程" in page or "天府新区污水处理厂" in page
    audits = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "edition_item.view_contact")).all()
    assert len(audits) == (1 if sees else 0)


def test_anonymous_page_is_cached_and_files_download(client, app, edition):
    first = client.get("/editions/2026-6").get_data(as_text=True)
    with count_queries() as counter:
        second = client.get("/editions/2026-6").get_data(as_text=True)
    assert second.count("成都地铁30号线一期工程") == first.count("成都地铁30号线一期工程") == 1
    assert counter["n"] == 0  # served from the cache
    assert 'name="csrf_token" value="__cp' not in second  # the visitor's own token is swapped in
    for fmt, start in (("pdf", b"%PDF"), ("xlsx", b"PK"), ("json", b"{")):
        response = client.get(f"/editions/2026-6.{fmt}")
        assert response.status_code == 200 and response.data.startswith(start)
        assert client.get(f"/editions/2026-6.{fmt}", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert client.get("/editions/2026-6.doc").status_code == 404


def _publish_many(admin, n, year, period):
    project = factories.make_project(org=factories.make_org())
    for _ in range(n):
        factories.make_need(project, status=NeedStatus.approved, funds_secured=Decimal("40000.00"),
                            amount=Decimal("100.00"))
    edition = editions.open_draft(year, period, by=admin)
    for item in edition.items:  # many needs of one project: accepted for this test
        item.justifications = {"duplicate": {"reason": "同一项目的多笔需求"}}
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


def test_query_count_does_not_grow_with_items(app, admin, institution):
    small = _publish_many(admin, 10, 2026, 5)
    big = _publish_many(admin, 500, 2026, 6)
    assert (len(small.items), len(big.items)) == (10, 510)
    counts = {}
    for who in ("anonymous", "institution"):
        client = app.test_client()
        forget_user()
        if who == "institution":
            login(client, institution)
        for edition in (small, big):
            url = f"/editions/{edition.key}?instrument=project_loan"
            client.get(url)
            cache.clear()  # measure the rendering
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            counts[who, edition.key] = counter["n"]
    assert counts["anonymous", "2026-5"] == counts["anonymous", "2026-6"]
    assert counts["institution", "2026-5"] == counts["institution", "2026-6"]


def test_compile_publish_and_correct_through_the_pages(client, admin, owner_org):
    need = ready_need(owner_org, name="锦城湖配套道路")
    bad = factories.make_need(factories.make_project(org=owner_org, name="资本金不足项目"),
                              status=NeedStatus.approved, funds_secured=Decimal("1000.00"))
    db.session.commit()
    login(client, admin)

    response = client.post("/editions/compile", data={"year": 2026, "period": 6})
    assert response.headers["Location"].endswith("/editions/2026-6/compile")
    page = client.get("/editions/2026-6/compile").get_data(as_text=True)
    assert "锦城湖配套道路" in page and "cp-flag-red" in page and f"/needs/{bad.id}" in page
    assert "锦城湖配套道路" in client.get("/editions/2026-6/preview").get_data(as_text=True)

    client.post("/editions/2026-6/publish")
    assert db.session.scalars(sa.select(Edition)).one().status is EditionStatus.draft  # red flag
    item = next(i for i in db.session.scalars(sa.select(Edition)).one().items if i.need_id == bad.id)
    client.post(f"/editions/2026-6/items/{item.id}/justify", data={"code": "capital_ratio", "reason": "专项债已到位"})
    assert "专项债已到位" in client.get("/editions/2026-6/compile").get_data(as_text=True)
    response = client.post("/editions/2026-6/publish")
    assert response.status_code == 302
    db.session.expire_all()
    edition = db.session.scalars(sa.select(Edition)).one()
    assert edition.status is EditionStatus.published and need.status is NeedStatus.listed

    client.post("/editions/2026-6/correct", data={"correction_note": "更正锦城湖配套道路的金额"})
    client.post("/editions/2026-6/publish")
    page = client.get("/editions/2026-6").get_data(as_text=True)
    assert "更正锦城湖配套道路的金额" in page
    old = client.get("/editions/2026-6?rev=1").get_data(as_text=True)
    assert "锦城湖配套道路" in old and "更正锦城湖配套道路的金额" not in old


@pytest.mark.parametrize("who", ["anonymous", "owner", "institution"])
def test_compile_pages_are_for_admins_only(request, client, edition, who):
    if who != "anonymous":
        login(client, request.getfixturevalue(who))
    response = client.post("/editions/2026-6/correct", data={"correction_note": "x"})
    assert response.status_code in (302, 403) and (who != "anonymous" or "/login" in response.headers["Location"])
    assert db.session.scalar(sa.select(sa.func.count(Edition.id))) == 1


def test_maker_checker_through_the_pages(app, client, admin, gov_org, owner_org):
    app.config["REQUIRE_SECOND_APPROVAL"] = True
    second = factories.make_user(gov_org, Role.admin, email="admin2@test.cn")
    ready_need(owner_org)
    editions.open_draft(2026, 6, by=admin)
    db.session.commit()
    login(client, admin)
    client.post("/editions/2026-6/request-publication")
    client.post("/editions/2026-6/publish")  # one's own request: refused
    assert db.session.scalars(sa.select(Edition)).one().status is EditionStatus.draft
    login(client, second)
    client.post("/editions/2026-6/publish")
    db.session.expire_all()
    assert db.session.scalars(sa.select(Edition)).one().approved_by_id == second.id


def test_saved_searches_pages(client, institution, other_owner, edition):
    login(client, institution)
    page = client.get("/editions/2026-6?district=510112").get_data(as_text=True)
    assert "Save search" in page or "保存" in page
    client.post("/editions/saved", data={"name": "武侯区", "email": "y", "district": "510112",
                                         "next": "/editions/2026-6?district=510112"})
    search = db.session.scalars(sa.select(SavedSearch)).one()
    assert search.filters == {"district": "510112"} and search.email
    assert "武侯区" in client.get("/editions/saved").get_data(as_text=True)
    client.post(f"/editions/saved/{search.id}/email", data={})
    db.session.expire_all()
    assert db.session.get(SavedSearch, search.id).email is False

    login(client, other_owner)
    assert client.post(f"/editions/saved/{search.id}/delete").status_code in (403, 404)
    login(client, institution)
    client.post(f"/editions/saved/{search.id}/delete")
    assert db.session.scalar(sa.select(sa.func.count(SavedSearch.id))) == 0


def test_publish_command(runner, admin, owner_org):
    ready_need(owner_org)
    db.session.commit()
    result = runner.invoke(args=["editions", "publish", "2026", "6", "--admin", admin.email])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(sa.select(Edition)).one().status is EditionStatus.published
