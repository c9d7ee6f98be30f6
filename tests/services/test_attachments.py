"""Attachments: accepted and refused files (size, type by content, zip bombs), storage
under random names, downloads, and who may see and delete them."""

import struct
import zipfile
import zlib
from io import BytesIO

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter

from app.extensions import db
from app.models import Attachment, NeedStatus
from app.services import attachments
from app.services.errors import NotAllowed, NotFound, ValidationFailed
from tests import factories
from tests.conftest import login


# ---- real files, built here ------------------------------------------------------------------
def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1×1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '</Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    '<w:body><w:p><w:r><w:t>可行性研究报告</w:t></w:r></w:p></w:body></w:document>'
)


def docx_bytes(document: bytes | str = DOCUMENT) -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", RELS)
        z.writestr("word/document.xml", document)
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A .docx whose document.xml is 50 MB of zeros, a few dozen KB compressed."""
    return docx_bytes(b"\x00" * (50 * 1024 * 1024))


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def project(owner):
    return factories.make_project(org=owner.org)


def stored_files(app) -> list:
    folder = attachments.upload_dir()
    return sorted(p.name for p in folder.iterdir())


# ---- accepted --------------------------------------------------------------------------------
@pytest.mark.parametrize("filename,make,kind,mimetype", [
    ("可研报告.pdf", pdf_bytes, "pdf", "application/pdf"),
    ("项目建议书.docx", docx_bytes, "docx",
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("效果图.png", png_bytes, "png", "image/png"),
    ("SCAN.PDF", pdf_bytes, "pdf", "application/pdf"),
])
def test_real_files_are_accepted(app, owner, project, filename, make, kind, mimetype):
    data = make()
    att = attachments.add_attachment(project, filename, data, by=owner)
    assert (att.kind, att.mimetype, att.size, att.filename) == (kind, mimetype, len(data), filename)
    # Stored under a random name, never the original one, outside the web root.
    assert att.stored_name != filename and filename not in att.stored_name
    assert len(att.stored_name) == 32 and att.stored_name.isalnum()
    assert attachments.upload_dir().joinpath(att.stored_name).read_bytes() == data
    assert not str(attachments.upload_dir()).startswith(app.static_folder)


def test_stored_names_differ_for_the_same_file(owner, project):
    first = attachments.add_attachment(project, "a.pdf", pdf_bytes(), by=owner)
    second = attachments.add_attachment(project, "a.pdf", pdf_bytes(), by=owner)
    assert first.stored_name != second.stored_name


def test_a_path_in_the_filename_is_dropped(owner, project):
    att = attachments.add_attachment(project, "../../etc/可研.pdf", pdf_bytes(), by=owner)
    assert att.filename == "可研.pdf"


# ---- refused ---------------------------------------------------------------------------------
@pytest.mark.parametrize("filename,make", [
    ("scan.pdf", png_bytes),  # a PNG named .pdf
    ("report.pdf", lambda: EXE),  # a program renamed .pdf
    ("setup.exe", lambda: EXE),
    ("notes.txt", lambda: "只是文字".encode()),
    ("report.docx", pdf_bytes),  # a PDF named .docx
    ("report.docx", lambda: b"PK\x03\x04 not really a zip"),
    ("archive.docx", lambda: zipfile_without_office_parts()),
    ("bomb.docx", zip_bomb_docx),
    ("empty.pdf", lambda: b""),
])
def test_wrong_or_dangerous_content_is_refused(owner, project, filename, make):
    with pytest.raises(ValidationFailed) as caught:
        attachments.add_attachment(project, filename, make(), by=owner)
    assert "file" in caught.value.errors
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert stored_files(None) == []


def zipfile_without_office_parts() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "hello")
    return out.getvalue()


def test_an_oversize_file_is_refused(app, owner, project):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    with pytest.raises(ValidationFailed) as caught:
        attachments.add_attachment(project, "big.pdf", b"%PDF-1.4\n" + b"0" * 2000, by=owner)
    assert "file" in caught.value.errors
    assert stored_files(app) == []


def test_files_of_a_rolled_back_upload_leave_the_disk(app, owner, project):
    db.session.commit()
    attachments.add_attachment(project, "a.pdf", pdf_bytes(), by=owner)
    with pytest.raises(ValidationFailed):  # the second file of the same request is refused
        attachments.add_attachment(project, "b.pdf", b"not a pdf", by=owner)
    db.session.rollback()
    assert stored_files(app) == []
    attachments.add_attachment(project, "c.pdf", pdf_bytes(), by=owner)
    db.session.commit()
    db.session.rollback()  # a later rollback leaves committed files alone
    assert len(stored_files(app)) == 1


@pytest.mark.parametrize("role,error", [
    ("other_owner", NotFound), ("institution", NotFound), ("admin", NotAllowed),
    ("unverified_owner", NotFound),
])
def test_only_the_owner_attaches(request, project, role, error):
    with pytest.raises(error):
        attachments.add_attachment(project, "a.pdf", pdf_bytes(), by=request.getfixturevalue(role))


def test_no_attachment_on_a_closed_need(owner):
    need = factories.make_need(org=owner.org, status=NeedStatus.withdrawn)
    with pytest.raises(Exception) as caught:
        attachments.add_attachment(need, "a.pdf", pdf_bytes(), by=owner)
    assert caught.type.__name__ == "InvalidTransition"


# ---- through the web ---------------------------------------------------------------------------
def upload(client, url, filename, data):
    return client.post(url, data={"file": (BytesIO(data), filename)},
                       content_type="multipart/form-data")


def test_upload_download_and_delete_through_the_pages(client, owner, project):
    login(client, owner)
    data = pdf_bytes()
    response = upload(client, f"/projects/{project.id}/attachments", "可研报告.pdf", data)
    assert response.status_code == 302
    att = db.session.scalars(sa.select(Attachment)).one()
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "可研报告.pdf" in page and f"/attachments/{att.id}" in page

    download = client.get(f"/attachments/{att.id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.data == data

    stored = attachments.upload_dir() / att.stored_name
    response = client.post(f"/attachments/{att.id}/delete", follow_redirects=True)
    assert "可研报告.pdf" in response.get_data(as_text=True)  # the flash names it
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
    assert not stored.exists()
    assert client.get(f"/attachments/{att.id}").status_code == 404


def test_a_refused_upload_shows_the_reason_on_the_page(client, owner, project):
    login(client, owner)
    response = upload(client, f"/projects/{project.id}/attachments", "scan.pdf", png_bytes())
    assert response.status_code == 422
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0


def test_upload_on_a_need_page(client, owner):
    need = factories.make_need(org=owner.org)
    login(client, owner)
    response = upload(client, f"/needs/{need.id}/attachments", "效果图.png", png_bytes())
    assert response.status_code == 302
    att = db.session.scalars(sa.select(Attachment)).one()
    assert att.need_id == need.id
    assert "效果图.png" in client.get(f"/needs/{need.id}").get_data(as_text=True)


def test_another_organisations_file_is_not_found(client, owner, other_owner, project):
    att = attachments.add_attachment(project, "a.pdf", pdf_bytes(), by=owner)
    db.session.commit()
    login(client, other_owner)
    assert client.get(f"/attachments/{att.id}").status_code == 404
    assert client.post(f"/attachments/{att.id}/delete").status_code == 404
    assert upload(client, f"/projects/{project.id}/attachments", "b.pdf", pdf_bytes()).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 1


def test_an_institution_downloads_files_of_listed_needs_only(client, owner, institution):
    listed = factories.make_need(org=owner.org, status=NeedStatus.listed)
    draft = factories.make_need(org=owner.org, status=NeedStatus.draft)
    on_listed = attachments.add_attachment(listed, "a.pdf", pdf_bytes(), by=owner)
    on_draft = attachments.add_attachment(draft, "b.pdf", pdf_bytes(), by=owner)
    db.session.commit()
    login(client, institution)
    assert client.get(f"/attachments/{on_listed.id}").status_code == 200
    assert client.get(f"/attachments/{on_draft.id}").status_code == 404
    assert client.post(f"/attachments/{on_listed.id}/delete").status_code == 403


def test_a_request_over_the_size_limit_gets_the_friendly_page(app, client, owner, project):
    app.config["MAX_CONTENT_LENGTH"] = 4096
    login(client, owner)
    response = upload(client, f"/projects/{project.id}/attachments", "big.pdf", b"%PDF-" + b"0" * 10000)
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "<html" in page and "cp-hero" in page
    assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
