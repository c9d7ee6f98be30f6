"""The PDF writer every printed document of the application goes through (Typst).

A document is a title block (title, subtitle, centred lines, bold lines, a boxed notice such
as 更正说明), one table whose header row is repeated on every page, an optional totals row
and a closing note; each page has a running header and a "第 x 页 / 共 y 页" footer; A4,
landscape or portrait. Callers describe it with `Document` and get the bytes back from
`render`; the edition list (exports/edition.py) is one such document, diagnosis
reports and briefs are the next.

Typst lays the table out (a compiler shipped in the `typst` wheel: the 1,000-row list in about
a second, where WeasyPrint took 13 s; README, "PDF"). Nothing a user typed is ever pasted into markup:
the whole document travels as one JSON value (`sys_inputs`) that the template
(app/templates/pdf/document.typ) reads and shows as plain text. Fonts come from the system's
fonts-noto-cjk package only (Noto Sans CJK SC, embedded as a subset, so the text can be
selected and extracted); a machine without it gets an error instead of a PDF of empty boxes.
"""

import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "pdf" / "document.typ"
FONT_DIRS = ("/usr/share/fonts/opentype/noto",)  # Debian/Ubuntu fonts-noto-cjk
FONT_FAMILIES = ("Noto Sans CJK SC",)
# The files of that family the documents use (regular text, bold headings): the compiler
# is shown only these, so it does not read the other faces of the package (Serif, and the
# Mono, JP, KR, TC, HK faces held in the same collections) to learn what they are.
FONT_FILES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")
PAGE_FOOTER_ZH = "第 {page} 页 / 共 {pages} 页"
ALIGNS = ("left", "center", "right")

Cell = str | Sequence[str]  # a list of strings prints as lines of one cell (so does a line feed)


@dataclass(frozen=True)
class Column:
    """One table column: its header, its share of the width (any unit: shares are
    compared to each other), and how its cells are aligned."""

    header: str
    width: float
    align: str = "left"


@dataclass(frozen=True)
class Totals:
    """The closing row: `label` (合计：30 项) spans the columns before the first value;
    `values` puts a text under a column by its index (right-aligned, like figures)."""

    label: str
    values: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    label: str  # 更正说明：
    text: str


@dataclass(frozen=True)
class Document:
    title: str
    columns: Sequence[Column]
    rows: Sequence[Sequence[Cell]]
    subtitle: str = ""
    lines: Sequence[str] = ()  # centred under the title (期次、版次、发布日期 …)
    emphasis: Sequence[str] = ()  # centred and bold (the selection a file was made from)
    notice: Notice | None = None
    totals: Totals | None = None
    note: str = ""  # after the table
    running_left: str = ""  # the running header of every page
    running_right: str = ""
    landscape: bool = True
    paper: str = "a4"
    font_size: float = 8  # points
    lang: str = "zh"
    region: str = "cn"
    page_footer: str = PAGE_FOOTER_ZH
    # PDF metadata: the title a viewer shows in its title bar, the author, keywords
    metadata_title: str = ""
    author: str = ""
    keywords: Sequence[str] = ()


class FontsMissing(RuntimeError):
    pass


# C0 controls but tab and line feed: nothing to print, and no place in a PDF's text
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _text(value) -> str:
    return "" if value is None else CONTROL_CHARACTERS.sub("", str(value))


def _cell(value: Cell | None) -> str:
    if value is None or isinstance(value, str):
        return _text(value)
    return "\n".join(_text(v) for v in value if v not in (None, ""))


def _totals_cells(totals: Totals, columns: Sequence[Column]) -> list[dict]:
    """The totals row as cells with spans: the label up to the first value, each value
    under its column, the gaps between and after as empty spans."""
    count = len(columns)
    if any(not 0 < i < count for i in totals.values):
        raise ValueError(f"totals: value columns must be between 1 and {count - 1}")
    cells: list[dict] = []
    position = 0
    for index in sorted(totals.values):
        if index > position:
            text = _text(totals.label) if not cells else ""
            cells.append({"text": text, "colspan": index - position, "align": "left"})
        cells.append({"text": _text(totals.values[index]), "colspan": 1, "align": "right"})
        position = index + 1
    if position < count:
        cells.append({"text": "" if cells else _text(totals.label), "colspan": count - position,
                      "align": "left"})
    return cells


def _footer(pattern: str) -> list[str]:
    """"第 {page} 页 / 共 {pages} 页" -> ["第 ", "{page}", " 页 / 共 ", "{pages}", " 页"]."""
    return [piece for piece in re.split(r"(\{page\}|\{pages\})", pattern) if piece]


def document_json(doc: Document) -> str:
    """The JSON value the Typst template reads: texts, never markup."""
    width = len(doc.columns)
    for column in doc.columns:
        if column.align not in ALIGNS:
            raise ValueError(f"column {column.header!r}: align must be one of {ALIGNS}")
    for number, row in enumerate(doc.rows, start=1):
        if len(row) != width:
            raise ValueError(f"row {number} has {len(row)} cells for {width} columns")
    data = {
        "fonts": list(FONT_FAMILIES),
        "lang": doc.lang,
        "region": doc.region,
        "paper": doc.paper,
        "landscape": doc.landscape,
        "font_size": doc.font_size,
        "metadata": {"title": _text(doc.metadata_title or doc.title),
                     "author": [_text(doc.author)] if doc.author else [],
                     "keywords": list(doc.keywords)},
        "running": {"left": _text(doc.running_left), "right": _text(doc.running_right)},
        "footer": _footer(doc.page_footer),
        "title": _text(doc.title),
        "subtitle": _text(doc.subtitle),
        "lines": [_text(line) for line in doc.lines if line],
        "emphasis": [_text(line) for line in doc.emphasis if line],
        "notice": {"label": _text(doc.notice.label), "text": _text(doc.notice.text)} if doc.notice else None,
        "columns": [{"header": _text(c.header), "width": c.width, "align": c.align} for c in doc.columns],
        "rows": [[_cell(value) for value in row] for row in doc.rows],
        "totals": _totals_cells(doc.totals, doc.columns) if doc.totals else None,
        "note": _text(doc.note),
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # a lone surrogate (text that was never valid Unicode) becomes "?" instead of an error
    return text.encode("utf-8", "replace").decode("utf-8")


# One compiler per process, kept: it holds the fonts it has read (the CJK font files are
# large: ~45 MB once loaded), so only the first PDF of a process pays for loading them. Its
# use is serialised (a document takes a core; a machine has few); a forked child (a job
# worker's work horse) starts afresh rather than share its parent's.
_lock = threading.Lock()
_compilers: list = []


def _forked() -> None:
    global _lock
    _lock = threading.Lock()
    _compilers.clear()


os.register_at_fork(after_in_child=_forked)


def _font_paths() -> list[str]:
    """A folder holding only FONT_FILES (links to the package's files) when the package
    has them all, else the package's folders as they are."""
    dirs = [d for d in FONT_DIRS if os.path.isdir(d)]
    if not dirs:
        raise FontsMissing(f"No Chinese font found in {', '.join(FONT_DIRS)}: "
                           "install the fonts-noto-cjk package.")
    for source in dirs:
        if all(os.path.isfile(os.path.join(source, name)) for name in FONT_FILES):
            try:
                return [_linked_fonts(source)]
            except OSError:  # a read-only temporary folder: the whole package then
                break
    return dirs


def _linked_fonts(source: str) -> str:
    folder = Path(tempfile.gettempdir()) / f"citypartner-fonts-{os.getuid()}"
    folder.mkdir(mode=0o755, exist_ok=True)
    if folder.lstat().st_uid != os.getuid() or folder.is_symlink():
        raise OSError(f"{folder} belongs to another user")
    for name in FONT_FILES:
        link, target = folder / name, Path(source) / name
        if not (link.is_symlink() and os.readlink(link) == str(target)):
            spare = folder / f".{name}.{os.getpid()}"
            spare.unlink(missing_ok=True)
            spare.symlink_to(target)
            spare.replace(link)  # atomic: another process may be reading the folder
    return str(folder)


def _compiler():
    if not _compilers:
        import typst  # imported here: only the processes that print pay for it

        _compilers.append(typst.Compiler(font_paths=_font_paths(), ignore_system_fonts=True))
    return _compilers[0]


def render(doc: Document) -> bytes:
    """The PDF of `doc`."""
    data = document_json(doc)
    with _lock:
        return _compiler().compile(input=str(TEMPLATE), root=str(TEMPLATE.parent),
                                   sys_inputs={"data": data})
