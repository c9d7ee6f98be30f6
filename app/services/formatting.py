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


def _plain(value: Decimal, *, cents: bool) -> str:
    """Digits grouped by thousands. cents: two decimals when the value has any (8,500.50),
    none when it is whole (8,500); otherwise every significant decimal (1.234567)."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    if cents and value == value.quantize(CENT):
        return f"{value:,.2f}"
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _two(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def money(amount) -> str:
    """Every amount the site shows (tables, summaries, detail pages, notifications).

    PRODUCT.md §3 and §6 (Money): stored in 万元 with two decimals, 1 亿元 = 10,000 万元,
    shown as 万元 or 亿元 with two decimals, 亿元 from 10,000 万元 up. The rule:
    - from 10,000 万元 up: 亿元 rounded half-up to two decimals, trailing zeros dropped
      (12,000 万元 → 1.2 亿元; 10,000 → 1 亿元; 12,345.67 → 1.23 亿元); the computation
      stays in Decimal, so the figure is the exact amount's correct rounding;
    - below: 万元 exactly as stored, two decimals when there are cents, none when whole
      (8,500.50 万元 stays so; 8,500.00 → 8,500 万元).
    In English (1 万元 = 10,000 yuan = RMB 0.01 m): RMB m below RMB 1 bn, exact; RMB bn
    from there, to two decimals (RMB 85.005 m, RMB 1.2 bn).
    Input fields still take 万元 as typed; exports keep numbers (see figure()).
    """
    if amount is None or amount == "":
        return ""
    amount = Decimal(amount)
    if _english():
        millions = amount / 100
        if abs(millions) >= 1000:
            return f"RMB {_plain(_two(millions / 1000), cents=False)} bn"
        return f"RMB {_plain(millions, cents=False)} m"
    if abs(amount) >= YI:
        return f"{_plain(_two(amount / YI), cents=False)} 亿元"
    return f"{_plain(amount, cents=True)} 万元"


def figure(amount) -> str:
    """An amount in 万元 without its unit, for a table column whose heading names it
    (the PDF list): 1,234,567.89 / 8,500, with money()'s decimals rule."""
    if amount is None or amount == "":
        return ""
    return _plain(Decimal(amount), cents=True)


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
