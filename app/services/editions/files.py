"""The stored files of a published edition (PDF, Excel, CSV, OC4IDS JSON), made by a job.

Publishing asks for the "edition.files" job; the worker (or the web process, without Redis)
renders the four files after the commit and sets edition.files_ready_at in the same
transaction. Until then the edition page says the files are being generated and their
addresses answer a page that says so (404), never a half-written file.
"""

import hashlib

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Edition, EditionFile
from app.models.base import utcnow
from app.services import jobs
from app.services.editions.common import EXPORT_FORMATS
from app.services.editions.snapshot import meta, public_data
from app.services.errors import NotFound


def job_names(edition: Edition) -> dict:
    """The edition's id and its name parts, for the jobs page to say which edition a job is of."""
    return {"edition_id": edition.id, "year": edition.year, "period": edition.period,
            "revision": edition.revision}


def request_files(edition: Edition) -> None:
    """Ask for the edition's files, made once the caller's transaction has committed."""
    jobs.enqueue("edition.files", **job_names(edition))


def render_files_job(edition_id: int, **_names) -> None:
    """The "edition.files" job. Idempotent: formats already stored are kept as they are."""
    edition = db.session.get(Edition, edition_id)
    if edition is None or not edition.is_public:
        return
    store_files(edition)


def store_files(edition: Edition) -> None:
    from app.services import exports

    have = set(db.session.scalars(sa.select(EditionFile.format).where(EditionFile.edition_id == edition.id)))
    missing = [fmt for fmt in EXPORT_FORMATS if fmt not in have]
    if missing:
        makers = {"pdf": exports.edition_pdf, "xlsx": exports.edition_xlsx,
                  "csv": exports.edition_csv, "json": exports.edition_json}
        items = [public_data(i.snapshot) for i in sorted(edition.items, key=lambda i: i.seq)]
        info = meta(edition)
        for fmt in missing:
            content = makers[fmt](info, items)
            db.session.add(EditionFile(edition_id=edition.id, format=fmt, content=content, size=len(content),
                                       sha256=hashlib.sha256(content).hexdigest()))
    edition.files_ready_at = edition.files_ready_at or utcnow()
    db.session.flush()


FILES_PENDING = _l("The files of this edition are being generated. Try again in a minute.")


def edition_file(edition: Edition, fmt: str) -> EditionFile:
    if fmt not in EXPORT_FORMATS or not edition.is_public:
        raise NotFound()
    row = db.session.scalars(sa.select(EditionFile).where(
        EditionFile.edition_id == edition.id, EditionFile.format == fmt)).first()
    if row is None:
        raise NotFound(None if edition.files_ready else FILES_PENDING)
    return row
