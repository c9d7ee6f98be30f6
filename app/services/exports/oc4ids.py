"""OC4IDS 0.9 project package of an edition (app/data/oc4ids/, open-contracting/infrastructure)."""

import json
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from flask import current_app, has_app_context

from app.reference import (
    Instrument,
    ReserveSubstage,
    Stage,
    industry,
)
from app.services.exports.edition import LIST_SEPARATOR, MARKERS, PUBLISHER, WAN, published_local, table_rows
from app.services.formatting import money

OC4IDS_VERSION = "0.9"
DEFAULT_LICENSE = "https://creativecommons.org/licenses/by/4.0/"

# Stage -> projectStatus (closed codelist). A reserve project (储备) is being prepared
# (agreement, feasibility study, approvals, design); a planned new start (计划新开工) has
# finished preparation but not begun works; 在建 is implementation; 竣工投产 completion.
STATUS = {
    Stage.reserve: "preparation",
    Stage.planned_start: "preparation",
    Stage.under_construction: "implementation",
    Stage.completed: "completion",
}
# A reserve project that has only signed an investment agreement is still being identified.
RESERVE_STATUS = {ReserveSubstage.agreement: "identification"}

# GB/T 4754-2017 division -> projectSector (open codelist; parents listed with subsectors).
SECTOR_BY_DIVISION = {
    "44": ["energy"], "45": ["energy"], "46": ["waterAndWaste"],
    "53": ["transport", "transport.rail"], "54": ["transport", "transport.road"],
    "55": ["transport", "transport.water"], "56": ["transport", "transport.air"],
    "57": ["transport"], "58": ["transport"], "59": ["transport"],
    "60": ["communications"], "63": ["communications"], "64": ["communications"],
    "65": ["communications"],
    "76": ["naturalResources", "naturalResources.floodProtection"],
    "77": ["naturalResources"], "78": ["waterAndWaste"], "79": ["naturalResources"],
    "83": ["education"], "84": ["health"], "85": ["health"],
    "86": ["cultureSportsAndRecreation"], "87": ["cultureSportsAndRecreation"],
    "88": ["cultureSportsAndRecreation"], "89": ["cultureSportsAndRecreation"],
    "90": ["cultureSportsAndRecreation"],
    "91": ["governance"], "92": ["governance"], "93": ["governance"], "94": ["governance"],
    "95": ["governance"], "96": ["governance"],
}
# Sections whose divisions are all economic activity (agriculture, mining, manufacturing,
# trade, finance, research ...).
ECONOMY_SECTIONS = set("ABCFHJLMO")
SECTOR_BY_CATEGORY = {"industry": ["economy"], "ecology": ["naturalResources"]}

# Instrument -> (financingArrangementType or None, assetClass). Insurance debt plans,
# leasing, securitisation and funds have no type of their own in the closed codelist.
FINANCE = {
    Instrument.project_loan: ("loan", "debt"),
    Instrument.working_capital_loan: ("loan", "debt"),
    Instrument.syndicated_loan: ("loan", "debt"),
    Instrument.bond: ("bond", "debt"),
    Instrument.insurance_debt_plan: (None, "debt"),
    Instrument.equity: ("shares.unlisted", "equity"),
    Instrument.financial_leasing: (None, "debt"),
    Instrument.abs_reits: (None, None),
    Instrument.industry_fund: (None, "equity"),
}


def _yuan(amount: Decimal | None) -> dict | None:
    """万元 -> a Value in CNY (a JSON number, exact: two decimals of 万元 are whole yuan)."""
    if amount is None:
        return None
    yuan = amount * WAN
    number = int(yuan) if yuan == yuan.to_integral_value() else float(yuan)
    return {"amount": number, "currency": "CNY"}


def _date_time(d: date | None) -> str | None:
    return f"{d.isoformat()}T00:00:00+08:00" if d else None


def _sector(item: Mapping) -> list[str]:
    code = item.get("industry_code") or ""
    division = code[:2] if code[:2].isdigit() else ""
    if division in SECTOR_BY_DIVISION:
        return list(SECTOR_BY_DIVISION[division])
    found = industry(division) if division else industry(code)
    if found and found.section in ECONOMY_SECTIONS:
        return ["economy"]
    return list(SECTOR_BY_CATEGORY.get(item.get("category"), []))


def _status(item: Mapping) -> str | None:
    stage = Stage(item["stage"]) if item.get("stage") else None
    if stage is None:
        return None
    if stage is Stage.reserve and item.get("reserve_substage"):
        return RESERVE_STATUS.get(ReserveSubstage(item["reserve_substage"]), STATUS[stage])
    return STATUS[stage]


def _compact(obj):
    """Drop None, "" and empty containers: OC4IDS fields have minLength / minItems 1."""
    if isinstance(obj, dict):
        cleaned = {k: _compact(v) for k, v in obj.items()}
        return {k: v for k, v in cleaned.items() if v not in (None, "", [], {})}
    if isinstance(obj, list):
        cleaned = [_compact(v) for v in obj]
        return [v for v in cleaned if v not in (None, "", [], {})]
    return obj


def _finance(item: Mapping, row: Mapping) -> dict:
    instruments = [Instrument(v) for v in item.get("instruments") or ()]
    types = {FINANCE[i][0] for i in instruments}
    asset_classes = sorted({FINANCE[i][1] for i in instruments} - {None})
    parts = [f"融资方式：{row['instruments']}" if row["instruments"] else None]
    if row["term_months"]:
        parts.append(f"期限：{row['term_months']}个月")
    if row["cost_ceiling"] is not None:
        parts.append(f"可接受成本上限：{row['cost_ceiling']}%/年")
    if row["use_of_funds"]:
        parts.append(f"资金用途：{row['use_of_funds']}")
    if row["credit_enhancements"]:
        parts.append(f"增信措施：{row['credit_enhancements']}")
    if row["funds_secured"] is not None:
        parts.append(f"已落实资金：{money(row['funds_secured'])}")
    return {
        "id": f"need-{item['need_id']}",
        "title": f"融资需求（{MARKERS.get(item.get('marker'), '')}，清单序号{row['seq']}）",
        "description": "；".join(p for p in parts if p),
        "value": _yuan(row["amount"]),
        "assetClass": asset_classes,
        "type": types.pop() if len(types) == 1 and None not in types else None,
    }


def _project(items: Sequence[Mapping], rows: Sequence[Mapping], meta: Mapping, updated) -> dict:
    first, row = items[0], rows[0]
    owner = {"id": "owner", "name": first.get("owner_org")}
    district = first.get("district_name_zh") or ""
    location = {
        "id": "1",
        "description": LIST_SEPARATOR.join(
            p for p in (district, first.get("zone_name_zh")) if p
        ),
        "address": {"locality": f"成都市{district}", "region": "四川省", "countryName": "中国"},
    }
    year = int(meta["year"])
    annual = row["annual_planned_investment"]
    project = {
        "id": f"oc4ids-cp-{first.get('project_code') or first['project_id']}",
        "updated": updated,
        "language": "zh",
        "identifiers": [{"id": first.get("project_code"), "scheme": "全国投资项目在线审批监管平台项目代码"}],
        "title": first.get("project_name"),
        "description": first.get("description"),
        "status": _status(first),
        "type": "construction",
        "sector": _sector(first),
        "additionalClassifications": [
            {"scheme": "GB/T 4754-2017", "id": first.get("industry_code"),
             "description": first.get("industry_name_zh")}
        ] if first.get("industry_code") else [],
        "publicAuthority": owner,
        "parties": [{**owner, "roles": ["publicAuthority"]}],
        "locations": [location] if district else [],
        "period": {
            "startDate": _date_time(row["planned_start"]),
            "endDate": _date_time(row["planned_completion"]),
        },
        "budget": {
            "description": f"总投资{money(row['total_investment'])}" if row["total_investment"] else None,
            "amount": _yuan(row["total_investment"]),
            "budgetBreakdowns": [{
                "id": "annual",
                "description": "年度计划投资",
                "budgetBreakdown": [{
                    "id": str(year),
                    "description": f"{year}年度计划投资",
                    "amount": _yuan(annual),
                    "period": {"startDate": f"{year}-01-01T00:00:00+08:00",
                               "endDate": f"{year}-12-31T23:59:59+08:00"},
                }],
            }] if annual is not None else [],
            "finance": [_finance(i, r) for i, r in zip(items, rows, strict=True)],
        },
    }
    return _compact(project)


def oc4ids_package(meta: Mapping, items: Sequence[Mapping]) -> dict:
    """The package as a dict: one project per project, its needs as budget.finance."""
    rows = table_rows(items)
    published = published_local(meta)
    updated = published.isoformat(timespec="seconds") if published else None
    groups: dict[Any, tuple[list, list]] = {}
    for item, row in zip(items, rows, strict=True):
        its, rs = groups.setdefault(item["project_id"], ([], []))
        its.append(item)
        rs.append(row)
    config = current_app.config if has_app_context() else {}
    site = (config.get("SITE_URL") or "").rstrip("/")
    slug = f"{meta['year']}-{meta['period']}"
    return _compact({
        "version": OC4IDS_VERSION,
        "uri": f"{site}/editions/{slug}.json",
        "publishedDate": updated,
        "publisher": {"name": PUBLISHER},
        "license": config.get("OPEN_DATA_LICENSE", DEFAULT_LICENSE),
        "publicationPolicy": config.get("PUBLICATION_POLICY_URL", f"{site}/editions/"),
        "projects": [_project(its, rs, meta, updated) for its, rs in groups.values()],
    })


def edition_json(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    return json.dumps(oc4ids_package(meta, items), ensure_ascii=False, indent=2).encode("utf-8")
