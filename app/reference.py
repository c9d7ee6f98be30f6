"""Reference data with translated labels: districts and zones, categories, industries,
levels, stages, instruments, credit enhancements, organisation kinds.

Stored values are the enum values / codes below; they are never translated. Labels
are looked up at display time in the reader's language.
"""

import csv
import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask import g, has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

DATA_DIR = Path(__file__).parent / "data"


class Level(enum.Enum):
    provincial = "provincial"
    municipal = "municipal"
    general = "general"


class Category(enum.Enum):
    infrastructure = "infrastructure"
    industry = "industry"
    livelihood = "livelihood"
    ecology = "ecology"


class Stage(enum.Enum):
    reserve = "reserve"
    planned_start = "planned_start"
    under_construction = "under_construction"
    completed = "completed"


class ReserveSubstage(enum.Enum):
    """The five reserve sub-stages the city reports, in order."""

    agreement = "agreement"
    feasibility = "feasibility"
    approvals = "approvals"
    design = "design"
    pre_construction = "pre_construction"


class Instrument(enum.Enum):
    project_loan = "project_loan"
    working_capital_loan = "working_capital_loan"
    syndicated_loan = "syndicated_loan"
    bond = "bond"
    insurance_debt_plan = "insurance_debt_plan"
    equity = "equity"
    financial_leasing = "financial_leasing"
    abs_reits = "abs_reits"
    industry_fund = "industry_fund"


class CreditEnhancement(enum.Enum):
    mortgage = "mortgage"
    pledge = "pledge"
    guarantee = "guarantee"
    credit = "credit"


class OrgKind(enum.Enum):
    owner = "owner"
    bank = "bank"
    insurer = "insurer"
    securities = "securities"
    private_capital = "private_capital"
    government = "government"


INSTITUTION_KINDS = frozenset(
    {OrgKind.bank, OrgKind.insurer, OrgKind.securities, OrgKind.private_capital}
)

LEVEL_LABELS = {
    Level.provincial: _l("Provincial key project"),
    Level.municipal: _l("Municipal key project"),
    Level.general: _l("General project"),
}
CATEGORY_LABELS = {
    Category.infrastructure: _l("Infrastructure"),
    Category.industry: _l("Modern industry"),
    Category.livelihood: _l("Public welfare and social services"),
    Category.ecology: _l("Ecology and environmental protection"),
}
STAGE_LABELS = {
    Stage.reserve: _l("Reserve"),
    Stage.planned_start: _l("Planned new start"),
    Stage.under_construction: _l("Under construction"),
    Stage.completed: _l("Completed and in operation"),
}
RESERVE_SUBSTAGE_LABELS = {
    ReserveSubstage.agreement: _l("Investment agreement signed"),
    ReserveSubstage.feasibility: _l("Preparing proposal and feasibility study"),
    ReserveSubstage.approvals: _l("Project approval, land and planning permits"),
    ReserveSubstage.design: _l("Preliminary and construction design"),
    ReserveSubstage.pre_construction: _l("Pre-construction preparation"),
}
INSTRUMENT_LABELS = {
    Instrument.project_loan: _l("Project loan"),
    Instrument.working_capital_loan: _l("Working capital loan"),
    Instrument.syndicated_loan: _l("Syndicated loan"),
    Instrument.bond: _l("Bonds"),
    Instrument.insurance_debt_plan: _l("Insurance funds / debt investment plan"),
    Instrument.equity: _l("Equity financing"),
    Instrument.financial_leasing: _l("Financial leasing"),
    Instrument.abs_reits: _l("Asset securitisation / REITs"),
    Instrument.industry_fund: _l("Industry fund"),
}
CREDIT_ENHANCEMENT_LABELS = {
    CreditEnhancement.mortgage: _l("Mortgage"),
    CreditEnhancement.pledge: _l("Pledge"),
    CreditEnhancement.guarantee: _l("Guarantee"),
    CreditEnhancement.credit: _l("Unsecured (credit)"),
}
ORG_KIND_LABELS = {
    OrgKind.owner: _l("Project owner"),
    OrgKind.bank: _l("Bank"),
    OrgKind.insurer: _l("Insurer"),
    OrgKind.securities: _l("Securities firm"),
    OrgKind.private_capital: _l("Fund / private capital"),
    OrgKind.government: _l("Government department"),
}

LABELS = {
    Level: LEVEL_LABELS,
    Category: CATEGORY_LABELS,
    Stage: STAGE_LABELS,
    ReserveSubstage: RESERVE_SUBSTAGE_LABELS,
    Instrument: INSTRUMENT_LABELS,
    CreditEnhancement: CREDIT_ENHANCEMENT_LABELS,
    OrgKind: ORG_KIND_LABELS,
}


def label(member: enum.Enum | None) -> str:
    """The translated label of any enum member that has one (statuses included)."""
    if member is None:
        return ""
    labels = LABELS.get(type(member))
    if not labels:
        return member.value
    memo = _request_labels()
    if memo is None:
        return str(labels[member])
    text = memo.get(member)
    if text is None:
        text = memo[member] = str(labels[member])
    return text


def _request_labels() -> dict | None:
    """The labels translated so far in this request and locale: a list page shows the same
    few labels on every row, and each translation looks the catalogue up again.
    force_locale (e-mails, exports) sets another locale object, hence another memo."""
    if not has_request_context():
        return None
    locale = getattr(g.get("_flask_babel"), "babel_locale", None)
    if locale is None:
        return None
    memo = g.get("_label_memo")
    if memo is None or memo[0] is not locale:
        memo = g._label_memo = (locale, {})
    return memo[1]


def register_labels(enum_cls: type[enum.Enum], labels: dict) -> dict:
    """Let models register their status labels so label() knows them too."""
    LABELS[enum_cls] = labels
    return labels


def choices(enum_cls: type[enum.Enum]) -> list[tuple[str, str]]:
    return [(m.value, label(m)) for m in enum_cls]


def _is_english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


@dataclass(frozen=True)
class Place:
    """A 区(市)县 (6-digit division code) or a functional zone (no county code)."""

    code: str
    name_zh: str
    name_en: str
    kind: str  # 区 / 县 / 县级市 / 功能区

    @property
    def label(self) -> str:
        return self.name_en if _is_english() else self.name_zh


# Chengdu's functional zones have no county code of their own (shared/data/README.md):
# they are a separate attribute of a project, never a district.
ZONES = (
    Place("tianfu", "四川天府新区成都直管区", "Sichuan Tianfu New Area (Chengdu)", "功能区"),
    Place("hitech", "成都高新区", "Chengdu Hi-tech Zone", "功能区"),
    Place("eastern", "成都东部新区", "Chengdu Eastern New Area", "功能区"),
)


@cache
def districts() -> tuple[Place, ...]:
    """Chengdu's 20 区(市)县, from modood/Administrative-divisions-of-China (WTFPL)."""
    with open(DATA_DIR / "chengdu_districts.csv", encoding="utf-8") as f:
        return tuple(
            Place(r["code"], r["name"], r["name_en_derived"], r["kind"]) for r in csv.DictReader(f)
        )


@cache
def _district_index() -> dict[str, Place]:
    return {p.code: p for p in districts()}


def district(code: str | None) -> Place | None:
    return _district_index().get(code) if code else None


def zone(code: str | None) -> Place | None:
    return next((z for z in ZONES if z.code == code), None)


def district_choices() -> list[tuple[str, str]]:
    return [(p.code, p.label) for p in districts()]


def zone_choices() -> list[tuple[str, str]]:
    return [(z.code, z.label) for z in ZONES]


@dataclass(frozen=True)
class Industry:
    code: str  # section letter (门类) or two-digit division (大类)
    section: str
    name_zh: str
    name_en: str

    @property
    def is_section(self) -> bool:
        return self.code.isalpha()

    @property
    def label(self) -> str:
        return self.name_en if _is_english() else self.name_zh


@cache
def industries() -> tuple[Industry, ...]:
    """GB/T 4754-2017 sections and divisions (app/data/industries_gbt4754_2017.csv)."""
    with open(DATA_DIR / "industries_gbt4754_2017.csv", encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        return tuple(Industry(r["code"], r["section"], r["name_zh"], r["name_en"]) for r in rows)


@cache
def _industry_index() -> dict[str, Industry]:
    return {i.code: i for i in industries()}


def industry(code: str | None) -> Industry | None:
    return _industry_index().get(code) if code else None


def industry_choices() -> list[tuple[str, str]]:
    """Divisions, each prefixed by its section, for a select box."""
    return [
        (i.code, f"{i.section}{i.code} {i.label}") for i in industries() if not i.is_section
    ]
