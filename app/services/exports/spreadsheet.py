"""The spreadsheet writer every export shares: typed columns, formula-safe cells.

Text cells go through formula_safe (PRODUCT.md §5: formula-safe spreadsheet exports);
numbers, dates and times stay typed. Used for Excel sheets and CSV values alike."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.services.formatting import local

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





@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str  # text | int | money | rate | date | datetime
    width: int  # Excel column width, in characters


MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _xlsx_value(column: Column, value):
    if value is None or value == "":
        return None
    if column.kind == "text":
        return formula_safe(value)
    if column.kind == "datetime" and value.tzinfo is not None:  # as Excel keeps it: Beijing time, no zone
        return local(value).replace(tzinfo=None)
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



def csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind in ("money", "rate"):
        return f"{value:.2f}"  # plain decimal string, exact
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "int":
        return str(value)
    return formula_safe(value)
