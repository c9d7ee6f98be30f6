"""The PDF writer: HTML rendered by WeasyPrint (A4 landscape, embedded Noto Sans CJK SC),
long documents in two halves in parallel, pages numbered "第 x 页 / 共 y 页"."""

import io
from collections.abc import Sequence

# Above this many rows the table is laid out in two halves at once, the second in a spawned
# process (WeasyPrint spends ~10 ms of CPU per row; a machine has 2 cores or more).
PDF_PARALLEL_MIN_ROWS = 200


def halves(rows: list, parallel: bool) -> list[list]:
    if not parallel:
        return [rows]
    half = (len(rows) + 1) // 2
    return [rows[:half], rows[half:]]



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
