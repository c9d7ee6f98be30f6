"""Interests kept safe at their edges: the follow forms send back only within the site, an
over-funding refusal names nobody else's disbursements, the "left uncontacted" reminder
reaches the institution's own verified institution users only, files in a conversation
show and download (and deleting one is refused, not an error), and a follower may always
stop following, even once the need has left the list."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Attachment, InterestStatus, NeedStatus, Notification, Role
from app.models.base import utcnow
from app.services import formatting, interests
from app.services.outcomes import reminders
from tests import factories
from tests.api.conftest import bearer
from tests.conftest import login

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"




# ---- the follow forms send back within the site only -------------------------------------
@pytest.mark.parametrize("target", ["//evil.example/phish", "/\t/evil.example"])
@pytest.mark.parametrize("action", ["follow", "unfollow"])
def test_follow_next_does_not_redirect_off_site(client, institution, need, action, target):
    login(client, institution)
    answer = client.post(f"/needs/{need.id}/{action}", data={"next": target})
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert "evil.example" not in location, location


# ---- an over-funding refusal names no other institution's disbursements ------------------
def _funded(need, user, amount: str):
    return factories.make_interest(need, user, InterestStatus.funded, amount=Decimal(amount),
                                   disbursed=[(amount, formatting.today())])


def _approved(need, user, amount: str):
    return factories.make_interest(need, user, InterestStatus.approved, amount=Decimal(amount))


def test_over_funding_refusal_on_the_page_hides_other_institutions_disbursements(
        client, institution, bank_b, need):
    _funded(need, institution, "31234.56")  # bank A: 31,234.56 万元 disbursed
    b = _approved(need, bank_b, "30000.00")
    db.session.commit()
    login(client, bank_b)
    answer = client.post(f"/interests/{b.id}/disbursements",
                         data={"amount": "20000", "disbursed_on": formatting.today().isoformat()})
    assert answer.status_code == 422  # refused: right; but not by telling B the sum of A's tranches
    page = answer.get_data(as_text=True)
    with client.application.test_request_context(headers={"Accept-Language": "zh"}):
        total = formatting.money(Decimal("51234.56"))  # A's 31,234.56 + B's 20,000
    for figure in (total, "5.12", "51,234.56", "51234.56"):
        assert figure not in page, figure


def test_over_funding_refusal_in_the_api_hides_other_institutions_disbursements(
        client, institution, bank_b, need):
    _funded(need, institution, "31234.56")
    b = _approved(need, bank_b, "30000.00")
    db.session.commit()
    answer = client.post(f"/api/v1/interests/{b.id}/disbursements", headers=bearer(bank_b),
                         json={"amount": "20000.00", "disbursed_on": formatting.today().isoformat()})
    assert answer.status_code == 422
    body = answer.get_data(as_text=True)
    for figure in ("5.12", "51,234.56", "51234.56", "51.23"):
        assert figure not in body, (figure, body)


# ---- the uncontacted reminder reaches verified institution users only --------------------
def test_uncontacted_reminder_goes_to_institution_users_only(app, institution, need):
    expert = factories.make_user(institution.org, Role.expert, email="expert-in-bank@test.cn", name="行内专家")
    factories.make_interest(need, institution, created_at=utcnow() - timedelta(days=30))
    db.session.commit()
    assert reminders.send_reminders() == 1
    db.session.commit()
    told = set(db.session.scalars(sa.select(Notification.user_id).where(
        Notification.kind == "interest_uncontacted")))
    assert institution.id in told
    assert expert.id not in told  # experts see no interests (issue 8 item 5), not even their bank's


# ---- files in a conversation -------------------------------------------------------------
def test_interest_page_with_a_message_attachment_renders_and_links_the_download(
        client, institution, owner, bank_b, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    db.session.commit()
    login(client, institution)
    from io import BytesIO
    answer = client.post(f"/interests/{interest.id}/messages", content_type="multipart/form-data",
                         data={"body": "附尽调清单", "file": (BytesIO(PDF), "清单.pdf")})
    assert answer.status_code == 302
    att = db.session.scalars(sa.select(Attachment).where(Attachment.message_id.is_not(None))).one()
    for user in (institution, owner):
        login(client, user)
        page = client.get(f"/interests/{interest.id}")
        assert page.status_code == 200, user.email
        assert f"/attachments/{att.id}" in page.get_data(as_text=True)
        assert client.get(f"/attachments/{att.id}").status_code == 200
    login(client, bank_b)  # the other bank: the file does not exist for it
    assert client.get(f"/attachments/{att.id}").status_code == 404


def test_uncontacted_reminder_skips_a_deactivated_institution(app, institution, need):
    from app.models import OrgStatus

    factories.make_interest(need, institution, created_at=utcnow() - timedelta(days=30))
    institution.org.status = OrgStatus.deactivated  # the platform shut the institution out
    db.session.commit()
    reminders.send_reminders()
    db.session.commit()
    assert not db.session.scalars(sa.select(Notification).where(
        Notification.user_id == institution.id, Notification.kind == "interest_uncontacted")).all()


# ---- a follower may stop following a need off the list -----------------------------------
def test_a_follower_can_unfollow_a_need_that_is_no_longer_listed(client, institution, need):
    from app.models import Follow

    interests.follow(institution, need)
    need.status = NeedStatus.submitted  # the owner edited its terms: back to review, followers still told
    db.session.commit()
    login(client, institution)
    answer = client.post(f"/needs/{need.id}/unfollow")
    assert answer.status_code in (302, 303), answer.status_code  # services.follows.unfollow: "works on a closed need too"
    assert db.session.scalar(sa.select(sa.func.count(Follow.id))) == 0


def test_deleting_a_message_attachment_is_refused_not_a_server_error(client, institution, need):
    interest = interests.express_interest(institution, need, factories.interest_data())
    message = interests.post_message(institution, interest, "附件", [("清单.pdf", PDF)])
    db.session.commit()
    att = db.session.scalars(sa.select(Attachment).where(Attachment.message_id == message.id)).one()
    login(client, institution)
    assert client.post(f"/attachments/{att.id}/delete").status_code == 403  # a message's files stay
    assert db.session.get(Attachment, att.id) is not None
