"""The Chinese catalog (the site's default language) covers every string of the UI.

The messages are extracted here from the source exactly as `pybabel extract -F babel.cfg
-k _l -k lazy_gettext` does, and compared with the committed
app/translations/zh/LC_MESSAGES/messages.po: a string added without its translation, a
fuzzy entry, or a translation that lost or renamed a placeholder fails a test.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
from babel.messages import frontend
from babel.messages.catalog import PYTHON_FORMAT
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO_FILE = ROOT / "app" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
# printf-style conversions (%(name)s, %d, %.2f, the escaped %%), as Babel finds them
PLACEHOLDER = PYTHON_FORMAT
# ASCII punctuation touching a Chinese character: Chinese text takes ，。：；？！（）
ASCII_PUNCT_IN_CHINESE = re.compile(r"[\u4e00-\u9fff][,;:?!()]|[,;:?!()][\u4e00-\u9fff]")


def _method_map():
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        return parse(fh)


def _only_app(path):
    rel = os.path.relpath(path, ROOT)
    return rel == "app" or rel.startswith("app" + os.sep)


@pytest.fixture(scope="module")
def extracted():
    """msgid (the singular for plurals) → "file:line" of one place that uses it."""
    method_map, options_map = _method_map()
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_only_app
    ):
        msgid = message[0] if isinstance(message, (tuple, list)) else message
        if msgid:
            found.setdefault(msgid, f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def catalog():
    with open(PO_FILE, "rb") as fh:
        return read_po(fh, locale="zh")


def _strings(message):
    ids = message.id if isinstance(message.id, (tuple, list)) else (message.id,)
    strs = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return ids, strs


def test_extraction_finds_the_ui(extracted):
    # guards the test itself: a broken babel.cfg would extract nothing and pass everything
    assert "Log in" in extracted
    files = {where.rsplit(":", 1)[0] for where in extracted.values()}
    assert any(f.startswith("app/templates/") and f.endswith(".html") for f in files)
    assert any(f.startswith("app/") and f.endswith(".py") for f in files)


def test_every_ui_string_has_a_chinese_translation(extracted, catalog):
    untranslated = []
    for msgid, where in sorted(extracted.items()):
        message = catalog.get(msgid)
        if message is None:
            untranslated.append(f"{where}: {msgid!r} is not in messages.po (run pybabel update)")
            continue
        _ids, strs = _strings(message)
        if message.fuzzy:
            untranslated.append(f"{where}: {msgid!r} is fuzzy")
        elif not all(s and s.strip() for s in strs):
            untranslated.append(f"{where}: {msgid!r} has no translation")
    assert not untranslated, "\n".join(untranslated)


def test_the_catalog_is_not_marked_fuzzy(catalog):
    # pybabel compile skips a catalog whose header is fuzzy: the whole site would be English
    assert not catalog.fuzzy
    assert str(catalog.locale) == "zh"


def _formats(text, sample):
    try:
        text % sample
    except (KeyError, ValueError, TypeError):
        return False
    return True


def test_translations_keep_placeholders_and_chinese_punctuation(catalog):
    problems = []
    for message in catalog:
        if not message.id or not message.string:
            continue
        ids, strs = _strings(message)
        msgid = ids[-1]  # Chinese has one plural form, used for every n: compare with the plural
        for msgstr in strs:
            if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
                problems.append(f"placeholders differ: {msgid!r} → {msgstr!r}")
                continue
            # Jinja's _() always applies % (Python code only when given values): what formats
            # in English must format in Chinese
            formatted = message.python_format or any(
                path.startswith("app/templates/") for path, _line in message.locations
            )
            sample = {name: 1 for name, _flags, _conv in PLACEHOLDER.findall(msgid) if name}
            if formatted and _formats(msgid, sample) and not _formats(msgstr, sample):
                problems.append(f"stray % in translation: {msgstr!r}")
            if ASCII_PUNCT_IN_CHINESE.search(PLACEHOLDER.sub("", msgstr)):
                problems.append(f"ASCII punctuation in Chinese text: {msgstr!r}")
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """Flask-Babel reads the .mo (git-ignored): compile it when it is missing or stale."""
    if not MO_FILE.exists() or MO_FILE.stat().st_mtime < PO_FILE.stat().st_mtime:
        with open(PO_FILE, "rb") as fh:
            catalog = read_po(fh, locale="zh")
        fd, tmp = tempfile.mkstemp(dir=MO_FILE.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as out:
            write_mo(out, catalog)
        os.replace(tmp, MO_FILE)


@pytest.mark.parametrize(
    ("query", "shown", "absent"),
    [
        ("", ["登录", "重点项目融资对接平台", "成都市发展和改革委员会"], ["Log in", "Key Project Financing Platform"]),
        ("?lang=en", ["Log in", "Key Project Financing Platform"], ["登录", "重点项目融资对接平台"]),
    ],
    ids=["default-chinese", "english"],
)
def test_login_page_language(client, query, shown, absent):
    page = client.get("/login" + query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in shown:
        assert text in html
    for text in absent:
        assert text not in html
