"""The page header (navigation, account menu, verification banner) is rendered once per
visitor state and language and kept (app/header.py): each visitor still sees their own
menu, name, organisation, unread count and banner, with their own CSRF token and return
address, whoever filled the cache."""

import re

import pytest
from flask import g

from app.extensions import db
from app.models import Role
from app.services.notifications import notify
from tests.conftest import login

READERS = ("anonymous", "owner", "institution", "unverified_institution", "admin")
TOKENS = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def header(client, url="/editions/"):
    g.pop("_login_user", None)
    g.pop("unread", None)
    html = client.get(url).get_data(as_text=True)
    return html[html.index('<header class="cp-header">'):html.index('<main id="main"')]


def client_of(request, app, who):
    client = app.test_client()
    if who != "anonymous":
        g.pop("_login_user", None)
        login(client, request.getfixturevalue(who))
    return client


@pytest.mark.parametrize("who", READERS)
def test_each_visitor_gets_their_own_header_whoever_filled_the_cache(request, app, who):
    from app.extensions import cache

    clients = {name: client_of(request, app, name) for name in READERS}
    own = TOKENS.sub("csrf", header(clients[who]))
    cache.clear()
    for other in READERS:
        if other != who:
            header(clients[other])
    assert TOKENS.sub("csrf", header(clients[who])) == own


def test_menu_follows_the_role_at_once(request, app, institution):
    client = client_of(request, app, "institution")
    assert "/needs/review" not in header(client)
    institution.role = Role.admin
    db.session.commit()
    assert "/needs/review" in header(client)


def test_unread_count_and_return_address_are_the_requests_own(request, app, owner):
    client = client_of(request, app, "owner")
    assert "bg-danger" not in header(client, "/projects/")
    notify([owner], "need_approved", {"project": "项目", "org": "单位", "amount": "1"}, email=False)
    db.session.commit()
    assert 'aria-label="1 条未读"' in header(client, "/projects/")
    assert 'name="next" value="/projects/?q=a&amp;b=&lt;c&gt;"' in header(client, "/projects/?q=a&b=<c>")
    assert 'name="next" value="/needs/"' in header(client, "/needs/")


def test_csrf_token_is_each_sessions_own(request, app):
    app.config["WTF_CSRF_ENABLED"] = True
    first, second = client_of(request, app, "institution"), client_of(request, app, "institution")
    tokens = [set(TOKENS.findall(header(c))) for c in (first, second)]
    assert all(len(t) == 1 for t in tokens) and tokens[0] != tokens[1]
    assert "__cp_" not in header(first)
