"""The need page and the deals in it: an institution keeps reading the needs it follows or
has dealt in once they leave the list (the interest page links to them), without their contacts, while
another institution still gets 404; owners and admins go from the need to its interests in
the workspace."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import InterestStatus, NeedStatus, Notification
from app.reference import OrgKind
from app.services import formatting, interests
from tests import factories
from tests.conftest import login


@pytest.fixture
def financed(owner, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, amount=Decimal("50000.00"),
                               funds_secured=Decimal("0"), contact_phone="13800000009")
    factories.make_interest(need, institution, status=InterestStatus.approved, credit_amount=Decimal("50000.00"),
                            credit_date=formatting.today())
    interests.close_financed(owner, need)
    db.session.commit()
    return need


def test_the_bank_that_financed_a_need_still_reads_it_without_contacts(client, institution, financed):
    login(client, institution)
    page = client.get(f"/needs/{financed.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "已融资" in text and "13800000009" not in text


def test_another_bank_and_an_expert_get_404(client, financed, expert):
    other = factories.make_user(factories.make_org(OrgKind.bank), email="b@test.cn")
    for user in (other, expert):
        login(client, user)
        assert client.get(f"/needs/{financed.id}").status_code == 404



def test_the_need_page_leads_its_owner_and_admins_to_its_interests_in_the_workspace(client, owner, admin, institution):
    need = factories.make_need(org=owner.org, status=NeedStatus.listed, funds_secured=Decimal("0"))
    elsewhere = factories.make_need(org=owner.org, status=NeedStatus.listed, funds_secured=Decimal("0"))
    mine = factories.make_interest(need, institution)
    factories.make_interest(elsewhere, institution)
    db.session.commit()
    for user in (owner, admin):
        login(client, user)
        page = client.get(f"/needs/{need.id}").get_data(as_text=True)
        assert f"/interests/?need_id={need.id}" in page and f"/interests/export.xlsx?need_id={need.id}" in page
        listed = client.get(f"/interests/?need_id={need.id}").get_data(as_text=True)
        assert f"/interests/{mine.id}\"" in listed and "共1条融资意向" in listed


def test_a_follower_reads_the_need_its_notices_link_to_after_it_left_the_list(client, institution, owner, need):

    interests.follow(institution, need)
    db.session.commit()
    interests.close_financed(owner, need, partly=True, note="已落实部分资金")
    db.session.commit()
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == institution.id,
                                                           Notification.kind == "follow_closed"))
    assert note.link == f"/needs/{need.id}"
    login(client, institution)
    assert client.get(note.link).status_code == 200
    login(client, factories.make_user(factories.make_org(OrgKind.bank), email="c@test.cn"))
    assert client.get(note.link).status_code == 404
