"""Readiness checks run on every item of a draft edition before it is published.

Each check is a small function check(item, items) -> str | None taking the item's
snapshot dict (the contract in app/services/editions/__init__.py) and all items of the edition,
and returning a translated message when the item fails. A failure is a red flag; an
admin fixes it (through the owner: the need is linked from the flag) or justifies it,
which turns it yellow and keeps the reason. Publishing is refused while any flag is red.
"""

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from flask_babel import gettext as _

from app.reference import Instrument, ReserveSubstage, Stage
from app.services.approval import separator

# ---- project capital ratio (项目资本金最低比例) ------------------------------------------
# State Council 国发〔2015〕51号 (关于调整和完善固定资产投资项目资本金制度的通知), as amended
# by 国发〔2019〕26号 (关于加强固定资产投资项目资本金管理的通知), PRODUCT §6. The rules name
# sectors; we map GB/T 4754-2017 divisions (大类) to them. A division is coarser than a
# sector, so where a division holds several sectors the stricter ratio of a sector the
# division mainly covers is used and an admin may justify an exception (e.g. affordable
# housing at 20 % inside real estate, 70).
DEFAULT_CAPITAL_RATIO = Decimal("0.20")  # "all other projects" 20 %
CAPITAL_RATIOS = {
    "53": Decimal("0.20"),  # railways 铁路
    "54": Decimal("0.20"),  # highways and urban rail transit 公路、城市轨道交通 (5412)
    "55": Decimal("0.20"),  # ports, coastal and inland shipping 港口、沿海及内河航运
    "56": Decimal("0.25"),  # airports 机场
    "70": Decimal("0.25"),  # other real estate 25 % (affordable / ordinary housing 20 %: justify)
    "31": Decimal("0.40"),  # steel (and ferroalloy 3150, 30 %) 钢铁
    "32": Decimal("0.40"),  # electrolytic aluminium 电解铝 (3216)
    "30": Decimal("0.35"),  # cement 水泥 (3011)
    "06": Decimal("0.30"),  # coal 煤炭
    "25": Decimal("0.30"),  # coke 焦炭 (2521)
    "26": Decimal("0.30"),  # calcium carbide, caustic soda, yellow phosphorus 电石、烧碱、黄磷
    "13": Decimal("0.20"),  # corn deep processing 玉米深加工
}


def min_capital_ratio(industry_code: str | None) -> Decimal:
    return CAPITAL_RATIOS.get(industry_code or "", DEFAULT_CAPITAL_RATIO)


def _dec(value) -> Decimal | None:
    return Decimal(value) if value not in (None, "") else None


# ---- the checks ----------------------------------------------------------------------
REQUIRED_FIELDS = ("project_name", "project_code", "owner_org", "amount", "total_investment",
                   "term_months", "use_of_funds", "district_code", "industry_code")


def check_required(item: dict, items: list[dict]) -> str | None:
    if any(item.get(f) in (None, "", []) for f in REQUIRED_FIELDS) or not item.get("instruments"):
        return _("Required information is missing (amount, instruments, term, use of funds …).")
    return None


def check_contact(item: dict, items: list[dict]) -> str | None:
    if not (item.get("contact_name") or "").strip() or not (item.get("contact_phone") or "").strip():
        return _("The contact person or phone number is missing.")
    return None


def check_amount(item: dict, items: list[dict]) -> str | None:
    """The amount sought cannot exceed what the project still has to raise."""
    amount, total = _dec(item.get("amount")), _dec(item.get("total_investment"))
    secured = _dec(item.get("funds_secured")) or Decimal(0)
    if amount is not None and total is not None and amount > total - secured:
        return _("The amount sought exceeds the total investment less the financing in place.")
    return None


def check_dates(item: dict, items: list[dict]) -> str | None:
    start, end = item.get("planned_start"), item.get("planned_completion")
    if start and end and start > end:  # ISO dates compare as strings
        return _("The planned completion date is before the planned start date.")
    return None


# Instruments that do not fit the project's stage:
# - Asset securitisation / REITs need operating assets with stable cash flow (for
#   infrastructure REITs, 发改投资〔2021〕958号: in operation, normally 3 years): only a
#   completed project can ask for them.
# - A project loan finances construction: a completed project asking for one is
#   flagged (refinancing or working capital is usually what is meant).
# - A reserve project at 签订投资协议 or 编制项目建议书及可研 has no approvals yet, so
#   bonds cannot be issued for it (bond issuance needs the project approved).
def check_instruments_stage(item: dict, items: list[dict]) -> str | None:
    stage, substage = item.get("stage"), item.get("reserve_substage")
    chosen = set(item.get("instruments") or [])
    wrong = set()
    if stage != Stage.completed.value:
        wrong |= chosen & {Instrument.abs_reits.value}
    if stage == Stage.completed.value:
        wrong |= chosen & {Instrument.project_loan.value}
    early = {ReserveSubstage.agreement.value, ReserveSubstage.feasibility.value}
    if stage == Stage.reserve.value and substage in early:
        wrong |= chosen & {Instrument.bond.value}
    if wrong:
        return _("Instruments unusual for the project's stage: %(instruments)s.",
                 instruments=", ".join(sorted(wrong)))
    return None


def check_capital_ratio(item: dict, items: list[dict]) -> str | None:
    """Capital in place ÷ total investment against the minimum ratio (国发〔2019〕26号)."""
    total = _dec(item.get("total_investment"))
    secured = _dec(item.get("funds_secured")) or Decimal(0)
    if not total:
        return None
    ratio = min_capital_ratio(item.get("industry_code"))
    if secured / total < ratio:
        return _("Capital in place is %(actual)s%% of the total investment, below the minimum "
                 "project capital ratio of %(minimum)s%%.",
                 actual=f"{secured / total * 100:.1f}", minimum=f"{ratio * 100:.0f}")
    return None


class Batch(list):
    """All the items of an edition, with what the cross-item checks need counted once
    (not once per item: an edition has thousands)."""

    @cached_property
    def code_counts(self) -> Counter:
        return Counter(i.get("project_code") for i in self)

    @cached_property
    def name_counts(self) -> Counter:
        return Counter((i.get("project_name") or "").strip() for i in self)


def check_duplicates(item: dict, items: list[dict]) -> str | None:
    """The same project code, or the same name under another code, in two items."""
    batch = items if isinstance(items, Batch) else Batch(items)
    codes, names = batch.code_counts, batch.name_counts
    if codes[item.get("project_code")] > 1 or names[(item.get("project_name") or "").strip()] > 1:
        return _("Another item of this edition has the same project code or name.")
    return None


def check_need_open(item: dict, items: list[dict]) -> str | None:
    if item.get("need_status") not in (None, "approved", "listed"):
        return _("The need is no longer open (it was withdrawn, financed or sent back for review).")
    return None


def check_changed_since_approval(item: dict, items: list[dict]) -> str | None:
    """The need or its project changed in a reviewed field since the need's approval
    (`changed_since_approval`: the changed fields' labels, set on a draft's live items)."""
    fields = item.get("changed_since_approval")
    if fields:
        return _("The need or its project changed since its approval (%(fields)s): it must be "
                 "reviewed again before it is listed.", fields=separator().join(fields))
    return None


@dataclass(frozen=True)
class Check:
    code: str
    run: object
    justifiable: bool = True


CHECKS = (
    Check("required", check_required),
    Check("contact", check_contact),
    Check("amount", check_amount),
    Check("dates", check_dates),
    Check("instruments_stage", check_instruments_stage),
    Check("capital_ratio", check_capital_ratio),
    Check("duplicate", check_duplicates),
    Check("need_open", check_need_open, justifiable=False),  # remove the item instead
    # Unreviewed data never reaches the list: review the need again or remove the item.
    Check("changed", check_changed_since_approval, justifiable=False),
)
CHECKS_BY_CODE = {c.code: c for c in CHECKS}


@dataclass(frozen=True)
class Flag:
    code: str
    message: str
    justification: str | None = None  # set: yellow; None: red
    justifiable: bool = True

    @property
    def red(self) -> bool:
        return self.justification is None


def flags_for(item: dict, items: list[dict], justifications: dict | None = None) -> list[Flag]:
    justifications = justifications or {}
    flags = []
    for check in CHECKS:
        message = check.run(item, items)
        if message:
            accepted = justifications.get(check.code) if check.justifiable else None
            flags.append(Flag(check.code, message, (accepted or {}).get("reason"), check.justifiable))
    return flags
