"""The one amount formatter (PRODUCT.md §6): 亿元 from 10,000 万元 up, two decimals at most, no .00 noise."""

from decimal import Decimal

import pytest
from flask_babel import force_locale

from app.services.formatting import figure, money


@pytest.mark.parametrize("amount,zh,en", [
    ("12000", "1.2 亿元", "RMB 120 m"),
    ("12000.00", "1.2 亿元", "RMB 120 m"),
    ("10000", "1 亿元", "RMB 100 m"),
    ("12345.67", "1.23 亿元", "RMB 123.4567 m"),
    ("14999.99", "1.5 亿元", "RMB 149.9999 m"),
    ("1758976.02", "175.9 亿元", "RMB 17.59 bn"),
    ("286500.50", "28.65 亿元", "RMB 2.87 bn"),
    ("100000", "10 亿元", "RMB 1 bn"),
    ("123456789.12", "12,345.68 亿元", "RMB 1,234.57 bn"),
    ("9999.99", "9,999.99 万元", "RMB 99.9999 m"),
    ("8500.50", "8,500.50 万元", "RMB 85.005 m"),
    ("8500.5", "8,500.50 万元", "RMB 85.005 m"),
    ("8500.00", "8,500 万元", "RMB 85 m"),
    ("0.01", "0.01 万元", "RMB 0.0001 m"),
    ("0", "0 万元", "RMB 0 m"),
    (None, "", ""),
])
def test_money(app, amount, zh, en):
    value = Decimal(amount) if amount is not None else None
    with app.test_request_context():
        with force_locale("zh"):
            assert money(value) == zh
        with force_locale("en"):
            assert money(value) == en


@pytest.mark.parametrize("amount,shown", [
    ("1234567.89", "1,234,567.89"), ("8500.00", "8,500"), ("8500.5", "8,500.50"), (None, ""),
])
def test_figure_for_columns_headed_in_wan(amount, shown):
    assert figure(Decimal(amount) if amount else None) == shown


def test_notifications_show_the_amount_in_the_readers_language(app, owner, admin):
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import NeedStatus, Notification
    from app.services import needs, notifications
    from tests import factories

    need = factories.make_need(org=owner.org, status=NeedStatus.submitted, amount=Decimal("12000.00"))
    needs.approve_need(need, by=admin)
    note = db.session.scalars(sa.select(Notification).where(Notification.user_id == owner.id)).one()
    assert note.params["amount"] == "12000.00"  # the figure, not a text in one language
    with app.test_request_context():
        with force_locale("zh"):
            assert "1.2 亿元" in notifications.render(note.kind, note.params)[1]
        with force_locale("en"):
            assert "RMB 120 m" in notifications.render(note.kind, note.params)[1]
        # a row written before keeps its text
        assert "5,000.00 万元" in notifications.render(note.kind, {**note.params, "amount": "5,000.00 万元"})[1]
