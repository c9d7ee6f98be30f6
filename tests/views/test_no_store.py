"""Pages with contact details or confidential data send Cache-Control: no-store.

CONFIDENTIAL marks entries of the access matrix (tests/views/test_access_matrix.py MATRIX);
each is opened by a role the matrix allows, in the matrix's world, and must not be kept by
a browser or a proxy. Public pages, for contrast, stay cacheable.
"""

import pytest
from flask import g, url_for

from app.extensions import db
from app.services import accounts, exports
from tests.conftest import login
from tests.views.test_access_matrix import DRAFT_ROUTES, MATRIX, PDF, ROLES, build_world

CONFIDENTIAL = {
    # administration: users, organisations, the audit log
    "GET admin.audit_log", "GET admin.organization", "GET admin.organizations", "GET admin.user",
    "GET admin.users",
    # owners' projects and needs (drafts, contacts, review history), the review queue
    "GET projects.index", "GET projects.detail", "GET projects.edit", "GET projects.create",
    "GET projects.download",
    "GET needs.index", "GET needs.detail", "GET needs.edit", "GET needs.create", "GET needs.review_queue",
    # edition items with contacts, drafts being compiled, a reader's saved searches
    "GET editions.item", "GET editions.compile", "GET editions.preview", "GET editions.saved",
    # the profile with its tokens and sessions; notifications
    "GET auth.profile", "POST auth.create_token", "POST auth.change_password", "GET notifications.index",
    # the API's answers to a token
    "GET api_me.me", "GET api_needs.get_need", "GET api_needs.list_needs", "GET api_projects.get_project",
    "GET api_projects.list_projects", "GET api_editions.get_edition",
}
PUBLIC_PAGES = {"GET editions.index", "GET editions.show", "GET editions.download", "GET main.healthz"}
# Who opens each page: the first role of this order that the matrix allows.
PREFERENCE = ("owner", "institution", "admin", "expert", "other_owner", "anonymous")


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    for maker in ("edition_pdf", "edition_xlsx", "edition_csv", "edition_json"):
        monkeypatch.setattr(exports, maker, lambda meta, items: PDF)


def test_every_marked_page_is_in_the_matrix():
    assert CONFIDENTIAL <= MATRIX.keys(), sorted(CONFIDENTIAL - MATRIX.keys())
    assert not CONFIDENTIAL & PUBLIC_PAGES


def _allowed_role(key: str) -> str:
    cells = MATRIX[key]
    return next(role for role in PREFERENCE if cells[ROLES.index(role)] == "o")


def _open(app, client, key, role):
    method, endpoint = key.split(" ", 1)
    users, values, draft_values, bodies = build_world()
    if endpoint.rsplit(".", 1)[-1] in DRAFT_ROUTES:
        values = draft_values
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    with app.test_request_context():
        url = url_for(endpoint, **{name: values[name] for name in rule.arguments})
    headers = {}
    if role != "anonymous":
        if url.startswith("/api/"):
            secret, _row = accounts.create_api_token(users[role], "no-store")
            headers["Authorization"] = f"Bearer {secret}"
        else:
            g.pop("_login_user", None)
            login(client, users[role])
    db.session.commit()
    body = {**bodies, "POST auth.create_token": {"name": "部署脚本"}}.get(key)
    return client.open(url, method=method, headers=headers, data=body if method != "GET" else None)


@pytest.mark.parametrize("key", sorted(CONFIDENTIAL))
def test_confidential_pages_are_not_stored(app, client, key):
    role = _allowed_role(key)
    response = _open(app, client, key, role)
    # The page itself (a form refused as 409 or 422 shows it too), not a refusal to show it.
    assert response.status_code < 500 and response.status_code not in (302, 401, 403, 404), \
        f"{key} as {role}: {response.status_code}"
    assert "no-store" in response.headers.get("Cache-Control", ""), f"{key} as {role}"


@pytest.mark.parametrize("key", sorted(PUBLIC_PAGES))
def test_public_pages_stay_cacheable(app, client, key):
    response = _open(app, client, key, "anonymous")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
