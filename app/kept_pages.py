"""Whole pages kept for a short while (Flask-Caching), for visitors who would get exactly
the same page: edition pages (app/editions/fragments.py) and the dashboard (main.index).

A key holds what the page is made of: its address and language, the visitor state
(app/header.py: the public, or one signed-in user as their header and the rules show them),
the permission audience, and whatever generation the page's data follows
(services/page_cache.py). A page with pending messages is never kept. The CSRF token, the
same in every form of a request, is kept as a placeholder and the visitor's own is put in
on the way out. A signed-in visitor's session is checked before any view runs
(auth.routes.end_idle_session): a kept page never outlives a logout, a deactivation or an
idle timeout.
"""

import hashlib
import logging
from collections.abc import Callable

from flask import request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.extensions import cache
from app.header import visitor_state
from app.services.permissions import audience

SECONDS = 30
CSRF_PLACEHOLDER = "__cp_csrf_token__"
log = logging.getLogger(__name__)


def key(kind: str, *generations) -> str | None:
    """The key of this request's whole page, or None when it is not to be kept."""
    if session.get("_flashes"):
        return None
    try:
        raw = repr((*(g() for g in generations), request.path, sorted(request.args.items(multi=True)),
                    str(get_locale()), audience(current_user), visitor_state()))
    except Exception:  # noqa: BLE001 - cache unreachable: render, the page still answers
        log.warning("page cache unreachable", exc_info=True)
        return None
    return f"{kind}:" + hashlib.sha256(raw.encode()).hexdigest()


def get(page_key: str) -> str | None:
    try:
        html = cache.get(page_key)
    except Exception:  # noqa: BLE001
        log.warning("page cache unreachable", exc_info=True)
        return None
    return None if html is None else html.replace(CSRF_PLACEHOLDER, generate_csrf())


def put(page_key: str, html: str) -> None:
    try:
        cache.set(page_key, html.replace(generate_csrf(), CSRF_PLACEHOLDER), timeout=SECONDS)
    except Exception:  # noqa: BLE001
        log.warning("page cache unreachable", exc_info=True)


def serve(kind: str, *generations, render: Callable[[], str]) -> str:
    """This request's page as kept, or rendered by `render()` and kept: a whole page kept
    for its visitor in the given generations."""
    page_key = key(kind, *generations)
    if page_key and (html := get(page_key)) is not None:
        return html
    html = render()
    if page_key:
        put(page_key, html)
    return html
