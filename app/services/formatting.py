"""Display of amounts (万元 / 亿元) and dates (Asia/Shanghai), in the reader's language.

Amounts are exact Decimals in 万元. 1 亿元 = 10,000 万元. In English, 1 万元 is
10,000 yuan: amounts are shown in RMB (exact) or RMB million / billion (summaries).
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import get_locale

TZ = ZoneInfo("Asia/Shanghai")
YI = Decimal(10000)
CENT = Decimal("0.01")


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _q(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def wan(amount) -> str:
    """An exact amount: 1,234.56 万元 / RMB 12,345,600."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    if _english():
        return f"RMB {amount * YI:,.0f}"
    return f"{_q(amount):,.2f} 万元"


def money(amount) -> str:
    """A summary amount: 亿元 from 10,000 万元 up (two decimals), 万元 below."""
    if amount is None:
        return ""
    amount = Decimal(amount)
    if _english():
        millions = amount / 100
        if millions >= 1000:
            return f"RMB {_q(millions / 1000):,.2f} bn"
        return f"RMB {_q(millions):,.2f} m"
    if amount >= YI:
        return f"{_q(amount / YI):,.2f} 亿元"
    return f"{_q(amount):,.2f} 万元"


def local(dt: datetime | None) -> datetime | None:
    return dt.astimezone(TZ) if dt else None


def datetime_str(dt: datetime | None) -> str:
    return local(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def date_str(d: date | datetime | None) -> str:
    if d is None:
        return ""
    if isinstance(d, datetime):
        d = local(d)
    return d.strftime("%Y-%m-%d")


def today() -> date:
    return datetime.now(TZ).date()
