"""The audit log as a spreadsheet (admin/audit.xlsx): the entries in words, as the page shows them."""

import io
from collections.abc import Sequence
from datetime import datetime

from app.services.exports.edition import PUBLISHER
from app.services.exports.spreadsheet import Column, write_table
from app.services.formatting import TZ

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
            "at": e.at,
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
