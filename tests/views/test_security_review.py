"""Security review (ASVS 5.0 L1/L2): findings, each shown by a test that failed before
its fix, and compact checks of what was verified as sound and not tested elsewhere."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.models import AuditEntry, NeedStatus, Notification, Role, UserSession, UserStatus
from app.models.base import utcnow
from app.reference import OrgKind
from app.services import attachments, search
from tests import factories
from tests.conftest import login
from tests.views.test_security import sibling_app

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ---- open redirects ---------------------------------------------------------------------------
# Browsers drop tabs and newlines from URLs and read "\" as "/": "/\t/evil.example" and
# "/\\evil.example" both lead off the site, though they start with a single "/".
OFFSITE = ["//evil.example/x", "https://evil.example/", "/\t/evil.example", "/\n/evil.example",
           "/\\evil.example", "/\\/evil.example", " //evil.example", "javascript:alert(1)"]


def _stays_on_site(location: str) -> bool:
    cleaned = "".join(c for c in location if c not in "\t\r\n ").replace("\\", "/")
    return cleaned.startswith("/") and not cleaned.startswith("//")


@pytest.mark.parametrize("target", OFFSITE)
def test_login_next_never_leaves_the_site(client, owner, target):
    db.session.commit()
    response = client.post("/login", query_string={"next": target},
                           data={"email": owner.email, "password": factories.PASSWORD})
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize("target", OFFSITE)
def test_language_switch_never_leaves_the_site(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.status_code == 302 and response.location == "/"


@pytest.mark.parametrize("target", OFFSITE)
def test_notification_link_never_leaves_the_site(client, owner, target):
    note = Notification(user_id=owner.id, kind="org_verified", params={"org": "x"}, link="/")
    db.session.add(note)
    login(client, owner)
    response = client.post(f"/notifications/{note.id}/read", data={"next": target})
    assert response.status_code == 302 and response.location == "/notifications/"


@pytest.mark.parametrize("target", ["/editions/\r\nSet-Cookie: x=1", "/editions/\t/evil.example"])
def test_saved_search_next_never_leaves_the_saved_page(client, institution, target):
    login(client, institution)
    response = client.post("/editions/saved", data={"name": "成都银行关注", "next": target})
    assert response.status_code == 302 and response.location == "/editions/saved"
    assert "Set-Cookie: x" not in str(response.headers)


@pytest.mark.parametrize("target", ["/needs/?status=listed", "/editions/2026-6#items"])
def test_local_next_targets_still_work(client, target):
    response = client.post("/language", data={"lang": "en", "next": target})
    assert response.location == target and _stays_on_site(response.location)


@pytest.mark.parametrize("referrer", ["https://evil.example/phish", "//evil.example/", "/\t/evil.example"])
def test_an_expired_form_sends_back_only_to_this_site(app, owner, referrer):
    """A refused CSRF token (and a stale edit) sends the user back where they came from:
    only if that is a page of this site."""
    db.session.commit()
    client = sibling_app(app, WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/login", data={"email": owner.email, "password": factories.PASSWORD},
                           headers={"Referer": referrer})
    assert response.status_code == 302 and response.location == "/login"


def test_an_expired_form_goes_back_to_the_page_of_this_site_it_came_from(app, owner):
    client = sibling_app(app, WTF_CSRF_ENABLED=True).test_client()
    response = client.post("/language", data={"lang": "en"},
                           headers={"Referer": "http://localhost/needs/?status=listed"})
    assert response.status_code == 302 and response.location == "/needs/?status=listed"


# ---- attachments are for verified readers only ----------------------------------------------------
@pytest.fixture
def listed_with_files(owner):
    """A listed need and its project, each with an attachment."""
    need = factories.make_need(org=owner.org, status=NeedStatus.listed)
    on_project = attachments.add_attachment(need.project, "可研报告.pdf", PDF, by=owner)
    need.status = NeedStatus.approved  # attach while open, then list it again
    on_need = attachments.add_attachment(need, "抵押物评估.pdf", PDF, by=owner)
    need.status = NeedStatus.listed
    db.session.commit()
    return need, on_project, on_need


@pytest.mark.parametrize("who", ["unverified_institution", "rejected_institution"])
def test_unverified_readers_get_no_attachments(client, request, listed_with_files, who):
    """Anyone can register an institution (a valid credit code is all it takes) and log in
    before verification: the files owners upload are not for such accounts."""
    if who == "rejected_institution":
        user = factories.make_user(factories.make_org(OrgKind.bank), status=UserStatus.rejected)
        db.session.commit()
    else:
        user = request.getfixturevalue(who)
    need, on_project, on_need = listed_with_files
    login(client, user)
    for att in (on_project, on_need):
        assert client.get(f"/attachments/{att.id}").status_code == 404
    # The pages still open (public fields), without the files' names or links.
    for path in (f"/needs/{need.id}", f"/projects/{need.project_id}"):
        page = client.get(path).get_data(as_text=True)
        assert "可研报告.pdf" not in page and "抵押物评估.pdf" not in page
        assert "/attachments/" not in page


@pytest.mark.parametrize("who", ["institution", "expert", "admin", "owner"])
def test_verified_readers_still_download_attachments(client, request, listed_with_files, who):
    need, on_project, on_need = listed_with_files
    login(client, request.getfixturevalue(who))
    for att in (on_project, on_need):
        response = client.get(f"/attachments/{att.id}")
        assert response.status_code == 200 and response.data == PDF
        assert response.headers["Content-Disposition"].startswith("attachment")
    assert "可研报告.pdf" in client.get(f"/projects/{need.project_id}").get_data(as_text=True)


# ---- e-mail headers ---------------------------------------------------------------------------------
def test_a_line_break_in_a_project_name_neither_breaks_nor_injects_mail(client, owner, admin, mailbox):
    project = factories.make_project(owner.org, name="天府大道\r\nBcc: victim@evil.example")
    need = factories.make_need(project=project)
    db.session.commit()
    login(client, owner)
    response = client.post(f"/needs/{need.id}/submit")
    assert response.status_code == 302
    db.session.refresh(need)
    assert need.status is NeedStatus.submitted
    [msg] = mailbox.to(admin.email)
    assert msg["Bcc"] is None and "\n" not in msg["Subject"] and "天府大道" in msg["Subject"]
    assert not mailbox.to("victim@evil.example")


# ---- reading a need's contacts is audited (PRODUCT.md §2: every sensitive read) ------------------------
def _contact_reads(need) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(
        AuditEntry.action == "financing_need.view_contact", AuditEntry.object_id == need.id)))


def test_reading_a_needs_contacts_is_audited_but_not_shown_as_history(client, owner, institution,
                                                                      unverified_institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, contact_phone="028-11112222")
    db.session.commit()
    login(client, unverified_institution)
    client.get(f"/needs/{need.id}")
    assert _contact_reads(need) == []  # saw no contacts: nothing to log
    login(client, institution)
    assert "028-11112222" in client.get(f"/needs/{need.id}").get_data(as_text=True)
    [entry] = _contact_reads(need)
    assert entry.actor_id == institution.id
    # The owner's own reads are not logged, and the owner's history does not list who looked.
    login(client, owner)
    page = client.get(f"/needs/{need.id}").get_data(as_text=True)
    assert len(_contact_reads(need)) == 1
    assert "view_contact" not in page and institution.name not in page


# ---- sessions have an absolute lifetime (ASVS 7.3.2) ------------------------------------------------
def test_a_session_ends_after_its_absolute_lifetime_even_if_used(app, client, owner):
    """The cookie's expiry slides with every request; the server-side session does not."""
    db.session.commit()
    client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    assert client.get("/profile").status_code == 200
    row = db.session.scalars(sa.select(UserSession).where(UserSession.user_id == owner.id)).one()
    lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"]
    row.created_at = utcnow() - lifetime + timedelta(minutes=5)
    db.session.commit()
    assert client.get("/profile").status_code == 200  # still inside the lifetime
    row.created_at = utcnow() - lifetime - timedelta(minutes=1)
    db.session.commit()
    response = client.get("/profile")
    assert response.status_code == 302 and "/login" in response.location


# ---- verified as sound: compact checks ------------------------------------------------------------
def test_login_replaces_whatever_session_came_before(app, client, owner):
    """Session fixation: values planted before login (another sid, a user id) are gone."""
    db.session.commit()
    with client.session_transaction() as sess:
        sess["sid"] = "planted-by-attacker"
        sess["planted"] = "x"
    client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    with client.session_transaction() as sess:
        assert sess["sid"] != "planted-by-attacker" and "planted" not in sess


def test_production_sends_hsts_and_secure_cookies(tmp_path):
    app = create_app("production", SECRET_KEY="k3!x9-a-long-random-production-secret",
                     SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'p.db'}")
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_an_unexpected_error_shows_no_trace(app, client, owner, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/citypartner/app.py line 42")

    monkeypatch.setattr(search.needs, "_filtered", boom)  # deep inside the review queue's search
    login(client, factories.make_user(factories.make_org(OrgKind.government), Role.admin))
    response = client.get("/needs/review")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "secret internals" not in page and "Traceback" not in page
