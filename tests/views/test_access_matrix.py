"""Who may open which address: every endpoint of app.url_map × every role.

Generated from the URL map, so a new route without an entry in MATRIX fails
test_every_route_has_an_entry. Each cell is what the role gets for the objects of a
small world owned by `owner`'s organisation (a project with an attachment, a submitted
need, a listed need):

    o  allowed (2xx/3xx, or 4xx for input the action refuses: the permission passed)
    l  must log in (redirect to the login page, or 401 from the API)
    f  forbidden (403): may see the object, may not do this
    h  hidden (404): may not know the object exists

Roles, in column order: anonymous, owner (of the objects), other_owner (another owner
organisation), institution (verified bank), expert, admin.
"""

import os
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import NeedStatus, Notification, Role
from app.reference import OrgKind
from app.services import accounts, attachments, editions, exports
from app.services.notifications import notify
from tests import factories
from tests.conftest import login

ROLES = ("anonymous", "owner", "other_owner", "institution", "expert", "admin")
OUTCOMES = {"o": "ok", "l": "login", "f": "forbidden", "h": "hidden"}
PUBLIC = {"static", "bootstrap.static"}

MATRIX = {
    # "METHOD endpoint": anonymous owner other_owner institution expert admin
    # admin
    "POST admin.approve_organization": "lffffo",
    "POST admin.approve_user": "lffffo",
    "GET admin.audit_export": "lffffo",
    "GET admin.audit_log": "lffffo",
    "POST admin.change_role": "lffffo",
    "POST admin.deactivate_organization": "lffffo",
    "POST admin.deactivate_user": "lffffo",
    "GET admin.organization": "lffffo",
    "GET admin.organizations": "lffffo",
    "POST admin.reactivate_organization": "lffffo",
    "POST admin.reactivate_user": "lffffo",
    "POST admin.reject_organization": "lffffo",
    "POST admin.reject_user": "lffffo",
    "GET admin.user": "lffffo",
    "GET admin.users": "lffffo",
    # api-docs
    "GET api-docs.openapi_json": "oooooo",
    # api_editions
    "GET api_editions.get_edition": "oooooo",
    "GET api_editions.list_editions": "oooooo",
    # api_me
    "GET api_me.me": "looooo",
    # api_needs
    # The world's need is submitted: only its owner and admins see it.
    "POST api_needs.approve_need": "lfhhho",
    "POST api_needs.create_need": "lohhhf",
    "GET api_needs.get_need": "lohhho",
    "GET api_needs.list_needs": "looooo",
    "POST api_needs.return_need": "lfhhho",
    "POST api_needs.submit_need": "lohhhf",
    "PATCH api_needs.update_need": "lohhhf",
    "POST api_needs.withdraw_need": "lohhhf",
    # api_projects
    "POST api_projects.create_project": "loofff",
    "GET api_projects.get_project": "lohhho",
    "GET api_projects.list_projects": "looooo",
    "PATCH api_projects.update_project": "lohhhf",
    # auth
    # Logging out always ends on the login page, whoever asks.
    "POST auth.change_password": "looooo",
    "POST auth.create_token": "looooo",
    "GET auth.forgot_password": "oooooo",
    "POST auth.forgot_password": "oooooo",
    "GET auth.login": "oooooo",
    "POST auth.login": "oooooo",
    "POST auth.logout": "llllll",
    "GET auth.profile": "looooo",
    "POST auth.profile": "looooo",
    "GET auth.register": "oooooo",
    "POST auth.register": "oooooo",
    "GET auth.reset_password": "oooooo",
    "POST auth.reset_password": "oooooo",
    "POST auth.revoke_token": "lohhhh",
    # editions
    # Reading is public; compiling is for admins; saved searches belong to their reader.
    "POST editions.add_item": "lffffo",
    "GET editions.changes": "oooooo",
    "GET editions.compile": "lffffo",
    "POST editions.correct": "lffffo",
    "POST editions.delete_search": "lhhohh",
    "GET editions.download": "oooooo",
    "GET editions.export": "oooooo",
    # With contacts: the view_contact rule of every item (the world's one is owner's need).
    "GET editions.export_contacts": "lofooo",
    "GET editions.index": "oooooo",
    "GET editions.item": "oooooo",
    "POST editions.justify": "lffffo",
    "POST editions.open_draft": "lffffo",
    "GET editions.preview": "lffffo",
    "POST editions.publish": "lffffo",
    "POST editions.remove_item": "lffffo",
    "POST editions.request_publication": "lffffo",
    "POST editions.save_search": "lffoof",
    "GET editions.saved": "looooo",
    "POST editions.search_email": "lhhohh",
    "GET editions.show": "oooooo",
    "POST editions.sort": "lffffo",
    # main
    "GET main.healthz": "oooooo",
    "GET main.index": "oooooo",
    "POST main.set_language": "oooooo",
    # needs
    "POST needs.approve": "lfhhho",
    "GET needs.create": "lohhhf",
    "POST needs.create": "lohhhf",
    "GET needs.detail": "lohhho",
    "GET needs.edit": "lohhhf",
    "POST needs.edit": "lohhhf",
    "GET needs.index": "looooo",
    "POST needs.return": "lfhhho",
    "GET needs.review_queue": "lffffo",
    "POST needs.submit": "lohhhf",
    "POST needs.upload": "lohhhf",
    "POST needs.withdraw": "lohhhf",
    # notifications
    "GET notifications.index": "looooo",
    "POST notifications.read": "lohhhh",
    "POST notifications.read_all": "looooo",
    # projects
    "GET projects.create": "loofff",
    "POST projects.create": "loofff",
    "POST projects.delete_attachment": "lohhhf",
    "GET projects.detail": "lohhho",
    "GET projects.download": "lohhho",
    "GET projects.edit": "lohhhf",
    "POST projects.edit": "lohhhf",
    "GET projects.index": "looooo",
    "POST projects.upload": "lohhhf",
}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
API_NEED = {
    "amount": "50000.00", "instruments": ["project_loan"], "term_months": 120, "use_of_funds": "主体工程",
    "credit_enhancements": ["mortgage"], "funds_secured": "40000.00", "contact_name": "张伟",
    "contact_phone": "028-12345678",
}
API_PROJECT = {
    "name": "天府大道北延线", "code": "2026-510112-48-01-990901", "level": "municipal",
    "category": "infrastructure", "industry_code": "48", "district_code": "510112",
    "total_investment": "150000.00", "annual_planned_investment": "30000.00",
    "stage": "under_construction",
}
DRAFT_ROUTES = ("compile", "preview", "add_item", "remove_item", "sort", "justify",
                "request_publication", "publish", "open_draft")


def build_world():
    """The objects every cell is tried on. Returns the users by role and the values for
    URL arguments (edition addresses differ for reading and compiling routes)."""
    gov = factories.make_org(OrgKind.government)
    admin = factories.make_user(gov, Role.admin)
    owner = factories.make_user(factories.make_org(OrgKind.owner))
    other_owner = factories.make_user(factories.make_org(OrgKind.owner))
    institution = factories.make_user(factories.make_org(OrgKind.bank))
    expert = factories.make_user(factories.make_org(OrgKind.securities), Role.expert)
    project = factories.make_project(org=owner.org)
    need = factories.make_need(project=project, status=NeedStatus.submitted)
    factories.make_need(org=owner.org, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    published = editions.open_draft(2026, 5, by=admin)
    editions.publish_edition(published, by=admin)  # the approved need becomes listed
    draft = editions.open_draft(2026, 6, by=admin)  # proposes it again, carried over
    attachment = attachments.add_attachment(project, "可研报告.pdf", PDF, by=owner)
    _secret, token = accounts.create_api_token(owner, "matrix")
    search = editions.save_search(institution, name="成都轨道", filters=editions.Filters(q="轨道"))
    notify([owner], "need_approved", {"project": project.name, "org": owner.org.name, "amount": "1"},
           email=False)
    users = dict(owner=owner, other_owner=other_owner, institution=institution, expert=expert, admin=admin)
    values = {
        "project_id": project.id, "need_id": need.id, "attachment_id": attachment.id,
        "token_id": token.id, "user_id": owner.id, "org_id": owner.org_id,
        "notification_id": db.session.scalar(sa.select(Notification.id).where(Notification.user_id == owner.id)),
        "token": "not-a-valid-token", "year": 2026, "period": 5, "seq": 1, "fmt": "pdf",
        "item_id": draft.items[0].id, "search_id": search.id,
    }
    draft_values = {**values, "period": 6}
    addable = factories.make_need(org=owner.org, status=NeedStatus.approved, funds_secured=Decimal("40000.00"))
    # Well-formed input, so that the API's input checks pass and the permission decides.
    bodies = {
        "POST api_needs.return_need": {"comment": "请补充增信措施"},
        "POST api_needs.create_need": API_NEED,
        "PATCH api_needs.update_need": {"version": need.version, "term_months": 96},
        "POST api_projects.create_project": API_PROJECT,
        "PATCH api_projects.update_project": {"version": project.version, "name": "新名称"},
        "POST editions.add_item": {"need_id": addable.id},
        "POST editions.save_search": {"name": "轨道交通", "q": "轨道", "email": "y"},
    }
    return users, values, draft_values, bodies


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.endpoint}", rule, method


def _cases():
    from app import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    seen = set()
    for key, _rule, _method in _routes(app):
        if key in seen:
            continue
        seen.add(key)
        for index, role in enumerate(ROLES):
            yield pytest.param(key, role, index, id=f"{key}-{role}")


def test_every_route_has_an_entry(app):
    keys = {key for key, _r, _m in _routes(app)}
    missing = sorted(keys - MATRIX.keys())
    stale = sorted(MATRIX.keys() - keys)
    assert not missing, f"add these routes to MATRIX: {missing}"
    assert not stale, f"these MATRIX entries match no route: {stale}"


def outcome(response) -> str:
    code = response.status_code
    if code in (301, 302, 303) and "/login" in response.headers.get("Location", ""):
        return "login"
    if code == 401:
        return "login"
    if code == 403:
        return "forbidden"
    if code == 404:
        return "hidden"
    assert code < 500, f"server error {code}"
    return "ok"


@pytest.mark.parametrize("key,role,column", list(_cases()))
def test_access(app, client, monkeypatch, key, role, column):
    from app.extensions import db

    if key not in MATRIX and not os.environ.get("MATRIX_DISCOVER"):
        pytest.skip("no MATRIX entry (reported by test_every_route_has_an_entry)")
    method, endpoint = key.split(" ", 1)
    for maker in ("edition_pdf", "edition_xlsx", "edition_csv", "edition_json"):  # exports are tested elsewhere
        monkeypatch.setattr(exports, maker, lambda meta, items: PDF)
    users, values, draft_values, bodies = build_world()
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    if endpoint.rsplit(".", 1)[-1] in DRAFT_ROUTES:
        values = draft_values
    args = {name: values[name] for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **args)
    headers = {}
    if role != "anonymous":
        user = users[role]
        if url.startswith("/api/"):
            secret, _row = accounts.create_api_token(user, "matrix")
            headers["Authorization"] = f"Bearer {secret}"
        else:
            login(client, user)
    db.session.commit()
    body = bodies.get(key)
    if url.startswith("/api/"):
        response = client.open(url, method=method, headers=headers, json=body if method != "GET" else None)
    else:
        response = client.open(url, method=method, headers=headers, data=body or {} if method != "GET" else None)
    got = outcome(response)
    if os.environ.get("MATRIX_DISCOVER"):  # MATRIX_DISCOVER=file: write what happens, assert nothing
        with open(os.environ["MATRIX_DISCOVER"], "a") as out:
            out.write(f"{key}\t{column}\t{got}\n")
        return
    expected = OUTCOMES[MATRIX.get(key, "??????")[column]] if key in MATRIX else None
    assert got == expected, f"{role} {method} {url}: {response.status_code}"
