"""Exports honour the filters: the files stored at publication stay the official full list;
the edition page offers the files of what its filters select, made on request and named
筛选结果; readers the view_contact rule allows get a version with contact details, each
download audited with its filters, never the public."""

import csv
import io
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from app.extensions import db
from app.models import AuditEntry, NeedStatus
from app.reference import Instrument
from app.services import editions, exports
from tests import factories
from tests.views.test_editions_views import login

READY = dict(funds_secured=Decimal("40000.00"))
JINJIANG, WUHOU = "510104", "510107"


@pytest.fixture
def edition(admin, owner_org):
    """Three items: two in 锦江区 (one by project loan, one by bonds), one in 武侯区."""
    def need(name, district, instrument, **kw):
        project = factories.make_project(org=owner_org, name=name, district_code=district)
        return factories.make_need(project, status=NeedStatus.approved, instruments=[instrument], **READY, **kw)

    need("锦江区城市更新项目", JINJIANG, Instrument.project_loan, contact_phone="13800000001")
    need("锦江区文创园区建设项目", JINJIANG, Instrument.bond, contact_phone="13800000002")
    need("武侯区地下综合管廊工程", WUHOU, Instrument.project_loan, contact_phone="=HYPERLINK(\"x\")")
    edition = editions.open_draft(2026, 6, by=admin)
    editions.publish_edition(edition, by=admin)
    db.session.commit()
    return edition


FILTER = f"district={JINJIANG}&instrument=project_loan"
WORDS = "所属区（市）县：锦江区；融资方式：项目贷款"


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data))[exports.SHEET_NAME]


def test_stored_files_stay_the_official_full_list(client, edition):
    for fmt in ("xlsx", "csv"):
        official = client.get(f"/editions/2026-6.{fmt}?{FILTER}")
        assert official.data == editions.edition_file(edition, fmt).content  # filters do not apply
    ws = _sheet(client.get("/editions/2026-6.xlsx").data)
    assert ws["A1"].value == "序号" and ws.max_row == 4


def test_the_page_links_the_files_of_what_its_filters_select(client, edition):
    page = client.get(f"/editions/2026-6?{FILTER}").get_data(as_text=True)
    form_end = page.index("</form>", page.index('role="search"'))
    selection = page[form_end:page.index("cp-edition-table")]
    for fmt in ("xlsx", "csv", "pdf"):
        assert f"/editions/2026-6/selection.{fmt}?district={JINJIANG}&amp;instrument=project_loan" in selection
    assert "导出筛选结果" in selection
    assert "所属区（市）县：锦江区" in selection and "融资方式：项目贷款" in selection
    assert "selection-contacts" not in page  # never for the public


def test_excel_of_a_selection_has_the_matching_items_and_says_so(client, edition):
    response = client.get(f"/editions/2026-6/selection.xlsx?{FILTER}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "%E7%AD%9B%E9%80%89%E7%BB%93%E6%9E%9C.xlsx" in response.headers["Content-Disposition"]  # 筛选结果.xlsx
    ws = _sheet(response.data)
    assert ws["A1"].value == f"成都市省、市重点项目融资需求清单 2026年第6期（11–12月） 第1版 筛选结果（{WORDS}）"
    assert [c.value for c in ws[2]] == [c.header for c in exports.COLUMNS]
    assert ws.freeze_panes == "A3"
    names = [row[2] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert names == ["锦江区城市更新项目"]
    assert "联系电话" not in [c.value for c in ws[2]]
    info = {row[0].value: row[1].value for row in load_workbook(io.BytesIO(response.data))["说明"].iter_rows()}
    assert info["筛选条件"] == WORDS and info["项目数"] == 1


def test_csv_and_pdf_of_a_selection(client, edition):
    rows = list(csv.reader(io.StringIO(client.get(
        f"/editions/2026-6/selection.csv?district={JINJIANG}").data.decode("utf-8-sig"))))
    assert rows[0] == ["成都市省、市重点项目融资需求清单 2026年第6期（11–12月） 第1版 筛选结果（所属区（市）县：锦江区）"]
    assert rows[1][0] == "序号"
    assert sorted(r[2] for r in rows[2:]) == ["锦江区城市更新项目", "锦江区文创园区建设项目"]
    response = client.get(f"/editions/2026-6/selection.pdf?{FILTER}")
    assert response.status_code == 200
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "筛选结果" in text and "锦江区城市更新项目" in text and "武侯区地下综合管廊工程" not in text


def test_a_selection_follows_the_sort_of_the_page(client, edition):
    rows = list(csv.reader(io.StringIO(client.get(
        "/editions/2026-6/selection.csv?sort=amount_asc").data.decode("utf-8-sig"))))
    assert rows[0][0].endswith("筛选结果（排序：按金额从小到大排序）")
    amounts = [Decimal(r[15]) for r in rows[2:]]
    assert amounts == sorted(amounts) and len(amounts) == 3


@pytest.mark.parametrize("who", ["institution", "expert", "admin"])
def test_readers_with_the_contact_rule_download_contacts_audited(request, client, edition, who):
    user = request.getfixturevalue(who)
    login(client, user)
    page = client.get(f"/editions/2026-6?{FILTER}").get_data(as_text=True)
    assert f"/editions/2026-6/selection-contacts.xlsx?district={JINJIANG}&amp;instrument=project_loan" in page
    response = client.get(f"/editions/2026-6/selection-contacts.xlsx?{FILTER}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "%E5%90%AB%E8%81%94%E7%B3%BB%E6%96%B9%E5%BC%8F.xlsx" in response.headers["Content-Disposition"]  # 含联系方式
    ws = _sheet(response.data)
    headers = [c.value for c in ws[2]]
    assert headers[-3:] == ["联系人", "联系电话", "电子邮箱"]
    (row,) = list(ws.iter_rows(min_row=3, values_only=True))
    assert row[2] == "锦江区城市更新项目" and row[-2] == "13800000001" and row[-3] == "张伟"
    assert "含联系方式" in ws["A1"].value
    (entry,) = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "edition.export_contacts"))
    assert entry.actor_id == user.id and entry.object_id == edition.id
    assert entry.after == {"format": "xlsx", "filters": {"district": JINJIANG, "instrument": "project_loan"},
                           "items": 1}
    assert entry.note == WORDS
    client.get(f"/editions/2026-6/selection-contacts.csv?{FILTER}")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "edition.export_contacts")) == 2  # one row per download


def test_contact_cells_are_formula_safe(client, edition, institution):
    login(client, institution)
    ws = _sheet(client.get(f"/editions/2026-6/selection-contacts.xlsx?district={WUHOU}").data)
    (row,) = list(ws.iter_rows(min_row=3, values_only=True))
    assert row[-2] == "'=HYPERLINK(\"x\")"
    rows = list(csv.reader(io.StringIO(client.get(
        f"/editions/2026-6/selection-contacts.csv?district={WUHOU}").data.decode("utf-8-sig"))))
    assert rows[2][-2] == "'=HYPERLINK(\"x\")"


def test_contacts_pdf(client, edition, institution):
    login(client, institution)
    response = client.get(f"/editions/2026-6/selection-contacts.pdf?{FILTER}")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "13800000001" in text and "13800000002" not in text and "含联系方式" in text


def test_never_for_the_public_nor_unverified_readers(request, client, edition, unverified_institution, other_owner):
    response = client.get(f"/editions/2026-6/selection-contacts.xlsx?{FILTER}")
    assert response.status_code == 302 and "/login" in response.location
    for user in (unverified_institution, other_owner):
        login(client, user)
        page = client.get(f"/editions/2026-6?{FILTER}").get_data(as_text=True)
        assert "selection-contacts" not in page
        assert client.get(f"/editions/2026-6/selection-contacts.xlsx?{FILTER}").status_code == 403
    assert not db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "edition.export_contacts")).all()
    # the public file never carries contacts, whatever the query string says
    data = client.get(f"/editions/2026-6/selection.xlsx?{FILTER}&contacts=1").data
    assert "13800000001" not in str([c for r in _sheet(data).iter_rows(values_only=True) for c in r])


def test_unknown_formats_and_drafts_are_404(client, admin, edition, institution):
    assert client.get("/editions/2026-6/selection.doc").status_code == 404
    login(client, institution)
    assert client.get("/editions/2026-6/selection-contacts.json").status_code == 404
    assert client.get("/editions/2026-5/selection.xlsx").status_code == 404


def test_an_oversized_selection_is_refused_with_the_filters_kept(client, monkeypatch, edition):
    monkeypatch.setitem(editions.EXPORT_MAX_ITEMS, "xlsx", 1)
    response = client.get(f"/editions/2026-6/selection.xlsx?district={JINJIANG}")
    assert response.status_code == 302
    assert response.location.endswith(f"/editions/2026-6?district={JINJIANG}")
    page = client.get(response.location).get_data(as_text=True)
    assert "本次筛选结果共2项，请缩小筛选范围至1项以内" in page


def test_an_owner_gets_the_contacts_of_a_selection_only_when_all_of_it_is_its_own(client, admin, owner, other_owner):
    for org, name, district in ((owner.org, "锦江区城市更新项目", JINJIANG), (other_owner.org, "武侯区地下综合管廊工程", WUHOU)):
        project = factories.make_project(org=org, name=name, district_code=district)
        factories.make_need(project, status=NeedStatus.approved, instruments=[Instrument.project_loan], **READY)
    editions.publish_edition(editions.open_draft(2026, 6, by=admin), by=admin)
    db.session.commit()
    login(client, owner)

    assert "selection-contacts" in client.get(f"/editions/2026-6?district={JINJIANG}").get_data(as_text=True)
    assert client.get(f"/editions/2026-6/selection-contacts.xlsx?district={JINJIANG}").status_code == 200
    assert "selection-contacts" not in client.get("/editions/2026-6").get_data(as_text=True)
    assert client.get("/editions/2026-6/selection-contacts.xlsx").status_code == 403
    assert client.get(f"/editions/2026-6/selection-contacts.xlsx?district={WUHOU}").status_code == 403
