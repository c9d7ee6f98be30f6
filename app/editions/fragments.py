"""The rendered parts of a published edition's page, cached across readers with
Flask-Caching (Redis when REDIS_URL is set, shared by every worker and host; else in each
process's memory).

A published revision never changes, so its filter form, download links, item table and
pagination look the same to every reader of one audience for the same address and
language. The key holds everything those parts are made of: the revision and its state,
the query string (filters, sort, page, rev), the language, the audience
(permissions.audience) and the templates' own text, and the generation of publications
(renewed by each publication or correction: it changes the banners of earlier revisions
and which revision an address shows). What depends on the visitor is rendered around the parts
on every request: flash messages, CSRF tokens, the saved-search form, the edition's file
links; the navigation comes from its own cache (app/header.py). Whole pages are kept for a
short while for each visitor state (below).
"""

import hashlib
import logging

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import kept_pages
from app import reference as ref
from app.extensions import cache
from app.models import ItemMarker
from app.services import editions as svc
from app.services.page_cache import generation
from app.services.params import page_arg
from app.services.permissions import audience

PARTS = ("editions/_head.html", "editions/_items.html")
log = logging.getLogger(__name__)


def _templates_digest() -> str:
    """The parts' template sources: a deployment that changes them never reads old parts."""
    digest = current_app.extensions.get("edition_parts_digest")
    if digest is None:
        loader = current_app.jinja_env.loader
        sources = "".join(loader.get_source(current_app.jinja_env, name)[0] for name in PARTS)
        digest = current_app.extensions["edition_parts_digest"] = hashlib.sha256(sources.encode()).hexdigest()[:12]
    return digest


def reading_labels() -> dict:
    """The filter choices and the display labels of the reading page, translated once per
    language and process: per option and per cell they cost more than the rest of the page."""
    labels_by_locale = current_app.extensions.setdefault("edition_reading_labels", {})
    locale = str(get_locale())
    labels = labels_by_locale.get(locale)
    if labels is None:
        labels = labels_by_locale[locale] = {
            "districts": ref.district_choices(),
            "categories": ref.choices(ref.Category),
            "industries": ref.industry_choices(),
            "levels": ref.choices(ref.Level),
            "instruments": ref.choices(ref.Instrument),
            "district": dict(ref.district_choices()),
            "zone": dict(ref.zone_choices()),
            "industry": {i.code: i.label for i in ref.industries()},
            "level": dict(ref.choices(ref.Level)),
            "instrument": dict(ref.choices(ref.Instrument)),
            "marker": {m.value: ref.label(m) for m in ItemMarker},
            "priority": _("Priority"),
        }
    return labels


def parts_key(edition, reader_audience: str) -> str:
    raw = repr((
        _templates_digest(), generation(), edition.id, edition.status.value, str(get_locale()), reader_audience,
        request.endpoint, sorted(request.args.items(multi=True)),
    ))
    return "edition-parts:" + hashlib.sha256(raw.encode()).hexdigest()


def render_parts(edition, revisions, current, *, preview: bool) -> dict[str, str]:
    """The two parts (filters and downloads; items and pages), rendered now."""
    filters = svc.Filters.from_args(request.args)
    page = svc.page_items(edition, filters, page=page_arg(request.args), per_page=current_app.config["PER_PAGE"])
    labels = reading_labels()
    present = svc.edition_industries(edition) | ({filters.industry} if filters.industry else set())
    context = dict(
        edition=edition, filters=filters, page=page, preview=preview,
        rows=[svc.public_data(svc.item_data(i)) for i in page.items],
        revisions=revisions, current=current, sorts=svc.READER_SORTS,
        labels={**labels, "industries": [(v, name) for v, name in labels["industries"] if v in present]},
        filter_words=filters.in_words(),
        contacts_export=not preview and svc.may_export_contacts(edition, filters, current_user._get_current_object()),
    )
    return {"head": render_template(PARTS[0], **context), "items": render_template(PARTS[1], **context)}


def published_parts(edition) -> dict[str, str]:
    """The parts of a published revision's page for the current reader: from the cache, or
    rendered and stored. A cache that cannot be reached only costs the rendering."""
    try:
        key = parts_key(edition, audience(current_user))
        parts = cache.get(key)
    except Exception:  # noqa: BLE001 - Redis down: render, the page still answers
        log.warning("edition parts cache unreachable", exc_info=True)
        return render_parts(edition, *svc.revisions(edition), preview=False)
    if parts is None:
        parts = render_parts(edition, *svc.revisions(edition), preview=False)
        try:
            cache.set(key, parts)
        except Exception:  # noqa: BLE001
            log.warning("edition parts cache unreachable", exc_info=True)
    return parts


# ---- whole pages -----------------------------------------------------------------------------
# Kept for each visitor state (app/kept_pages.py), in the generation of publications. A page
# whose edition files are still being made is never kept whole: its file links change.
def page_key() -> str | None:
    return kept_pages.key("edition-page", generation)


def cached_page(key: str) -> str | None:
    return kept_pages.get(key)


def store_page(key: str, edition, html: str) -> None:
    if edition.files_ready:  # its file links no longer say 正在生成
        kept_pages.put(key, html)
