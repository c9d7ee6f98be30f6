"""Exports of a published list edition: PDF, Excel, CSV and an OC4IDS JSON project package.

Each export is a pure function of the edition's frozen snapshot (PRODUCT.md §2, "Publishing
freezes a snapshot"): `meta` (year, period, revision, title_zh, months_zh, published_at,
correction_note, item_count) and `items` (one dict per listed need, see the editions
service). They return bytes; views wrap them in send_file.

The package: spreadsheet (the shared writer of typed, formula-safe cells), pdf (the shared
PDF writer), and one module per document: edition (PDF, Excel, CSV of a list edition or a
selection), oc4ids (the JSON project package), audit_log (the audit log as a sheet).

The files stored at publication are the official full list, of PUBLIC fields only. A reader
can also have a selection made on request (the edition page's filters): its meta carries
`selection` (the filters in words, e.g. 所属区（市）县：锦江区；融资方式：项目贷款) and the files
say 筛选结果 in their title and name. Only when meta["contacts"] is set (a reader the view_contact
rule allows, audited by the caller) are the contact_* fields of an item read.
The exports are in Chinese, the language of the official list (成都市省、市重点项目融资需求
清单): column headers are the list's own wording, enum labels are looked up under
force_locale("zh"). Amounts are exact Decimals in 万元 (PRODUCT.md §6, "Money").
"""

from app.services.exports.audit_log import AUDIT_COLUMNS, AUDIT_SHEET_NAME, audit_xlsx  # noqa: F401
from app.services.exports.edition import (  # noqa: F401
    COLUMNS,
    CONTACT_COLUMNS,
    LIST_TITLE,
    META_SHEET_NAME,
    PUBLISHER,
    SHEET_NAME,
    columns,
    contact_row,
    edition_csv,
    edition_pdf,
    edition_xlsx,
    filename,
    public_row,
    selection_line,
)
from app.services.exports.oc4ids import edition_json, oc4ids_package  # noqa: F401
from app.services.exports.spreadsheet import Column, formula_safe, write_table  # noqa: F401
