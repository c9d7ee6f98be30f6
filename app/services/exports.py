"""Exports of a published list edition: PDF, Excel, CSV and an OC4IDS JSON project package.

Each export is a pure function of the edition's frozen snapshot (PRODUCT.md §2, "Publishing
freezes a snapshot"): `meta` (year, period, revision, title_zh, months_zh, published_at,
correction_note, item_count) and `items` (one dict per listed need, see the editions
service). They return bytes; views wrap them in send_file.

The files stored at publication are the official full list, of PUBLIC fields only. A reader
can also have a selection made on request (the edition page's filters): its meta carries
`selection` (the filters in words, e.g. 所属区（市）县：锦江区；融资方式：项目贷款) and the files
say 筛选结果 in their title and name. Only when meta["contacts"] is set (a reader the view_contact
rule allows, audited by the caller) are the contact_* fields of an item read.
The exports are in Chinese, the language of the official list (成都市省、市重点项目融资需求
清单): column headers are the list's own wording, enum labels are looked up under
force_locale("zh"). Amounts are exact Decimals in 万元 (PRODUCT.md §6, "Money").
"""

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale

from app.reference import (
    Category,
    CreditEnhancement,
    Instrument,
    Level,
    ReserveSubstage,
    Stage,
    industry,
    label,
)
from app.services.formatting import TZ, figure, money

LIST_TITLE = "成都市省、市重点项目融资需求清单"
PUBLISHER = "成都市发展和改革委员会"
CENT = Decimal("0.01")
WAN = Decimal(10000)  # 1 万元 = 10,000 元
MARKERS = {"new": "新增", "carried": "延续"}
LIST_SEPARATOR = "、"

# ---------------------------------------------------------------------------
# Formula-injection guard (PRODUCT.md §5: formula-safe spreadsheet exports)
# ---------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# C0 controls except tab, line feed and carriage return (openpyxl's ILLEGAL_CHARACTERS_RE)
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def formula_safe(value: Any) -> Any:
    """Neutralise a text cell a spreadsheet would run as a formula (OWASP "CSV injection").

    Text beginning with = + - @ tab or CR gets a leading apostrophe; control characters
    that a spreadsheet cannot hold (XML 1.0 forbids them; openpyxl refuses them) are
    dropped, so a name typed with one never breaks an export. Anything else, and every
    non-text value, is returned unchanged. Used by both the Excel and CSV exports.
    """
    if not isinstance(value, str):
        return value
    value = CONTROL_CHARACTERS.sub("", value)
    if value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# ---------------------------------------------------------------------------
# Rows: one item of the snapshot -> the typed values of the public columns
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text | int | money | rate | date
    width: int  # Excel column width, in characters


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


def _rows(items: Sequence[Mapping], contacts: bool = False) -> list[dict[str, Any]]:
    with force_locale("zh"):
        if contacts:
            return [{**public_row(item), **contact_row(item)} for item in items]
        return [public_row(item) for item in items]


def _published_local(meta: Mapping) -> datetime | None:
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


# ---------------------------------------------------------------------------
# PDF (WeasyPrint, A4 landscape, embedded Noto Sans CJK SC)
# ---------------------------------------------------------------------------


# Above this many rows the table is laid out in two halves at once, the second in a spawned
# process (WeasyPrint spends ~10 ms of CPU per row; a machine has 2 cores or more).
PDF_PARALLEL_MIN_ROWS = 200


def _chunks(rows: list, parallel: bool) -> list[list]:
    if not parallel:
        return [rows]
    half = (len(rows) + 1) // 2
    return [rows[:half], rows[half:]]


def edition_pdf(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """The official-looking list: title, period, revision, publication date, 更正说明,
    one row per item with a header repeated on every page, "第 x 页 / 共 y 页".

    The table is rendered without page numbers, in two halves in parallel when it is long
    (the second half in a fresh 'spawn' process: WeasyPrint never runs in a forked copy of
    a multi-threaded server), then the pages are merged and numbered by stamping a
    one-line overlay onto each (pages_numbered)."""
    contacts = bool(meta.get("contacts"))
    rows = _rows(items, contacts)
    published = _published_local(meta)
    # The template is rendered without request context processors: a pure function of the
    # snapshot, callable from a view, a CLI command or a benchmark alike.
    template = current_app.jinja_env.get_template("exports/edition_pdf.html")
    chunks = _chunks(rows, len(rows) >= PDF_PARALLEL_MIN_ROWS)
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
        last=i == len(chunks) - 1,
        count=len(rows),
        total_amount=_wan(_total(rows, "amount")),
        wan=_wan,
    ) for i, chunk in enumerate(chunks)]
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


def html_to_pdf(html: str) -> bytes:
    """WeasyPrint, in this process or a spawned worker (a plain function of a string)."""
    from weasyprint import HTML  # imported here: ~0.4 s, only paid by the PDF export

    return HTML(string=html).write_pdf()


PAGE_NUMBERS_HTML = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>
@page { size: A4 landscape; margin: 14mm 10mm 14mm 10mm;
  @bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; } }
html { font-family: "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; font-size: 8pt; }
div + div { page-break-before: always; }
</style></head><body>%s</body></html>"""


def pages_numbered(parts: Sequence[bytes]) -> bytes:
    """The PDFs `parts` one after the other, every page stamped "第 x 页 / 共 y 页" (an
    overlay of y small pages rendered once by WeasyPrint, merged with pypdf)."""
    from pypdf import PdfReader, PdfWriter

    readers = [PdfReader(io.BytesIO(part)) for part in parts]
    pages = [page for reader in readers for page in reader.pages]
    overlay = PdfReader(io.BytesIO(html_to_pdf(PAGE_NUMBERS_HTML % ("<div></div>" * len(pages)))))
    if len(overlay.pages) != len(pages):
        raise RuntimeError(f"page numbers: {len(overlay.pages)} overlay pages for {len(pages)} pages")
    writer = PdfWriter()
    for page, number in zip(pages, overlay.pages, strict=True):
        added = writer.add_page(page)
        added.merge_page(number)
        added.compress_content_streams()
    if readers[0].metadata:
        writer.add_metadata({k: v for k, v in readers[0].metadata.items() if isinstance(v, str)})
    writer.compress_identical_objects()
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# ---------------------------------------------------------------------------
# Excel (openpyxl)
# ---------------------------------------------------------------------------

SHEET_NAME = "融资需求清单"
META_SHEET_NAME = "说明"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _xlsx_value(column: Column, value):
    if value is None or value == "":
        return None
    if column.kind == "text":
        return formula_safe(value)
    return value  # Decimal, int and date stay typed: numbers and dates in Excel


XLSX_FORMATS = {"money": MONEY_FORMAT, "rate": "0.00", "date": DATE_FORMAT, "int": "0",
                "datetime": "yyyy-mm-dd hh:mm:ss"}


def write_table(ws, cols: Sequence[Column], rows: Iterable[Mapping], *, title: str | None = None) -> None:
    """A sheet of typed cells: an optional bold title line, one header row (frozen, with
    an auto-filter, repeated on printed pages), then one row per dict keyed like cols.
    Text goes through formula_safe; numbers, dates and times stay typed. Shared by every
    spreadsheet the platform writes."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    header_row = 1
    if title is not None:
        ws.append([formula_safe(title)])
        ws["A1"].font = Font(bold=True, size=13)
        header_row = 2
    ws.append([c.header for c in cols])
    for cell in ws[header_row]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="DDE5F0")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    r = header_row
    for r, row in enumerate(rows, start=header_row + 1):
        for c, column in enumerate(cols, start=1):
            value = _xlsx_value(column, row[column.key])
            if value is None:
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if column.kind in XLSX_FORMATS:
                cell.number_format = XLSX_FORMATS[column.kind]
            elif isinstance(value, str) and "\n" in value:
                cell.alignment = wrap
    for c, column in enumerate(cols, start=1):
        ws.column_dimensions[get_column_letter(c)].width = column.width
    ws.freeze_panes = f"A{header_row + 1}"
    ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(cols))}{max(r, header_row)}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4


def edition_xlsx(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """One sheet of items (typed cells, frozen header, auto-filter) and a 说明 sheet. A
    selection's sheet starts with its title line (筛选结果 and the filters)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    contacts = bool(meta.get("contacts"))
    rows = _rows(items, contacts)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET_NAME
    bold = Font(bold=True)
    selected = meta.get("selection") is not None
    write_table(ws, columns(contacts), rows, title=_title_line(meta) if selected else None)

    info = wb.create_sheet(META_SHEET_NAME)
    published = _published_local(meta)
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


# ---------------------------------------------------------------------------
# The audit log (admin/audit.xlsx): the entries in words, as the page shows them
# ---------------------------------------------------------------------------

AUDIT_SHEET_NAME = "操作日志"
AUDIT_COLUMNS = (
    Column("at", "时间（北京时间）", "datetime", 19),
    Column("actor", "操作人", "text", 14),
    Column("actor_org", "所在单位", "text", 26),
    Column("ip", "IP地址", "text", 15),
    Column("action", "操作", "text", 22),
    Column("object_type", "对象类型", "text", 12),
    Column("object", "对象", "text", 30),
    Column("fields", "变更事项", "text", 20),
    Column("before", "变更前", "text", 30),
    Column("after", "变更后", "text", 30),
    Column("note", "备注", "text", 30),
)


def audit_xlsx(lines: Sequence, *, filters_text: str = "") -> bytes:
    """One row per entry (audit.present), typed time cells in Beijing time, changes one
    field a line; a title line says which entries (the filters) and when it was exported."""
    from openpyxl import Workbook

    def row(line) -> dict:
        e = line.entry
        return {
            "at": e.at.astimezone(TZ).replace(tzinfo=None) if e.at else None,
            "actor": line.actor, "actor_org": line.actor_org, "ip": e.ip or "",
            "action": line.action, "object_type": line.object_type, "object": line.object,
            "fields": "\n".join(c.label for c in line.changes),
            "before": "\n".join(c.before for c in line.changes),
            "after": "\n".join(c.after for c in line.changes),
            "note": e.note or "",
        }

    wb = Workbook()
    ws = wb.active
    ws.title = AUDIT_SHEET_NAME
    exported = datetime.now(TZ)
    title = f"{PUBLISHER} 重点项目融资对接平台操作日志（筛选条件：{filters_text or '全部'}；导出时间：{exported:%Y-%m-%d %H:%M}）"
    write_table(ws, AUDIT_COLUMNS, (row(line) for line in lines), title=title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------
# CSV (UTF-8 with BOM so that Excel opens Chinese text correctly)
# ---------------------------------------------------------------------------


def _csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind in ("money", "rate"):
        return f"{value:.2f}"  # plain decimal string, exact
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "int":
        return str(value)
    return formula_safe(value)


def edition_csv(meta: Mapping, items: Sequence[Mapping]) -> bytes:
    """The same columns as the Excel file, one header row in Chinese; a selection starts
    with its title line (筛选结果 and the filters)."""
    contacts = bool(meta.get("contacts"))
    rows = _rows(items, contacts)
    cols = columns(contacts)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if meta.get("selection") is not None:
        writer.writerow([formula_safe(_title_line(meta))])
    writer.writerow([c.header for c in cols])
    for row in rows:
        writer.writerow([_csv_value(c, row[c.key]) for c in cols])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------------------
# OC4IDS 0.9 project package (app/data/oc4ids/, open-contracting/infrastructure)
# ---------------------------------------------------------------------------

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
    rows = _rows(items)
    published = _published_local(meta)
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
