"""为您推荐 keeps the listed needs' facts and rankings between requests (services/
recommendations.py, KeptRankings): whatever changes what is listed or scored, or the
institution's profile, shows on the very next request, in this process and in another
sharing the Redis cache."""

import re
from decimal import Decimal

import pytest
import redis
import sqlalchemy as sa
from flask import g

from app.extensions import cache, db
from app.models import FinancingNeed, NeedStatus
from app.reference import Instrument
from app.services import editions, needs, preferences
from tests import factories
from tests.conftest import login
from tests.views.test_matching_views import PROFILE, keep, listed, scores
from tests.views.test_security import sibling_app

REDIS_URL = "redis://127.0.0.1:6379/7"


def ranked(client, url="/recommendations") -> list[tuple[int, int]]:
    """(need id, score) of each row, best first."""
    g.pop("_login_user", None)
    g.pop("unread", None)
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<a href="/needs/(\d+)">', html)]
    return list(zip(ids, scores(html), strict=True))


@pytest.fixture
def world(client, institution, owner_org):
    best = listed(owner_org)  # 100
    far = listed(owner_org, district="510104", industry="01")  # 60
    keep(institution)
    login(client, institution)
    assert ranked(client) == [(best.id, 100), (far.id, 60)]
    return best, far


def test_a_listed_needs_amount_changed_in_place_is_scored_anew(client, world):
    best, far = world
    best.amount = Decimal("80000.00")  # slightly above the preferred maximum: 90
    db.session.commit()
    assert ranked(client) == [(best.id, 90), (far.id, 60)]
    db.session.execute(sa.update(FinancingNeed).where(FinancingNeed.id == best.id)
                       .values(amount=Decimal("200000.00")))  # far above: 80
    db.session.commit()
    assert ranked(client) == [(best.id, 80), (far.id, 60)]


def test_an_owners_amount_edit_takes_the_need_off_the_list_at_once(client, world, owner):
    best, far = world
    data = {**factories.need_data(amount=Decimal("55000.00"))}
    needs.update_need(best, data, version=best.version, by=owner)
    db.session.commit()
    assert best.status is NeedStatus.submitted  # back in review: no longer listed
    assert ranked(client) == [(far.id, 60)]


def test_instruments_and_the_projects_place_are_scored_anew(client, world):
    best, far = world
    best.set_instruments([Instrument.bond])  # neither the instrument nor its family: 80
    db.session.commit()
    assert ranked(client) == [(best.id, 80), (far.id, 60)]
    far.project.district_code = "510112"  # now in the preferred district: 75
    db.session.commit()
    assert ranked(client) == [(best.id, 80), (far.id, 75)]


def test_a_need_leaving_the_list_and_a_new_publication_show_at_once(client, world, admin, owner, owner_org):
    best, far = world
    needs.withdraw_need(far, by=owner, reason="已通过其他渠道解决")
    db.session.commit()
    assert ranked(client) == [(best.id, 100)]

    fresh = factories.make_need(factories.make_project(org=owner_org, district_code="510112", industry_code="48"),
                                status=NeedStatus.approved, funds_secured=Decimal("40000.00"),
                                amount=Decimal("30000.00"))
    db.session.commit()
    assert ranked(client) == [(best.id, 100)]  # approved is not yet listed
    editions.publish_edition(editions.open_draft(2026, 6, by=admin), by=admin)
    db.session.commit()
    assert db.session.get(FinancingNeed, fresh.id).status is NeedStatus.listed
    assert sorted(ranked(client)) == sorted([(best.id, 100), (fresh.id, 100)])


def test_a_profile_change_and_the_filters_show_at_once(client, world, institution):
    best, far = world
    profile = preferences.get_profile(institution.org)
    preferences.save_profile(institution.org, {**PROFILE, "districts": ["510104"], "industries": ["01"]},
                             version=profile.version, by=institution)
    db.session.commit()
    assert ranked(client) == [(far.id, 100), (best.id, 60)]
    assert ranked(client, "/recommendations?district=510112") == [(best.id, 60)]
    assert ranked(client, "/recommendations?min_score=61") == [(far.id, 100)]
    assert ranked(client, "/recommendations?industry=A&min_score=100") == [(far.id, 100)]
    assert ranked(client, "/recommendations?instrument=bond") == []


def test_the_page_is_kept_and_the_listing_read_only_after_it_changed(client, world, institution, owner,
                                                                     count_queries):
    def statements():
        g.pop("_login_user", None)
        g.pop("unread", None)
        with count_queries() as counter:
            assert client.get("/recommendations").status_code == 200
        return counter.statements

    def reads_facts(statements):  # the one statement aggregating every listed need's instruments
        return any("string_agg" in s or "group_concat" in s for s in statements)

    assert len(statements()) == 1  # kept whole: the session alone
    best, far = world
    interest = factories.make_interest(best, institution)  # a write: the page, not the list, is new
    db.session.commit()
    rendered = statements()
    assert not reads_facts(rendered) and len(rendered) > 1
    assert "已提交意向" in client.get("/recommendations").get_data(as_text=True)
    best.amount = Decimal("80000.00")
    db.session.commit()
    cold = statements()
    assert reads_facts(cold) and len(cold) == len(rendered) + 1  # the listing, read once after the change
    assert len(statements()) == 1
    assert interest.need_id == best.id and ranked(client) == [(best.id, 90), (far.id, 60)]


@pytest.fixture
def redis_cache(app):
    """The app's cache in Redis (database 7), as with REDIS_URL set."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache.init_app(app, config={"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": REDIS_URL,
                                "CACHE_KEY_PREFIX": "cp-rec-test:"})
    yield REDIS_URL
    redis.Redis.from_url(REDIS_URL).flushdb()
    cache.init_app(app, config={"CACHE_TYPE": "SimpleCache"})


def test_a_change_committed_by_another_app_shows_at_once_through_redis(app, client, redis_cache, world, owner):
    best, far = world
    best_id, far_id = best.id, far.id
    db.session.commit()  # this app's read ends: the other may write (SQLite)
    other = sibling_app(app, CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_cache,
                        CACHE_KEY_PREFIX="cp-rec-test:")
    with other.app_context():  # another process: its own session and kept rankings
        need = db.session.get(FinancingNeed, far_id)
        need.amount = Decimal("1000.00")  # below half the preferred minimum: 40
        db.session.commit()
        db.session.remove()
    assert ranked(client) == [(best_id, 100), (far_id, 40)]
    db.session.commit()

    with other.app_context():
        other_client = other.test_client()
        with other_client.session_transaction() as sess:
            with client.session_transaction() as mine:
                sess.update(mine)
        assert [int(i) for i in re.findall(r'<a href="/needs/(\d+)">', other_client.get(
            "/recommendations").get_data(as_text=True))] == [best_id, far_id]
        db.session.execute(sa.update(FinancingNeed).where(FinancingNeed.id == best_id)
                           .values(status=NeedStatus.withdrawn))
        db.session.commit()
        db.session.remove()
    assert ranked(client) == [(far_id, 40)]
