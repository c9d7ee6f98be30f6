"""Exports of a published edition (PDF, Excel, CSV, OC4IDS JSON), read back from their bytes."""

import csv
import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from flask_babel import force_locale
from openpyxl import load_workbook
from pypdf import PdfReader

from app.reference import Instrument, Level, Stage, label
from app.services import exports

SCHEMA = json.loads(
    (Path(exports.__file__).parents[2] / "data" / "oc4ids" / "project-schema.json").read_text()
)
CONTACTS = {"contact_name": "联系人王某某", "contact_phone": "13912345678",
            "contact_email": "secret-contact@owner.cn"}


def make_item(seq: int, **overrides) -> dict:
    """One snapshot item as the editions service freezes it."""
    item = {
        "seq": seq, "marker": "new", "need_id": 100 + seq, "project_id": 10 + seq,
        "project_name": f"成都天府国际机场综合交通枢纽配套工程{seq}号",
        "project_code": f"2026-510100-48-01-{seq:06d}",
        "owner_org": "成都交通投资集团有限公司", "level": "provincial", "category": "infrastructure",
        "industry_code": "56", "industry_name_zh": "航空运输业",
        "district_code": "510116", "district_name_zh": "双流区",
        "zone_code": None, "zone_name_zh": None,
        "stage": "under_construction", "reserve_substage": None,
        "total_investment": "1234567.89", "annual_planned_investment": "150000.00",
        "amount": f"{20000 + seq}.55", "funds_secured": "300000.10",
        "instruments": ["project_loan", "bond"], "term_months": 180, "cost_ceiling": "4.35",
        "use_of_funds": "工程建设及设备购置", "credit_enhancements": ["mortgage", "guarantee"],
        "planned_start": "2025-03-01", "planned_completion": "2028-12-31",
        "description": "新建航站楼配套道路、停车楼及市政管网。", "is_priority": True,
        **CONTACTS,
    }
    item.update(overrides)
    return item


META = {
    "year": 2026, "period": 6, "revision": 2, "title_zh": "2026年第6期（11–12月）",
    "months_zh": "11–12月", "published_at": "2026-10-31T17:30:00+00:00",
    "correction_note": "第2项融资金额更正。", "item_count": 3,
}


@pytest.fixture
def items(app):
    return [
        make_item(1),
        make_item(2, marker="carried", project_name="成都市第三人民医院新院区建设项目",
                  owner_org="成都市第三人民医院", level="municipal", category="livelihood",
                  industry_code="84", industry_name_zh="卫生", stage="reserve",
                  reserve_substage="feasibility", zone_code="hitech", zone_name_zh="成都高新区",
                  instruments=["equity"], cost_ceiling=None, planned_start=None, is_priority=False),
        make_item(3, project_name="简阳市生活垃圾焚烧发电厂", level="general", category="ecology",
                  industry_code="44", industry_name_zh="电力、热力生产和供应业", stage="completed",
                  district_code="510185", district_name_zh="简阳市"),
    ]


def pdf_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def xlsx_sheet(data: bytes):
    return load_workbook(io.BytesIO(data))[exports.SHEET_NAME]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- PDF ---------------------------------------------------------------------------------


def test_pdf_is_an_a4_landscape_list_with_title_names_and_page_numbers(items):
    many = items + [make_item(seq) for seq in range(4, 31)]
    data = exports.edition_pdf(META, many)

    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    pages = [re.sub(r"\s+", "", text) for text in pdf_text(data)]
    assert len(pages) > 1
    first = pages[0]
    for text in ("成都市省、市重点项目融资需求清单", "2026年第6期（11–12月）", "第2版",
                 "更正说明", "第2项融资金额更正。", "发布日期：2026年11月1日",
                 "成都天府国际机场综合交通枢纽配套工程1号", "成都市第三人民医院新院区建设项目",
                 "新增", "延续", "20,001.55", "1,234,567.89"):
        assert text in first, text
    for number, text in enumerate(pages, start=1):
        assert f"第{number}页/共{len(pages)}页" in text
        assert "项目名称" in text and "融资需求（万元）" in text  # header repeated on every page
    assert "成都天府国际机场综合交通枢纽配套工程30号" in pages[-1]
    assert "合计：30项600,481.50" in pages[-1]  # the sum of the 融资需求 column


def test_long_pdf_numbers_its_pages_in_order_and_keeps_every_row(app):
    data = exports.edition_pdf(META, [make_item(seq) for seq in range(1, 121)])

    pages = [re.sub(r"\s+", "", text) for text in pdf_text(data)]
    assert len(pages) >= 4
    for number, text in enumerate(pages, start=1):
        assert text.count(f"第{number}页/共{len(pages)}页") == 1, number
        assert "项目名称" in text and "2026年第6期（11–12月）第2版" in text
    found = [int(n) for text in pages for n in re.findall(r"配套工程(\d+)号", text)]
    assert found == list(range(1, 121))  # every row once, in list order
    assert "成都市省、市重点项目融资需求清单" in pages[0] and "更正说明" in pages[0]
    # 融资需求 20,001.55 … 20,120.55: their sum, whole 万元 shown without decimals
    assert "合计：120项2,407,326" in pages[-1] and "合计" not in "".join(pages[:-1])
    assert PdfReader(io.BytesIO(data)).metadata.title.startswith("成都市省、市重点项目融资需求清单")


def test_pdf_prints_what_users_typed_literally(app):
    typed = r"#strong[x] $y$ \ *b* _i_ <lab> @ref [a] #let z = 1"
    item = make_item(1, project_name=f"成都{typed}项目", owner_org=typed)
    meta = {**META, "correction_note": typed, "selection": f"关键词：{typed}"}

    text = re.sub(r"\s+", "", "".join(pdf_text(exports.edition_pdf(meta, [item]))))
    flat = re.sub(r"\s+", "", typed)
    assert f"成都{flat}项目" in text and f"更正说明：{flat}" in text and f"关键词：{flat}" in text
    assert text.count(flat) == 4  # the name, the owner, the correction, the selection line


def test_pdf_labels_are_chinese_whatever_the_readers_language(app, items):
    with force_locale("en"):
        text = re.sub(r"\s+", "", "".join(pdf_text(exports.edition_pdf(META, items))))
    with force_locale("zh"):
        expected = [label(Level.provincial), label(Instrument.project_loan)]
    for value in expected:
        assert value in text


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils (pdffonts) not installed")
def test_pdf_embeds_a_chinese_font(items, tmp_path):
    path = tmp_path / "edition.pdf"
    path.write_bytes(exports.edition_pdf(META, items))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()[2:]
    assert lines and all("NotoSansCJK" in line for line in lines)
    for line in lines:  # embedded, as a subset, with a Unicode map (the text can be copied)
        assert line.split()[-5:-2] == ["yes", "yes", "yes"], line


# --- Excel -------------------------------------------------------------------------------


def test_xlsx_has_typed_cells_a_frozen_filtered_header_and_exact_chinese(items):
    ws = xlsx_sheet(exports.edition_xlsx(META, items))
    headers = [c.value for c in ws[1]]
    assert headers == [c.header for c in exports.COLUMNS]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:Z{len(items) + 1}"

    col = {c.key: i for i, c in enumerate(exports.COLUMNS)}
    rows = list(ws.iter_rows(min_row=2))
    assert len(rows) == len(items)
    for row, item in zip(rows, items, strict=True):
        for key in ("total_investment", "annual_planned_investment", "amount", "funds_secured"):
            cell = row[col[key]]
            assert cell.data_type == "n" and cell.number_format == "#,##0.00"
            assert Decimal(str(cell.value)) == Decimal(item[key])
        assert row[col["seq"]].value == item["seq"]
        assert row[col["term_months"]].value == item["term_months"]
        assert row[col["project_name"]].value == item["project_name"]
        assert row[col["owner_org"]].value == item["owner_org"]
        assert row[col["district"]].value == item["district_name_zh"]
    first, second = rows[0], rows[1]
    assert first[col["planned_start"]].value == datetime(2025, 3, 1)
    assert first[col["planned_start"]].is_date
    assert second[col["planned_start"]].value is None
    assert (first[col["marker"]].value, second[col["marker"]].value) == ("新增", "延续")
    assert second[col["zone"]].value == "成都高新区"
    assert Decimal(str(first[col["cost_ceiling"]].value)) == Decimal("4.35")
    with force_locale("zh"):
        assert first[col["instruments"]].value == "、".join(
            [label(Instrument.project_loan), label(Instrument.bond)])
        assert first[col["stage"]].value == label(Stage.under_construction)


def test_xlsx_explains_the_edition_on_a_second_sheet(items):
    wb = load_workbook(io.BytesIO(exports.edition_xlsx(META, items)))
    assert wb.sheetnames == ["融资需求清单", "说明"]
    info = {row[0].value: row[1].value for row in wb["说明"].iter_rows()}
    assert info["期次"] == "2026年第6期（11–12月）"
    assert info["版次"] == "第2版"
    assert info["更正说明"] == "第2项融资金额更正。"
    assert info["发布时间（北京时间）"] == datetime(2026, 11, 1, 1, 30)
    assert info["项目数"] == 3
    assert Decimal(str(info["融资需求合计（万元）"])) == Decimal("60007.65")


# --- CSV ---------------------------------------------------------------------------------


def test_csv_is_utf8_with_bom_and_the_same_columns_and_values_as_excel(items):
    data = exports.edition_csv(META, items)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    ws = xlsx_sheet(exports.edition_xlsx(META, items))
    assert rows[0] == [c.value for c in ws[1]]
    assert len(rows) == len(items) + 1
    col = {c.key: i for i, c in enumerate(exports.COLUMNS)}
    first, second = rows[1], rows[2]
    assert first[col["amount"]] == "20001.55"
    assert first[col["total_investment"]] == "1234567.89"
    assert first[col["planned_completion"]] == "2028-12-31"
    assert first[col["project_name"]] == "成都天府国际机场综合交通枢纽配套工程1号"
    assert second[col["cost_ceiling"]] == "" and second[col["planned_start"]] == ""
    assert second[col["is_priority"]] == "" and first[col["is_priority"]] == "是"


# --- OC4IDS JSON -------------------------------------------------------------------------


def test_json_is_an_oc4ids_package_whose_projects_validate(items):
    package = json.loads(exports.edition_json(META, items))
    assert package["version"] == "0.9"
    assert package["publisher"] == {"name": "成都市发展和改革委员会"}
    assert package["uri"].endswith("/editions/2026-6.json")
    assert package["publishedDate"] == "2026-11-01T01:30:00+08:00"
    assert package["license"] and package["publicationPolicy"]
    validator = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())
    for project in package["projects"]:
        errors = sorted(validator.iter_errors(project), key=str)
        assert not errors, errors[0]

    airport, hospital, plant = package["projects"]
    assert airport["id"] == "oc4ids-cp-2026-510100-48-01-000001"
    assert airport["title"] == "成都天府国际机场综合交通枢纽配套工程1号"
    assert airport["budget"]["amount"] == {"amount": 12345678900, "currency": "CNY"}
    assert airport["sector"] == ["transport", "transport.air"]
    assert airport["status"] == "implementation"
    assert airport["publicAuthority"]["name"] == "成都交通投资集团有限公司"
    assert airport["parties"][0]["roles"] == ["publicAuthority"]
    assert airport["locations"][0]["address"]["locality"] == "成都市双流区"
    assert airport["period"] == {"startDate": "2025-03-01T00:00:00+08:00",
                                 "endDate": "2028-12-31T00:00:00+08:00"}
    (need,) = airport["budget"]["finance"]
    assert need["value"] == {"amount": 200015500, "currency": "CNY"}
    assert "type" not in need  # a loan or a bond: no single arrangement type
    assert "项目贷款" in need["description"] and "180个月" in need["description"]
    assert need["assetClass"] == ["debt"]
    assert hospital["status"] == "preparation" and hospital["sector"] == ["health"]
    assert hospital["budget"]["finance"][0]["type"] == "shares.unlisted"
    assert plant["status"] == "completion" and plant["sector"] == ["energy"]


def test_json_groups_several_needs_of_one_project_into_its_finance(app):
    two = [make_item(1), make_item(2, project_id=11, need_id=555, amount="100.00")]
    (project,) = json.loads(exports.edition_json(META, two))["projects"]
    assert [f["id"] for f in project["budget"]["finance"]] == ["need-101", "need-555"]
    assert project["budget"]["finance"][1]["value"]["amount"] == 1000000


@pytest.mark.parametrize(("stage", "substage", "status"), [
    ("reserve", "agreement", "identification"),
    ("reserve", "design", "preparation"),
    ("planned_start", None, "preparation"),
    ("under_construction", None, "implementation"),
    ("completed", None, "completion"),
])
def test_json_status_follows_the_project_stage(app, stage, substage, status):
    item = make_item(1, stage=stage, reserve_substage=substage)
    (project,) = json.loads(exports.edition_json(META, [item]))["projects"]
    assert project["status"] == status


# --- Safety ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@"])
def test_formula_like_names_are_neutralised_in_spreadsheets_only(app, prefix):
    name = f'{prefix}HYPERLINK("http://evil.example","成都项目")'
    item = make_item(1, project_name=name, owner_org=f"{prefix}1+1")
    col = {c.key: i for i, c in enumerate(exports.COLUMNS)}

    row = next(xlsx_sheet(exports.edition_xlsx(META, [item])).iter_rows(min_row=2))
    assert row[col["project_name"]].value == "'" + name
    assert row[col["project_name"]].data_type == "s"
    assert row[col["owner_org"]].value == f"'{prefix}1+1"
    assert csv_rows(exports.edition_csv(META, [item]))[1][col["project_name"]] == "'" + name

    assert json.loads(exports.edition_json(META, [item]))["projects"][0]["title"] == name
    pdf = "".join(pdf_text(exports.edition_pdf(META, [item])))
    assert f"{prefix}HYPERLINK" in pdf and f"'{prefix}HYPERLINK" not in pdf


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+86", "'+86"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("成都=1", "成都=1"), ("", ""),
    (Decimal("-5.00"), Decimal("-5.00")), (None, None),
])
def test_formula_safe(value, expected):
    assert exports.formula_safe(value) == expected


def test_control_characters_in_a_name_never_break_a_spreadsheet(app):
    # anyone can type one into a registration or a project name; openpyxl refuses them
    item = make_item(1, project_name="成都\x01地铁\x1f项目", owner_org="=\x00成都轨道")
    col = {c.key: i for i, c in enumerate(exports.COLUMNS)}
    row = next(xlsx_sheet(exports.edition_xlsx(META, [item])).iter_rows(min_row=2))
    assert row[col["project_name"]].value == "成都地铁项目"
    assert row[col["owner_org"]].value == "'=成都轨道"
    assert csv_rows(exports.edition_csv(META, [item]))[1][col["project_name"]] == "成都地铁项目"


def test_contact_details_never_appear_in_any_export(items):
    outputs = {
        "csv": exports.edition_csv(META, items).decode("utf-8-sig"),
        "json": exports.edition_json(META, items).decode(),
        "pdf": "".join(pdf_text(exports.edition_pdf(META, items))),
    }
    with zipfile.ZipFile(io.BytesIO(exports.edition_xlsx(META, items))) as z:
        outputs["xlsx"] = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    for kind, text in outputs.items():
        assert "成都天府国际机场" in text, kind  # the export is not empty
        for value in CONTACTS.values():
            assert value not in text, (kind, value)


def test_export_file_names_say_which_edition(app):
    assert exports.filename(META, "xlsx") == "成都市省、市重点项目融资需求清单_2026年第6期_第2版.xlsx"


def test_a_selection_is_named_and_titled_as_such_and_contacts_only_on_request(items):
    selection = {**META, "selection": "所属区（市）县：双流区；融资方式：项目贷款"}
    assert exports.filename(selection, "csv") == "成都市省、市重点项目融资需求清单_2026年第6期_第2版_筛选结果.csv"
    assert exports.filename({**selection, "contacts": True}, "xlsx").endswith("_第2版_筛选结果_含联系方式.xlsx")
    assert exports.selection_line({**META, "selection": ""}) == "筛选结果（全部项目）"
    assert exports.selection_line(META) is None  # the official list has no such line
    rows = csv_rows(exports.edition_csv(selection, items))
    assert rows[0] == ["成都市省、市重点项目融资需求清单 2026年第6期（11–12月） 第2版 "
                       "筛选结果（所属区（市）县：双流区；融资方式：项目贷款）"]
    assert rows[1] == [c.header for c in exports.COLUMNS]
    assert not any(v in "".join(map(str, rows)) for v in CONTACTS.values())
    with_contacts = csv_rows(exports.edition_csv({**selection, "contacts": True}, items))
    assert with_contacts[1][-3:] == ["联系人", "联系电话", "电子邮箱"]
    assert with_contacts[2][-3:] == list(CONTACTS.values())
    text = re.sub(r"\s+", "", "".join(pdf_text(exports.edition_pdf({**selection, "contacts": True}, items))))
    assert "筛选结果（所属区（市）县：双流区；融资方式：项目贷款）" in text and "联系人" in text
    assert "".join(CONTACTS.values()) in text  # name, phone and e-mail in the contact column
    assert "本文件含联系方式" in text


def test_a_moment_is_written_in_beijing_time_without_a_zone():
    from datetime import UTC, datetime

    from openpyxl import Workbook

    from app.services.exports.spreadsheet import Column, write_table

    ws = Workbook().active
    write_table(ws, (Column("at", "时间", "datetime", 19),), [{"at": datetime(2026, 12, 1, 2, 30, tzinfo=UTC)}])
    assert ws["A2"].value == datetime(2026, 12, 1, 10, 30)
    assert ws["A2"].number_format == "yyyy-mm-dd hh:mm:ss"
