"""The shared PDF writer (Typst): documents read back from their bytes."""

import io
import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from app.services.exports import pdf

COLUMNS = (
    pdf.Column("序号", 4, "center"),
    pdf.Column("项目名称", 30),
    pdf.Column("项目业主", 20),
    pdf.Column("融资需求（万元）", 10, "right"),
    pdf.Column("联系人", 12),
)
MARKUP = r"#strong[x] $y^2$ \ *b* _i_ <lab> @ref [a] #let z = 1 // c /* d */ = 标题"


def row(seq: int, name: str | None = None) -> list:
    return [str(seq), name or f"成都东部新区公共交通枢纽工程{seq}号", "成都东部新区建设投资有限公司",
            f"{1000 + seq:,}.50", ["张三", "13800000000"]]


def document(rows, **overrides) -> pdf.Document:
    fields = dict(
        title="成都市省、市重点项目融资需求清单", subtitle="2026年第6期（11–12月） 第2版",
        lines=["期次：2026年第6期（11–12月）　版次：第2版"], emphasis=["筛选结果（所属区（市）县：锦江区）"],
        notice=pdf.Notice("更正说明：", "第2项融资金额更正。"), columns=COLUMNS, rows=rows,
        totals=pdf.Totals(f"合计：{len(rows)} 项", {3: "123,456.78"}), note="说明：金额单位为万元。",
        running_left="2026年第6期 第2版", running_right="成都市发展和改革委员会", author="成都市发展和改革委员会",
    )
    fields.update(overrides)
    return pdf.Document(**fields)


def pages_of(data: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def test_a_long_table_repeats_its_header_and_numbers_every_page():
    data = pdf.render(document([row(seq) for seq in range(1, 81)]))

    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)  # A4 landscape
    assert reader.metadata.title == "成都市省、市重点项目融资需求清单"
    assert reader.metadata.author == "成都市发展和改革委员会"
    pages = pages_of(data)
    assert len(pages) > 1
    for number, text in enumerate(pages, start=1):
        assert text.count(f"第{number}页/共{len(pages)}页") == 1, number
        assert "项目名称" in text and "融资需求（万元）" in text, number  # header on every page
        assert "2026年第6期第2版" in text and "成都市发展和改革委员会" in text  # running header
    first = pages[0]
    for text in ("成都市省、市重点项目融资需求清单", "2026年第6期（11–12月）第2版", "期次：2026年第6期",
                 "筛选结果（所属区（市）县：锦江区）", "更正说明：第2项融资金额更正。", "张三13800000000"):
        assert text in first, text
    found = [int(n) for text in pages for n in re.findall(r"枢纽工程(\d+)号", text)]
    assert found == list(range(1, 81))  # every row once, in order
    assert "合计：80项123,456.78" in pages[-1] and "合计" not in "".join(pages[:-1])
    assert pages[-1].index("合计") < pages[-1].index("说明：金额单位为万元。")


def test_portrait_documents_and_a_one_page_footer():
    data = pdf.render(document([row(1)], landscape=False, totals=None, notice=None))

    reader = PdfReader(io.BytesIO(data))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait
    (page,) = pages_of(data)
    assert "第1页/共1页" in page and "合计" not in page and "更正说明" not in page


def test_text_typed_by_a_user_prints_literally_and_is_never_run_as_markup():
    data = pdf.render(document([row(1, name=MARKUP), row(2, name="简阳\x00市\x1b垃圾 焚烧\t发电\ud800")],
                               notice=pdf.Notice("更正说明：", MARKUP), note=MARKUP,
                               totals=pdf.Totals(MARKUP, {3: "1"})))

    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    flat = re.sub(r"\s+", "", text)
    expected = re.sub(r"\s+", "", MARKUP)
    assert flat.count(expected) == 4  # the cell, the notice, the totals label, the note
    assert "简阳市垃圾焚烧发电?" in flat  # control characters dropped, a lone surrogate shown as ?


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils (pdffonts) not installed")
def test_the_chinese_font_is_embedded_as_a_subset(tmp_path):
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf.render(document([row(1)])))

    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()[2:]
    assert lines and all("NotoSansCJK" in line for line in lines)  # no other font is used
    for line in lines:
        name, *_, emb, sub, uni, _obj, _gen = line.split()
        assert (emb, sub, uni) == ("yes", "yes", "yes"), line  # embedded, subset, extractable
        assert re.match(r"[A-Z]{6}\+", name), name  # a subset's tag


def test_totals_span_the_columns_around_their_values():
    cells = pdf._totals_cells(pdf.Totals("合计：3 项", {3: "9.00"}), COLUMNS)
    assert [(c["text"], c["colspan"]) for c in cells] == [("合计：3 项", 3), ("9.00", 1), ("", 1)]
    cells = pdf._totals_cells(pdf.Totals("合计", {1: "a", 4: "b"}), COLUMNS)
    assert [(c["text"], c["colspan"]) for c in cells] == [("合计", 1), ("a", 1), ("", 2), ("b", 1)]
    assert pdf._totals_cells(pdf.Totals("合计"), COLUMNS) == [
        {"text": "合计", "colspan": 5, "align": "left"}]


@pytest.mark.parametrize("bad", [
    {"rows": [["1", "only two"]]},
    {"columns": (pdf.Column("序号", 4, "middle"),), "rows": [["1"]], "totals": None},
    {"totals": pdf.Totals("合计", {0: "x"})},
    {"totals": pdf.Totals("合计", {5: "x"})},
], ids=["short-row", "unknown-alignment", "value-under-the-label", "value-past-the-last-column"])
def test_malformed_documents_are_refused_before_rendering(bad):
    with pytest.raises(ValueError):
        fields = dict(bad)
        pdf.render(document(fields.pop("rows", [row(1)]), **fields))


def test_a_machine_without_the_chinese_fonts_is_told_what_to_install(monkeypatch):
    monkeypatch.setattr(pdf, "FONT_DIRS", ("/nonexistent/fonts",))
    monkeypatch.setattr(pdf, "_compilers", [])  # a process that has no compiler yet
    with pytest.raises(pdf.FontsMissing, match="fonts-noto-cjk"):
        pdf.render(document([row(1)]))


def test_threads_of_one_process_render_at_the_same_time_each_its_own_document():
    from concurrent.futures import ThreadPoolExecutor

    names = [f"成都市第{n}号并发测试项目" for n in range(4)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        outputs = list(pool.map(lambda name: pdf.render(document([row(1, name=name)])), names))
    for name, data in zip(names, outputs, strict=True):
        assert name in pages_of(data)[0]
