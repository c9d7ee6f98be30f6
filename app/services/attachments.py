"""Attachments: PDF, Office files and images up to 20 MB.

The type is decided by the content (magic bytes, and for Office Open XML files the
parts inside the zip), never by the name or the browser's claim. Office zips are opened
with limits against zip bombs. Files are stored outside the web root under random names
and only ever served as downloads.
"""

import hashlib
import os
import secrets
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import Attachment, FinancingNeed, InterestMessage, Project, User
from app.services import audit
from app.services.errors import ValidationFailed
from app.services.permissions import can, require

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Limits for the zip inside an Office Open XML file.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_TOTAL = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100

ALLOWED_EXTENSIONS = {
    "pdf": {"pdf"},
    "docx": {"docx"}, "xlsx": {"xlsx"}, "pptx": {"pptx"},
    "ole": {"doc", "xls", "ppt"},
    "png": {"png"}, "jpg": {"jpg", "jpeg"},
}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword", "xls": "application/vnd.ms-excel",
    "ppt": "application/vnd.ms-powerpoint",
    "png": "image/png", "jpg": "image/jpeg",
}
ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.png,.jpg,.jpeg"


class Rejected(Exception):
    pass


@dataclass
class Checked:
    kind: str
    mimetype: str


def _ooxml_kind(data: bytes) -> str:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise Rejected(_l("This file is damaged or is not an Office document.")) from exc
    infos = archive.infolist()
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if len(infos) > ZIP_MAX_ENTRIES or total > ZIP_MAX_TOTAL or total / packed > ZIP_MAX_RATIO:
        raise Rejected(_l("This Office file expands to an unreasonable size and was refused."))
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names:
        raise Rejected(_l("This file is damaged or is not an Office document."))
    for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
        if any(n.startswith(prefix) for n in names):
            return kind
    raise Rejected(_l("This file is damaged or is not an Office document."))


def sniff(data: bytes, filename: str) -> Checked:
    """The file's real type, if it is one we accept and its name agrees."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if data.startswith(b"%PDF-"):
        family = "pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        family = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        family = "jpg"
    elif data.startswith(OLE_MAGIC):
        family = "ole"
    elif data.startswith(b"PK\x03\x04"):
        family = _ooxml_kind(data)
    else:
        raise Rejected(_l("Only PDF, Word, Excel, PowerPoint, PNG and JPEG files are accepted."))
    if ext not in ALLOWED_EXTENSIONS[family]:
        raise Rejected(_l("The file's name (.%(ext)s) does not match its content.", ext=ext or "?"))
    kind = ext if family == "ole" else family
    return Checked(kind=kind, mimetype=MIMETYPES[kind])


def upload_dir() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or os.path.join(current_app.instance_path, "uploads")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _safe_display_name(filename: str) -> str:
    name = os.path.basename((filename or "").replace("\\", "/")).strip()
    name = "".join(c for c in name if c.isprintable() and c not in '<>:"|?*')
    return name[:200] or "file"


# A file is written before its row is committed; if the transaction rolls back instead (a
# later file of the same message refused, say), the file goes too.
_WRITTEN = "attachments_written"


def _write(data: bytes) -> str:
    stored = secrets.token_hex(16)
    path = upload_dir() / stored
    path.write_bytes(data)
    db.session.info.setdefault(_WRITTEN, []).append(path)
    return stored


@event.listens_for(Session, "after_commit")
def _keep_written(session) -> None:
    session.info.pop(_WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _remove_written(session) -> None:
    for path in session.info.pop(_WRITTEN, ()):
        path.unlink(missing_ok=True)


def add_attachment(parent, filename: str, data: bytes, *, by: User) -> Attachment:
    require(by, "attach", parent)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    if not data:
        raise ValidationFailed(errors={"file": [_l("The file is empty.")]})
    if len(data) > limit:
        raise ValidationFailed(errors={"file": [
            _l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024))]})
    display = _safe_display_name(filename)
    try:
        checked = sniff(data, display)
    except Rejected as exc:
        raise ValidationFailed(errors={"file": [exc.args[0]]}) from exc
    stored = _write(data)
    att = Attachment(
        project_id=parent.id if isinstance(parent, Project) else None,
        need_id=parent.id if isinstance(parent, FinancingNeed) else None,
        message_id=parent.id if isinstance(parent, InterestMessage) else None,
        filename=display, stored_name=stored, kind=checked.kind, mimetype=checked.mimetype,
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), uploaded_by_id=by.id,
    )
    db.session.add(att)
    db.session.flush()
    audit.record("attachment.add", att, by=by, after={"filename": display, "size": len(data),
                                                    "parent": f"{parent.__tablename__}:{parent.id}"})
    return att


def open_attachment(att: Attachment, *, by: User) -> Path:
    require(by, "view", att)
    return upload_dir() / att.stored_name


def delete_attachment(att: Attachment, *, by: User) -> None:
    require(by, "delete", att)
    audit.record("attachment.delete", att, by=by, before={"filename": att.filename})
    path = upload_dir() / att.stored_name
    db.session.delete(att)
    db.session.flush()
    path.unlink(missing_ok=True)


def attachments_of(parent, *, user) -> list[Attachment]:
    """The attachments of a project or need that `user` may download."""
    import sqlalchemy as sa

    column = Attachment.project_id if isinstance(parent, Project) else Attachment.need_id
    rows = db.session.scalars(sa.select(Attachment).where(column == parent.id).order_by(Attachment.id))
    return [att for att in rows if can(user, "view", att)]
