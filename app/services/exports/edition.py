"""The files of a list edition (and of a selection of it): PDF, Excel and CSV."""

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale

from app.reference import (
    Category,
    CreditEnhancement,
    Instrument,
    Level,
    ReserveSubstage,
    Stage,
    label,
)
from app.services.exports.pdf import PDF_PARALLEL_MIN_ROWS, halves, html_to_pdf, pages_numbered
from app.services.exports.spreadsheet import MONEY_FORMAT, Column, csv_value, formula_safe, write_table
from app.services.formatting import TZ, figure

LIST_TITLE = "成都市省、市重点项目融资需求清单"
PUBLISHER = "成都市发展和改革委员会"
CENT = Decimal("0.01")
WAN = Decimal(10000)  # 1 万元 = 10,000 元
MARKERS = {"new": "新增", "carried": "延续"}
LIST_SEPARATOR = "、"


COLUMNS = (
    Column("seq", "序号", "int", 6),
    Column("marker", "新增/延续", "text", 9),
    Column("project_name", "项目名称", "text", 36),
    Column("project_code", "项目代码", "text", 22),
    Column("owner_org", "项目业主", "text", 30),
    Column("level", "项目级别", "text", 14),
    Column("category", "项目类别", "text", 14),
    Column("industry_code", "行业代码", "text", 9),
    Column("industry", "所属行业", "text", 20),
    Column("district", "区(市)县", "text", 12),
    Column("zone", "功能区", "text", 16),
    Column("stage", "项目阶段", "text", 14),
    Column("reserve_substage", "储备阶段", "text", 18),
    Column("total_investment", "总投资（万元）", "money", 16),
    Column("annual_planned_investment", "年度计划投资（万元）", "money", 16),
    Column("amount", "融资需求金额（万元）", "money", 16),
    Column("funds_secured", "已落实资金（万元）", "money", 16),
    Column("instruments", "融资方式", "text", 26),
    Column("term_months", "融资期限（月）", "int", 10),
    Column("cost_ceiling", "可接受成本上限（%/年）", "rate", 12),
    Column("use_of_funds", "资金用途", "text", 30),
    Column("credit_enhancements", "增信措施", "text", 16),
    Column("planned_start", "计划开工", "date", 12),
    Column("planned_completion", "计划竣工", "date", 12),
    Column("is_priority", "重点推进", "text", 9),
    Column("description", "项目简介", "text", 40),
)
CONTACT_COLUMNS = (
    Column("contact_name", "联系人", "text", 12),
    Column("contact_phone", "联系电话", "text", 16),
    Column("contact_email", "电子邮箱", "text", 26),
)
SELECTION_ZH = "筛选结果"
CONTACTS_ZH = "含联系方式"


def columns(contacts: bool = False) -> tuple[Column, ...]:
    return COLUMNS + CONTACT_COLUMNS if contacts else COLUMNS


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _date(value) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.astimezone(TZ).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


_LABEL_MAPS: dict = {}


def _label_map(enum_cls) -> dict[str, str]:
    """{value: label} of an enum in the current language, translated once (a gettext per
    cell costs more than the rest of an export's row)."""
    key = (str(get_locale()), enum_cls)
    found = _LABEL_MAPS.get(key)
    if found is None:
        found = _LABEL_MAPS[key] = {m.value: label(m) for m in enum_cls}
    return found


def _labels(enum_cls, values: Iterable) -> str:
    names = _label_map(enum_cls)
    return LIST_SEPARATOR.join(names[enum_cls(v).value] for v in values or ())


def _enum_label(enum_cls, value) -> str:
    return _label_map(enum_cls)[enum_cls(value).value] if value else ""


def contact_row(item: Mapping) -> dict[str, str]:
    return {c.key: item.get(c.key) or "" for c in CONTACT_COLUMNS}


def public_row(item: Mapping) -> dict[str, Any]:
    """The typed public values of one item, keyed like COLUMNS. Call under force_locale."""
    district = item.get("district_name_zh") or ""
    return {
        "seq": int(item["seq"]),
        "marker": MARKERS.get(item.get("marker"), ""),
        "project_name": item.get("project_name") or "",
        "project_code": item.get("project_code") or "",
        "owner_org": item.get("owner_org") or "",
        "level": _enum_label(Level, item.get("level")),
        "category": _enum_label(Category, item.get("category")),
        "industry_code": item.get("industry_code") or "",
        "industry": item.get("industry_name_zh") or "",
        "district": district,
        "zone": item.get("zone_name_zh") or "",
        "stage": _enum_label(Stage, item.get("stage")),
        "reserve_substage": _enum_label(ReserveSubstage, item.get("reserve_substage")),
        "total_investment": _decimal(item.get("total_investment")),
        "annual_planned_investment": _decimal(item.get("annual_planned_investment")),
        "amount": _decimal(item.get("amount")),
        "funds_secured": _decimal(item.get("funds_secured")),
        "instruments": _labels(Instrument, item.get("instruments")),
        "term_months": item.get("term_months"),
        "cost_ceiling": _decimal(item.get("cost_ceiling")),
        "use_of_funds": item.get("use_of_funds") or "",
        "credit_enhancements": _labels(CreditEnhancement, item.get("credit_enhancements")),
        "planned_start": _date(item.get("planned_start")),
        "planned_completion": _date(item.get("planned_completion")),
        "is_priority": "是" if item.get("is_priority") else "",
        "description": item.get("description") or "",
    }


def table_rows(items: Sequence[Mapping], contacts: bool = False) -> list[dict[str, Any]]:
    with force_locale("zh"):
        if contacts:
            return [{**public_row(item), **contact_row(item)} for item in items]
        return [public_row(item) for item in items]


def published_local(meta: Mapping) -> datetime | None:
    value = meta.get("published_at")
    if not value:
        return None
    dt = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(TZ)


def _total(rows: Iterable[Mapping], key: str) -> Decimal:
    return sum((r[key] for r in rows if r[key] is not None), Decimal("0.00"))


def _wan(value: Decimal | None) -> str:
    """1,234,567.89 / 8,500 (万元, exact) for the PDF's columns headed 万元."""
    return figure(value)


def _revision_zh(meta: Mapping) -> str:
    return f"第{int(meta.get('revision') or 1)}版"


def filename(meta: Mapping, ext: str) -> str:
    """成都市省、市重点项目融资需求清单_2026年第6期_第1版.pdf (for Content-Disposition); a
    selection adds _筛选结果, a version with contact details _含联系方式."""
    parts = [LIST_TITLE, f"{meta['year']}年第{meta['period']}期", _revision_zh(meta)]
    if meta.get("selection") is not None:
        parts.append(SELECTION_ZH)
    if meta.get("contacts"):
        parts.append(CONTACTS_ZH)
    return "_".join(parts) + f".{ext}"


def selection_line(meta: Mapping) -> str | None:
    """The title line of a selection: 筛选结果（所属区（市）县：锦江区；融资方式：项目贷款）,
    or 筛选结果（全部项目） when no filter is set; None for the official full list."""
    selection = meta.get("selection")
    if selection is None:
        return None
    return f"{SELECTION_ZH}（{selection or '全部项目'}）"


def _title_line(meta: Mapping) -> str:
    """清单名称 2026年第6期（11–12月） 第1版 筛选结果（…） 含联系方式."""
    parts = [LIST_TITLE, meta.get("title_zh") or "", _revision_zh(meta), selection_line(meta) or ""]
    if meta.get("contacts"):
        parts.append(CONTACTS_ZH)
    return " ".join(p for p in parts if p)



def edition_pdf(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """The official-looking list: title, period, revision, publication date, 更正说明,
    one row per item with a header repeated on every page, "第 x 页 / 共 y 页".

    The table is rendered without page numbers, in two halves in parallel when it is long
    (the second half in a fresh 'spawn' process: WeasyPrint never runs in a forked copy of
    a multi-threaded server), then the pages are merged and numbered by stamping a
    one-line overlay onto each (pages_numbered)."""
    contacts = bool(meta.get("contacts"))
    rows = table_rows(items, contacts)
    published = published_local(meta)
    # The template is rendered without request context processors: a pure function of the
    # snapshot, callable from a view, a CLI command or a benchmark alike.
    template = current_app.jinja_env.get_template("exports/edition_pdf.html")
    parts_of = halves(rows, len(rows) >= PDF_PARALLEL_MIN_ROWS)
    htmls = [template.render(
        list_title=LIST_TITLE,
        publisher=PUBLISHER,
        meta=meta,
        revision_zh=_revision_zh(meta),
        published=f"{published:%Y年%-m月%-d日}" if published else "",
        rows=chunk,
        selection=selection_line(meta),
        contacts=contacts,
        first=i == 0,
        last=i == len(parts_of) - 1,
        count=len(rows),
        total_amount=_wan(_total(rows, "amount")),
        wan=_wan,
    ) for i, chunk in enumerate(parts_of)]
    if len(htmls) == 1:
        parts = [html_to_pdf(htmls[0])]
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=len(htmls) - 1,
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            later = [pool.submit(html_to_pdf, html) for html in htmls[1:]]
            parts = [html_to_pdf(htmls[0])] + [f.result() for f in later]
    return pages_numbered(parts)



SHEET_NAME = "融资需求清单"
META_SHEET_NAME = "说明"


def edition_xlsx(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """One sheet of items (typed cells, frozen header, auto-filter) and a 说明 sheet. A
    selection's sheet starts with its title line (筛选结果 and the filters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    contacts = bool(meta.get("contacts"))
    rows = table_rows(items, contacts)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    bold = Font(bold=True)
    selected = meta.get("selection") is not None
    write_table(ws, columns(contacts), rows, title=_title_line(meta) if selected else None)

    info = wb.create_sheet(META_SHEET_NAME)
    published = published_local(meta)
    info_rows = [
        ("清单", LIST_TITLE),
        ("期次", meta.get("title_zh") or ""),
        ("月份", meta.get("months_zh") or ""),
        ("版次", _revision_zh(meta)),
        ("发布时间（北京时间）", published.replace(tzinfo=None) if published else None),
        ("发布单位", PUBLISHER),
        ("更正说明", meta.get("correction_note") or ""),
        *([("筛选条件", meta.get("selection") or "全部项目")] if selected else []),
        *([("联系方式", "本文件含联系方式，仅供下载人开展融资对接使用，请勿外传")] if contacts else []),
        ("项目数", len(rows)),
        ("融资需求合计（万元）", _total(rows, "amount")),
        ("金额单位", "万元（1亿元 = 10,000万元）"),
    ]
    for key, value in info_rows:
        info.append([key, formula_safe(value)])
    for cell in info["A"]:
        cell.font = bold
    for row in info.iter_rows():
        if row[0].value == "发布时间（北京时间）":
            row[1].number_format = "yyyy-mm-dd hh:mm"
        elif row[0].value == "融资需求合计（万元）":
            row[1].number_format = MONEY_FORMAT
    info.column_dimensions["A"].width = 22
    info.column_dimensions["B"].width = 60

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()



def edition_csv(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """The same columns as the Excel file, one header row in Chinese; a selection starts
    with its title line (筛选结果 and the filters)."""
    contacts = bool(meta.get("contacts"))
    rows = table_rows(items, contacts)
    cols = columns(contacts)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if meta.get("selection") is not None:
        writer.writerow([formula_safe(_title_line(meta))])
    writer.writerow([c.header for c in cols])
    for row in rows:
        writer.writerow([csv_value(c, row[c.key]) for c in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
