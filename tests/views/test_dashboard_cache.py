"""The dashboard is kept whole for each visitor in the generation of the data
(app/kept_pages.py, services/page_cache.py): a repeated visit reads only the session, and
any commit that writes shows in the figures at the next visit."""

import re

from flask import g

from app.extensions import db
from app.models import NeedStatus
from tests import factories
from tests.conftest import login


def figure(client, label: str) -> int:
    g.pop("_login_user", None)
    g.pop("unread", None)
    html = client.get("/").get_data(as_text=True)
    return int(re.search(r'cp-stat-value">(\d+)</div><div class="cp-stat-label">' + label, html)[1])


def test_a_repeated_visit_reads_only_the_session(client, owner, count_queries):
    login(client, owner)
    figure(client, "草稿")
    with count_queries() as counter:
        figure(client, "草稿")
    assert counter.count == 1


def test_each_write_shows_at_the_next_visit(client, owner, admin):
    login(client, owner)
    assert figure(client, "草稿") == 0
    need = factories.make_need(org=owner.org)
    db.session.commit()
    assert figure(client, "草稿") == 1
    db.session.delete(need)  # a write of another kind, through the ORM unit of work
    db.session.commit()
    assert figure(client, "草稿") == 0
    other = factories.make_need(org=owner.org)
    db.session.commit()
    db.session.execute(  # and a bulk UPDATE
        db.update(type(other)).where(type(other).id == other.id).values(status=NeedStatus.returned))
    db.session.commit()
    assert figure(client, "草稿") == 0 and figure(client, "已退回") == 1


def test_visitors_do_not_share_a_dashboard(request, app, owner, institution):
    first, second = app.test_client(), app.test_client()
    login(first, owner)
    g.pop("_login_user", None)
    login(second, institution)
    for client, user in ((first, owner), (second, institution), (first, owner)):
        g.pop("_login_user", None)
        g.pop("unread", None)
        html = client.get("/").get_data(as_text=True)
        assert user.name in html
        assert (owner if user is institution else institution).name not in html
