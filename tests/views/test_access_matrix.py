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
organisation), institution (verified bank), expert, admin, then three accounts anyone can
ask for with a public credit code: pending_owner and rejected_owner (asked to join the
owner's organisation; not, or not yet, let in) and pending_gov (asked to join the
government organisation before that was refused, so it holds the admin role). API cells
of these three use a token made before tokens required verification.
"""

import os
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import FinancingNeed, NeedStatus, Notification, Role, UserStatus
from app.reference import OrgKind
from app.services import accounts, attachments, editions, exports, jobs
from app.services.notifications import notify
from tests import factories
from tests.conftest import login

ROLES = ("anonymous", "owner", "other_owner", "institution", "expert", "admin",
         "pending_owner", "rejected_owner", "pending_gov")
UNVERIFIED = ("pending_owner", "rejected_owner", "pending_gov")
OUTCOMES = {"o": "ok", "l": "login", "f": "forbidden", "h": "hidden"}
PUBLIC = {"static", "bootstrap.static"}

MATRIX = {
    # follows and interests (the institution's interest in the owner's listed need)
    "GET interests.index": "looofo fff",
    "GET interests.export": "looofo fff",
    "GET interests.detail": "lohoho hhh",
    "GET interests.express": "lfhhhf hhh",
    "POST interests.express": "lfhhhf hhh",
    "POST interests.follow": "lfhhhf hhh",
    "POST interests.unfollow": "lohhho hhh",
    "POST interests.contact": "lfhohf hhh",
    "POST interests.start_due_diligence": "lfhohf hhh",
    "POST interests.withdraw": "lfhohf hhh",
    "POST interests.approve": "lfhohf hhh",
    "POST interests.disburse": "lfhohf hhh",
    "POST interests.reject": "lfhohf hhh",
    "POST interests.reconfirm": "lfhohf hhh",
    "POST interests.decline": "lohfhf hhh",
    "POST interests.message": "lohohf hhh",
    "POST interests.close_financed": "lohhhf hhh",
    "POST interests.confirm_overfunding": "lohhhf hhh",
    "GET api_interests.list_interests": "looooo ooo",
    "GET api_interests.get_interest": "lohoho hhh",
    "GET api_interests.list_disbursements": "lohoho hhh",
    "GET api_interests.list_messages": "lohoho hhh",
    "POST api_interests.express": "lfhoff hhh",
    "POST api_interests.contact": "lfhohf hhh",
    "POST api_interests.start_due_diligence": "lfhohf hhh",
    "POST api_interests.withdraw": "lfhohf hhh",
    "POST api_interests.approve": "lfhohf hhh",
    "POST api_interests.disburse": "lfhohf hhh",
    "POST api_interests.reject": "lfhohf hhh",
    "POST api_interests.reconfirm": "lfhohf hhh",
    "POST api_interests.decline": "lohfhf hhh",
    "POST api_interests.post_message": "lohohf hhh",
    # The world's file is its project's, not the conversation's: no one gets it from there.
    "GET api_interests.get_message_file": "lhhhhh hhh",
    # "METHOD endpoint": anonymous owner other_owner institution expert admin
    #                    pending_owner rejected_owner pending_gov
    # admin
    # A pending member of the government organisation holds the admin role, and nothing of it.
    "GET admin.audit_export": "lffffo fff",
    "POST admin.approve_organization": "lffffo fff",
    "POST admin.approve_user": "lffffo fff",
    "GET admin.appoint_admin": "lffffo fff",
    "POST admin.appoint_admin": "lffffo fff",
    "GET admin.audit_log": "lffffo fff",
    "POST admin.change_role": "lffffo fff",
    "POST admin.deactivate_organization": "lffffo fff",
    "POST admin.deactivate_user": "lffffo fff",
    "GET admin.organization": "lffffo fff",
    "GET admin.organizations": "lffffo fff",
    "POST admin.reactivate_organization": "lffffo fff",
    "POST admin.reactivate_user": "lffffo fff",
    "POST admin.reject_organization": "lffffo fff",
    "POST admin.reject_user": "lffffo fff",
    "GET admin.user": "lffffo fff",
    "GET admin.users": "lffffo fff",
    "GET admin.jobs": "lffffo fff",
    "GET admin.financing": "lffffo fff",
    "GET admin.financing_xlsx": "lffffo fff",
    "GET admin.financing_coverage": "lffffo fff",
    "GET admin.financing_refusals": "lffffo fff",
    "POST admin.retry_job": "lffffo fff",
    # api-docs
    "GET api-docs.openapi_json": "oooooo ooo",
    # api_editions
    "GET api_editions.get_edition": "oooooo ooo",
    "GET api_editions.list_editions": "oooooo ooo",
    # api_me
    "GET api_me.me": "looooo ooo",
    # api_matching: the profile and 为您推荐 of verified institution users
    "GET api_matching.get_preferences": "lffoff fff",
    "PUT api_matching.put_preferences": "lffoff fff",
    "GET api_matching.list_recommendations": "lffoff fff",
    # api_needs
    # The world's need is submitted: only its owner and admins see it. Unverified members
    # of the owner's organisation see none of it, through a token made before either.
    "DELETE api_needs.delete_need": "lohhhf hhh",
    "POST api_needs.approve_need": "lfhhho hhh",
    "POST api_needs.create_need": "lohhhf hhh",
    "GET api_needs.get_need": "lohhho hhh",
    "GET api_needs.list_needs": "looooo ooo",
    "POST api_needs.return_need": "lfhhho hhh",
    "POST api_needs.submit_need": "lohhhf hhh",
    "PATCH api_needs.update_need": "lohhhf hhh",
    "POST api_needs.withdraw_need": "lohhhf hhh",
    # api_projects
    "POST api_projects.create_project": "loofff fff",
    "GET api_projects.get_project": "lohhho hhh",
    "GET api_projects.list_projects": "looooo ooo",
    "PATCH api_projects.update_project": "lohhhf hhh",
    # auth
    # Logging out always ends on the login page, whoever asks. API tokens are for
    # verified users only.
    "POST auth.change_password": "looooo ooo",
    "POST auth.create_token": "looooo fff",
    "GET auth.forgot_password": "oooooo ooo",
    "POST auth.forgot_password": "oooooo ooo",
    "GET auth.login": "oooooo ooo",
    "POST auth.login": "oooooo ooo",
    "POST auth.logout": "llllll lll",
    "GET auth.profile": "looooo ooo",
    "POST auth.profile": "looooo ooo",
    "GET auth.register": "oooooo ooo",
    "POST auth.register": "oooooo ooo",
    "GET auth.reset_password": "oooooo ooo",
    "POST auth.reset_password": "oooooo ooo",
    "POST auth.revoke_token": "lohhhh hhh",
    # editions
    # Reading is public; compiling is for admins; saved searches belong to their reader.
    "GET editions.export": "oooooo ooo",
    "GET editions.export_contacts": "lofooo fff",
    "POST editions.add_item": "lffffo fff",
    "GET editions.changes": "oooooo ooo",
    "GET editions.compile": "lffffo fff",
    "POST editions.correct": "lffffo fff",
    "POST editions.delete_search": "lhhohh hhh",
    "GET editions.download": "oooooo ooo",
    "GET editions.index": "oooooo ooo",
    "GET editions.item": "oooooo ooo",
    "POST editions.justify": "lffffo fff",
    "POST editions.open_draft": "lffffo fff",
    "GET editions.preview": "lffffo fff",
    "POST editions.publish": "lffffo fff",
    "POST editions.remove_item": "lffffo fff",
    "POST editions.request_publication": "lffffo fff",
    "POST editions.save_search": "lffoof fff",
    "GET editions.saved": "looooo ooo",
    "POST editions.search_email": "lhhohh hhh",
    "GET editions.show": "oooooo ooo",
    "POST editions.send_back": "lffffo fff",
    "POST editions.sort": "lffffo fff",
    # main
    "GET main.healthz": "oooooo ooo",
    "GET main.index": "oooooo ooo",
    "POST main.set_language": "oooooo ooo",
    # matching: profiles and 为您推荐 for verified institution users; 可能感兴趣的机构 and
    # 定向推送 for the need's owner and admins (the world's need is submitted: refused, not listed).
    "GET matching.preferences_page": "lffoff fff",
    "POST matching.preferences_page": "lffoff fff",
    "GET matching.recommendations": "lffoff fff",
    "GET matching.institutions": "lohhho hhh",
    "POST matching.invite": "lohhho hhh",
    # needs
    "POST needs.approve": "lfhhho hhh",
    "GET needs.create": "lohhhf hhh",
    "POST needs.create": "lohhhf hhh",
    "GET needs.detail": "lohhho hhh",
    "GET needs.edit": "lohhhf hhh",
    "POST needs.delete": "lohhhf hhh",
    "POST needs.edit": "lohhhf hhh",
    "GET needs.index": "looooo ooo",
    "POST needs.return": "lfhhho hhh",
    "GET needs.review_queue": "lffffo fff",
    "POST needs.submit": "lohhhf hhh",
    "POST needs.upload": "lohhhf hhh",
    "POST needs.withdraw": "lohhhf hhh",
    # notifications
    "GET notifications.index": "looooo ooo",
    "POST notifications.read": "lohhhh hhh",
    "POST notifications.read_all": "looooo ooo",
    # projects
    "GET projects.create": "loofff fff",
    "POST projects.create": "loofff fff",
    "POST projects.delete_attachment": "lohhhf hhh",
    "GET projects.detail": "lohhho hhh",
    "GET projects.download": "lohhho hhh",
    "GET projects.edit": "lohhhf hhh",
    "POST projects.edit": "lohhhf hhh",
    "GET projects.index": "looooo ooo",
    "POST projects.upload": "lohhhf hhh",
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
                "request_publication", "publish", "open_draft", "send_back")


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
    pending_owner = factories.make_user(owner.org, status=UserStatus.pending)
    rejected_owner = factories.make_user(owner.org, status=UserStatus.rejected, status_reason="非本单位员工")
    pending_gov = factories.make_user(gov, Role.admin, status=UserStatus.pending)
    job = jobs.enqueue("mail.send", to="x@test.cn", subject="s", body="b", date="", message_id="<1@test>")
    listed = db.session.scalars(sa.select(FinancingNeed).where(FinancingNeed.status == NeedStatus.listed)).first()
    interest = factories.make_interest(listed, institution)  # the bank's interest in the owner's listed need
    db.session.flush()
    users = dict(owner=owner, other_owner=other_owner, institution=institution, expert=expert, admin=admin,
                 pending_owner=pending_owner, rejected_owner=rejected_owner, pending_gov=pending_gov)
    values = {
        "project_id": project.id, "need_id": need.id, "attachment_id": attachment.id,
        "token_id": token.id, "user_id": owner.id, "org_id": owner.org_id,
        "notification_id": db.session.scalar(sa.select(Notification.id).where(Notification.user_id == owner.id)),
        "token": "not-a-valid-token", "year": 2026, "period": 5, "seq": 1, "fmt": "pdf",
        "item_id": draft.items[0].id, "search_id": search.id,
        "job_id": job.id, "interest_id": interest.id,
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
        "PUT api_matching.put_preferences": {"version": 0, "levels": ["provincial"]},
        "POST api_interests.approve": {"credit_amount": "100.00", "credit_date": "2026-01-01"},
        "POST api_interests.reject": {"reason": "capital"},
        "POST api_interests.decline": {"reason": "已落实其他融资"},
        "POST api_interests.disburse": {"amount": "1.00", "disbursed_on": "2026-01-01"},
        "POST api_interests.post_message": {"body": "您好"},
        "POST api_interests.express": {"need_id": listed.id, "instrument": "project_loan", "amount": "100.00"},
    }
    return users, values, draft_values, bodies


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield f"{method} {rule.endpoint}", rule, method


def _keys():
    from app import create_app

    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    return sorted({key for key, _rule, _method in _routes(app)})


def _expected(key: str, column: int) -> str:
    return OUTCOMES[MATRIX[key].replace(" ", "")[column]]


def _cases():
    """One world per reading route for all roles; for a writing route, one world for all the
    roles it refuses (a refused request changes nothing) and one for each role it lets act."""
    if os.environ.get("MATRIX_DISCOVER"):  # every route and role, each in a world of its own
        return [pytest.param(key, (c,), id=f"{key}-{role}") for key in _keys() for c, role in enumerate(ROLES)]
    reading, refused, allowed = [], [], []
    for key in _keys():
        if key not in MATRIX:  # reported by test_every_route_has_an_entry
            continue
        if key.startswith("GET "):
            reading.append(pytest.param(key, tuple(range(len(ROLES))), id=key))
            continue
        refusing = tuple(c for c in range(len(ROLES)) if _expected(key, c) != "ok")
        if refusing:
            refused.append(pytest.param(key, refusing, id=f"{key}-refused"))
        allowed += [pytest.param(key, (c,), id=f"{key}-{ROLES[c]}")
                    for c in range(len(ROLES)) if _expected(key, c) == "ok"]
    return reading + refused + allowed


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


def _attempt(app, world, key: str, role: str):
    """What `role` gets for `key` in `world`: (outcome, url, status code). Each role has a
    client (cookies) of its own."""
    from app.extensions import db

    users, values, draft_values, bodies = world
    method, endpoint = key.split(" ", 1)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and method in r.methods)
    if endpoint.rsplit(".", 1)[-1] in DRAFT_ROUTES:
        values = draft_values
    args = {name: values[name] for name in rule.arguments}
    with app.test_request_context():
        from flask import url_for

        url = url_for(endpoint, **args)
    client = app.test_client()
    headers = {}
    if role != "anonymous":
        user = users[role]
        if url.startswith("/api/"):
            if role in UNVERIFIED:
                secret = factories.make_api_token(user, "matrix")
            else:
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
    db.session.expire_all()  # the next role reads the world as the request left it
    return outcome(response), url, response.status_code


@pytest.mark.parametrize("key,columns", _cases())
def test_access(app, monkeypatch, key, columns):
    for maker in ("edition_pdf", "edition_xlsx", "edition_csv", "edition_json"):  # exports are tested elsewhere
        monkeypatch.setattr(exports, maker, lambda meta, items: PDF)
    world = build_world()
    wrong = []
    for column in columns:
        role = ROLES[column]
        got, url, code = _attempt(app, world, key, role)
        if os.environ.get("MATRIX_DISCOVER"):  # MATRIX_DISCOVER=file: write what happens, assert nothing
            with open(os.environ["MATRIX_DISCOVER"], "a") as out:
                out.write(f"{key}\t{column}\t{got}\n")
        elif got != _expected(key, column):
            wrong.append(f"{role} {key.split()[0]} {url}: {code} ({got}, expected {_expected(key, column)})")
    assert not wrong, wrong
