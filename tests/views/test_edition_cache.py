"""The rendered parts of published edition pages are shared between readers
(app/editions/fragments.py): each reader must still get exactly the page rendered for
them, whoever filled the cache before, and a new revision shows at once."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import redis
import sqlalchemy as sa
from flask import g

from app.extensions import cache, db
from app.models import NeedStatus, UserSession
from app.models.base import utcnow
from app.services import accounts, editions, exports, page_cache
from app.services.notifications import notify
from tests import factories
from tests.conftest import login as _login

READERS = ("anonymous", "owner", "other_owner", "institution", "unverified_institution", "expert", "admin")
CONTACT_LINK = "/selection-contacts."
TOKEN = re.compile(r'name="csrf_token" (type="hidden" )?value="[^"]*"')


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    monkeypatch.setattr(exports, "edition_pdf", lambda meta, items: b"%PDF-1.7 test")


@pytest.fixture
def edition(admin, owner_org):
    for name, amount in (("成都地铁30号线一期工程", "1200.00"), ("天府新区污水处理厂", "800.00"),
                         ("东部新区供水管网", "300.00")):
        factories.make_need(factories.make_project(org=owner_org, name=name), status=NeedStatus.approved,
                            funds_secured=Decimal("40000.00"), amount=Decimal(amount))
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


def as_reader(request, app, who):
    """A client of its own for `who` (the test's app context caches the user in g)."""
    g.pop("_login_user", None)
    g.pop("unread", None)
    client = app.test_client()
    if who != "anonymous":
        _login(client, request.getfixturevalue(who))
    return client


def page(client, url="/editions/2026-6"):
    g.pop("_login_user", None)
    g.pop("unread", None)
    response = client.get(url)
    assert response.status_code == 200
    return TOKEN.sub("csrf", response.get_data(as_text=True))


@pytest.mark.parametrize("who", READERS)
def test_each_reader_gets_their_own_page_whoever_filled_the_cache(request, app, edition, who):
    url = "/editions/2026-6?instrument=project_loan"
    clients = {name: as_reader(request, app, name) for name in READERS}
    own = page(clients[who], url)  # rendered for this reader alone
    cache.clear()
    for other in READERS:  # every audience fills the cache first
        if other != who:
            page(clients[other], url)
    assert page(clients[who], url) == own


def test_the_public_never_gets_contact_downloads_cached_for_a_verified_reader(request, app, edition):
    institution = as_reader(request, app, "institution")
    anonymous = as_reader(request, app, "anonymous")
    assert CONTACT_LINK in page(institution)
    public = page(anonymous)
    assert CONTACT_LINK not in public and "028-12345678" not in public and "张伟" not in public
    # and the other way round: a verified reader still gets them after the public
    cache.clear()
    assert CONTACT_LINK not in page(anonymous)
    assert CONTACT_LINK in page(institution)


def test_saved_search_form_and_token_stay_the_readers_own(request, app, edition):
    first, second = as_reader(request, app, "institution"), as_reader(request, app, "expert")
    app.config["WTF_CSRF_ENABLED"] = True
    tokens = []
    for client in (first, second):
        g.pop("_login_user", None)
        html = client.get("/editions/2026-6").get_data(as_text=True)
        assert "cp-save-search" in html
        tokens.append(re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)[1])
    assert tokens[0] != tokens[1]
    assert "cp-save-search" not in page(as_reader(request, app, "anonymous"))


def test_filters_and_pages_are_part_of_the_key(request, app, edition):
    client = as_reader(request, app, "institution")
    assert "天府新区污水处理厂" in page(client) and "成都地铁30号线一期工程" in page(client)
    filtered = page(client, "/editions/2026-6?q=污水")
    assert "天府新区污水处理厂" in filtered and "成都地铁30号线一期工程" not in filtered
    app.config["PER_PAGE"] = 1
    cache.clear()
    firsts = page(client, "/editions/2026-6?sort=amount_desc"), page(client, "/editions/2026-6?sort=amount_desc&page=2")
    assert "成都地铁30号线一期工程" in firsts[0] and "成都地铁30号线一期工程" not in firsts[1]
    assert "天府新区污水处理厂" in firsts[1]


def test_languages_get_their_own_parts(request, app, edition):
    client = as_reader(request, app, "institution")
    assert "序号" in page(client)
    english = page(client, "/editions/2026-6?lang=en")
    assert "No." in english and "序号" not in english
    assert "序号" in page(client, "/editions/2026-6?lang=zh")


@pytest.mark.parametrize("who", ["anonymous", "institution"])
def test_a_correction_shows_at_once(request, app, admin, edition, who):
    client = as_reader(request, app, who)
    assert "更正" not in page(client)
    administrator = as_reader(request, app, "admin")
    administrator.post("/editions/2026-6/correct", data={"correction_note": "更正东部新区供水管网的金额"})
    assert administrator.post("/editions/2026-6/publish").status_code == 302
    current = page(client)
    assert "更正东部新区供水管网的金额" in current
    old = page(client, "/editions/2026-6?rev=1")
    assert "cp-superseded" in old and "更正东部新区供水管网的金额" not in old


def test_a_later_edition_updates_the_banner_of_the_one_it_supersedes(request, app, admin, owner_org, edition):
    client = as_reader(request, app, "institution")
    assert "cp-superseded" not in page(client)
    factories.make_need(factories.make_project(org=owner_org, name="龙泉山城市森林公园"), status=NeedStatus.approved,
                        funds_secured=Decimal("40000.00"))
    later = editions.open_draft(2027, 1, by=admin)
    editions.publish_edition(later, by=admin)
    db.session.commit()
    page_cache.new_generation()  # as the publish page and command do after their commit
    assert "cp-superseded" in page(client) and "/editions/2027-1" in page(client)


def test_cached_page_reads_no_items(request, app, edition, count_queries):
    client = as_reader(request, app, "institution")
    page(client)
    with count_queries() as counter:
        page(client)
    assert not any("edition_item" in s for s in counter.statements)


@pytest.fixture
def redis_cache(app):
    """The app's cache in Redis (database 5, this suite's own), as with REDIS_URL set."""
    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache.init_app(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": url, "CACHE_KEY_PREFIX": "cp-test:"})
    yield url
    redis.Redis.from_url(url).flushdb()
    cache.init_app(app, config={"CACHE_TYPE": "SimpleCache"})


def test_parts_are_shared_through_redis(request, app, edition, redis_cache, count_queries):
    client = as_reader(request, app, "institution")
    first = page(client)
    keys = redis.Redis.from_url(redis_cache).keys("cp-test:edition-parts:*")
    assert len(keys) == 1
    with count_queries() as counter:
        assert page(client) == first
    assert not any("edition_item" in s for s in counter.statements)
    assert CONTACT_LINK not in page(as_reader(request, app, "anonymous"))


# ---- whole pages of signed-in readers --------------------------------------------------------
def test_a_signed_in_readers_page_is_kept_whole_and_reads_only_the_session(request, app, edition, count_queries):
    client = as_reader(request, app, "institution")
    first = page(client)
    with count_queries() as counter:
        assert page(client) == first
    assert counter.count == 1  # the session, its user, organisation and unread count
    assert "user_session" in counter.statements[0] and "notification" in counter.statements[0]


def test_a_kept_page_still_shows_a_new_notification_and_a_new_name(request, app, edition, institution):
    client = as_reader(request, app, "institution")
    assert 'aria-label="1 条未读"' not in page(client)
    notify([institution], "need_approved", {"project": "项目", "org": "单位", "amount": "1"}, email=False)
    db.session.commit()
    assert 'aria-label="1 条未读"' in page(client)
    institution.name = "新任客户经理"
    db.session.commit()
    assert "新任客户经理" in page(client)


def test_a_kept_page_is_never_served_after_logout_deactivation_or_idle_time(request, app, admin, edition,
                                                                            institution):
    client = as_reader(request, app, "institution")
    assert institution.name in page(client)
    copied = app.test_client()  # the same cookie, kept by someone else
    copied.set_cookie("session", client.get_cookie("session").value)
    client.post("/logout")
    g.pop("_login_user", None)
    assert institution.name not in copied.get("/editions/2026-6").get_data(as_text=True)

    client = as_reader(request, app, "institution")
    assert institution.name in page(client)
    accounts.deactivate_user(institution, reason="调离岗位", by=admin)
    db.session.commit()
    g.pop("_login_user", None)
    assert institution.name not in client.get("/editions/2026-6").get_data(as_text=True)

    accounts.reactivate_user(institution, by=admin)
    db.session.commit()
    client = as_reader(request, app, "institution")
    assert institution.name in page(client)
    db.session.execute(sa.update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db.session.commit()
    g.pop("_login_user", None)
    response = client.get("/editions/2026-6")
    assert response.status_code == 302 and response.location.startswith("/login")


def test_the_csrf_token_of_a_kept_page_is_the_visitors_own_and_accepted(request, app, edition, institution):
    app.config["WTF_CSRF_ENABLED"] = True
    tokens = []
    for _ in range(2):  # two sessions of one user: the second gets the page the first filled
        client = as_reader(request, app, "institution")
        g.pop("_login_user", None)
        html = client.get("/editions/2026-6").get_data(as_text=True)
        assert "__cp_" not in html
        tokens.append(set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)))
        assert len(tokens[-1]) == 1  # the header's forms and the saved-search form
    assert tokens[0] != tokens[1]
    g.pop("_login_user", None)
    response = client.post("/editions/saved", data={"csrf_token": tokens[1].pop(), "name": "轨道交通",
                                           "next": "/editions/2026-6"})
    assert response.status_code == 302
    assert [s.name for s in editions.user_searches(institution)] == ["轨道交通"]


def test_a_page_with_a_message_is_not_kept(request, app, edition):
    client = as_reader(request, app, "institution")
    with client.session_transaction() as sess:
        sess["_flashes"] = [("success", "已保存")]
    assert "已保存" in page(client)
    assert "已保存" not in page(client)
