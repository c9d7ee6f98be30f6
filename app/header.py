"""The page header of every page (templates/_header.html: navigation, account menu,
verification banner), rendered once per visitor state and language and kept with
Flask-Caching, like the parts of edition pages (app/editions/fragments.py).

The header reads of the visitor only what visitor_state lists: who they are, their
organisation, their role and standing, and their unread notifications. Two requests with
the same state get the same header, except for the CSRF token of its forms and the address
the language switch comes back to, which are put in on every request. The session itself
is checked before any page is rendered (auth.routes.end_idle_session): a header kept in the
cache never keeps a user signed in.
"""

import hashlib
import logging

from flask import current_app, g, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from app.extensions import cache

TEMPLATE = "_header.html"
CSRF_PLACEHOLDER = "__cp_header_csrf__"
BACK_PLACEHOLDER = "__cp_header_back__"
SECONDS = 300
log = logging.getLogger(__name__)


def visitor_state() -> tuple:
    """Everything the header shows or decides of the visitor."""
    if not current_user.is_authenticated:
        return ("public",)
    user = current_user._get_current_object()
    org = user.org
    return (user.id, user.name, user.role.value, user.status.value, user.status_reason, user.is_verified,
            org.id, org.display_name, org.kind.value, org.status.value, org.status_reason, g.get("unread", 0))


def _template_digest() -> str:
    digest = current_app.extensions.get("header_digest")
    if digest is None:
        env = current_app.jinja_env
        source = env.loader.get_source(env, TEMPLATE)[0]
        digest = current_app.extensions["header_digest"] = hashlib.sha256(source.encode()).hexdigest()[:12]
    return digest


def _render() -> str:
    return render_template(TEMPLATE, csrf=CSRF_PLACEHOLDER, back=BACK_PLACEHOLDER)


def page_header() -> Markup:
    """The header for this request: from the cache, or rendered and kept."""
    raw = repr((_template_digest(), str(get_locale()), visitor_state()))
    key = "page-header:" + hashlib.sha256(raw.encode()).hexdigest()
    try:
        html = cache.get(key)
    except Exception:  # noqa: BLE001 - cache unreachable: render, the page still answers
        log.warning("page header cache unreachable", exc_info=True)
        html = None
    if html is None:
        html = _render()
        try:
            cache.set(key, html, timeout=SECONDS)
        except Exception:  # noqa: BLE001
            log.warning("page header cache unreachable", exc_info=True)
    back = request.full_path if request.query_string else request.path
    return Markup(html.replace(CSRF_PLACEHOLDER, generate_csrf()).replace(BACK_PLACEHOLDER, str(escape(back))))
