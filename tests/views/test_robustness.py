"""Absurd input never answers 500, taken from the URL map so that a new route is covered
the day it is added: numbers in the query string of every list (HTML and API), ids in
the address of every object route, and methods a route does not accept (405 + Allow).
"""

from decimal import Decimal

import pytest
from flask import g, url_for
from werkzeug.routing import IntegerConverter

from app.extensions import db
from app.models import NeedStatus
from app.services import accounts, editions, exports
from tests import factories
from tests.conftest import login
from tests.views.test_access_matrix import DRAFT_ROUTES, PDF, PUBLIC, build_world

ABSURD = [
    {"page": "99999999999999999999"}, {"page": "-1"}, {"page": "abc"}, {"page": "1e3"},
    {"per_page": str(10**20)}, {"min_amount": "1e999999"}, {"max_amount": "-5"},
    {"min_amount": "NaN"}, {"max_amount": "Infinity"}, {"min_amount": "-Infinity"},
    {"min_amount": "1e-999999"}, {"min_amount": "5", "max_amount": "1"},
]
HUGE_IDS = [2**63, 10**30]
# Lists whose address names the list (an edition): read at these values of the world.
LISTS_WITH_ARGS = {"editions.show", "editions.preview", "api_editions.get_edition"}


@pytest.fixture(autouse=True)
def fast_exports(monkeypatch):
    for maker in ("edition_pdf", "edition_xlsx", "edition_csv", "edition_json"):
        monkeypatch.setattr(exports, maker, lambda meta, items: PDF)


def _get_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if rule.endpoint in PUBLIC or "GET" not in rule.methods:
            continue
        if not rule.arguments or rule.endpoint in LISTS_WITH_ARGS:
            yield rule.endpoint


def _int_rules(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        ints = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for name in ints:
                yield rule.endpoint, method, name


def _app_for_collection():
    from app import create_app

    return create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")


def _as_admin(client, users, url):
    """Headers for `url` as the world's administrator: a token for the API, else a session."""
    g.pop("_login_user", None)
    if url.startswith("/api/"):
        secret, _row = accounts.create_api_token(users["admin"], "robust")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}
    login(client, users["admin"])
    return {}


def _url(app, endpoint, values, **query):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments}, **query)


@pytest.mark.parametrize("endpoint", list(_get_rules(_app_for_collection())))
def test_absurd_numbers_on_every_list_never_answer_500(app, client, endpoint):
    users, values, draft_values, _bodies = build_world()
    if endpoint.rsplit(".", 1)[-1] in DRAFT_ROUTES:
        values = draft_values
    # The profile and its recommendations are an institution's own: its user asks there.
    if endpoint.startswith(("api_matching.", "matching.")):
        users = {**users, "admin": users["institution"]}
    headers = _as_admin(client, users, _url(app, endpoint, values))
    for query in ABSURD:
        url = _url(app, endpoint, values, **query)
        response = client.get(url, headers=headers)
        assert response.status_code < 500, f"{url}: {response.status_code}"
        if url.startswith("/api/"):
            assert response.status_code in (200, 422), url
            if response.status_code == 422:
                assert response.json["error"]["code"] == "validation_failed"


@pytest.mark.parametrize("endpoint,method,name", list(_int_rules(_app_for_collection())))
@pytest.mark.parametrize("huge", HUGE_IDS, ids=["2**63", "10**30"])
def test_over_long_ids_answer_404(app, client, endpoint, method, name, huge):
    users, values, draft_values, bodies = build_world()
    if endpoint.rsplit(".", 1)[-1] in DRAFT_ROUTES:
        values = draft_values
    url = _url(app, endpoint, {**values, name: huge})
    headers = _as_admin(client, users, url)
    # Well-formed bodies, so that the id is what is refused, not the input.
    body = bodies.get(f"{method} {endpoint}", {})
    body = ({"json": body} if url.startswith("/api/") else {"data": body}) if method != "GET" else {}
    response = client.open(url, method=method, headers=headers, **body)
    assert response.status_code == 404, f"{method} {url}: {response.status_code}"


@pytest.mark.parametrize("path,query", [
    ("/admin/users", {"org_id": str(10**30)}),
    ("/admin/audit", {"object_id": str(2**63)}),
])
def test_over_long_ids_in_admin_filters_are_refused_not_500(client, admin, path, query):
    login(client, admin)
    response = client.get(path, query_string=query)
    assert response.status_code == 200
    assert "is-invalid" in response.text or "invalid-feedback d-block" in response.text
    assert "请输入1至2147483647之间的数字。" in response.text


def test_an_over_long_need_id_in_the_add_item_form_answers_404(client, admin):
    editions.open_draft(2026, 6, by=admin)
    login(client, admin)
    response = client.post("/editions/2026-6/items/add", data={"need_id": str(10**30)})
    assert response.status_code == 404


# ---- 405 carries Allow ------------------------------------------------------------------------
def _method_cases():
    app = _app_for_collection()
    rules = list(app.url_map.iter_rules())
    for rule in sorted(rules, key=lambda r: r.endpoint):
        if rule.endpoint in PUBLIC:
            continue
        # a method is wrong for an address when no rule of that address takes it
        taken = set().union(*(r.methods for r in rules if r.rule == rule.rule))
        wrong = next(m for m in ("DELETE", "PUT", "PATCH", "POST") if m not in taken)
        yield pytest.param(rule.endpoint, wrong, id=f"{wrong} {rule.endpoint}")


@pytest.mark.parametrize("endpoint,method", list(_method_cases()))
def test_405_answers_carry_allow(app, client, endpoint, method):
    values = {"project_id": 1, "need_id": 1, "attachment_id": 1, "token_id": 1, "user_id": 1, "org_id": 1,
              "notification_id": 1, "token": "x", "year": 2026, "period": 5, "seq": 1, "fmt": "pdf",
              "item_id": 1, "search_id": 1, "job_id": 1, "interest_id": 1}
    url = _url(app, endpoint, values)
    response = client.open(url, method=method)
    allowed = set(app.url_map.bind("localhost").allowed_methods(url.split("?")[0]))
    assert response.status_code == 405, f"{method} {url}: {response.status_code}"
    allow = {m.strip() for m in response.headers.get("Allow", "").split(",") if m.strip()}
    assert allow == allowed and method not in allow, (url, allow)
    if url.startswith("/api/"):
        assert response.json["error"]["status"] == 405
    else:
        assert response.mimetype == "text/html"


# ---- a page past the end ------------------------------------------------------------------------
def test_a_list_page_past_the_end_shows_the_last_page(app, client, owner):
    app.config["PER_PAGE"] = 2
    for _ in range(5):
        factories.make_need(org=owner.org)
    login(client, owner)
    last = client.get("/needs/", query_string={"page": "3"})
    for page in ("4", "99999999999999999999"):
        response = client.get("/needs/", query_string={"page": page})
        assert response.status_code == 200
        assert _page_text(response) == _page_text(last)


def _page_text(response) -> str:
    """The rows of a list page (the part that differs between pages)."""
    text = response.text
    return text[text.find("<tbody"):text.find("</tbody>")]


def test_an_edition_page_past_the_end_shows_the_last_page(app, client, admin, owner_org):
    app.config["PER_PAGE"] = 2
    for n in range(5):
        factories.make_need(factories.make_project(org=owner_org, name=f"末页测试项目{n}"),
                            status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    last = client.get("/editions/2026-6?page=3")
    assert "共 5 项" in last.text or "5 in all" in last.text
    for page in ("4", "99999999999999999999"):
        response = client.get(f"/editions/2026-6?page={page}")
        assert response.status_code == 200
        assert _page_text(response) == _page_text(last)
        assert 'class="page-item active"><a class="page-link" href="/editions/2026-6?page=3">3' in response.text


def test_the_api_answers_an_empty_page_past_the_end_with_the_real_total(client, owner):
    for _ in range(3):
        factories.make_project(org=owner.org)
    secret, _row = accounts.create_api_token(owner, "robust")
    db.session.commit()
    response = client.get("/api/v1/projects?page=50&per_page=2", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.json["items"] == []
    assert (response.json["total"], response.json["pages"], response.json["page"]) == (3, 2, 50)

