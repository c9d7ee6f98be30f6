"""CityPartner (重点项目融资对接平台): the application factory."""

import logging
import os

from flask import Flask, g, has_request_context, request, session

from app.extensions import babel, bootstrap, cache, csrf, db, limiter, login_manager, migrate
from config import CONFIGS, DEV_SECRET, MIN_SECRET_LENGTH


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("FLASK_CONFIG", "development")
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    secret = app.config.get("SECRET_KEY") or ""
    if config_name == "production" and (secret == DEV_SECRET or len(secret) < MIN_SECRET_LENGTH):
        raise RuntimeError("Set SECRET_KEY to a long random value before running in production.")
    os.makedirs(app.instance_path, exist_ok=True)
    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    logging.basicConfig(level=logging.INFO)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_security_headers(app)
    register_commands(app)
    return app


def select_locale() -> str:
    from flask import current_app
    from flask_login import current_user

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # services run from CLI commands and tests too
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen  # a link with ?lang= switches the language for the visit
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known to Alembic)
    from app.services import accounts

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_timezone="Asia/Shanghai")
    limiter.init_app(app)
    bootstrap.init_app(app)
    cache.init_app(app)
    from app.services import page_cache

    page_cache.watch_writes()  # kept pages follow the data (app/kept_pages.py)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "warning"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to open this page.")
    login_manager.session_protection = None  # sessions are checked against the database

    @login_manager.user_loader
    def load_user(user_id):
        # The cookie's session token must match a live session row of this user:
        # logging out or deactivating a user ends sessions on the server.
        user, idled_out, unread = accounts.resume_session(session.get("sid"))
        g.session_idled_out = idled_out  # auth.routes sends the user to log in again
        if user is None or str(user.id) != str(user_id):
            return None
        g.unread = unread  # counted with the session: the navigation shows it
        return user


def register_blueprints(app: Flask) -> None:
    from app.admin import bp as admin_bp
    from app.api import register_api
    from app.auth import bp as auth_bp
    from app.editions import bp as editions_bp
    from app.interests import bp as interests_bp
    from app.main import bp as main_bp
    from app.matching import bp as matching_bp
    from app.needs import bp as needs_bp
    from app.notifications import bp as notifications_bp
    from app.projects import bp as projects_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(projects_bp)
    app.register_blueprint(needs_bp)
    app.register_blueprint(editions_bp)
    app.register_blueprint(interests_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(matching_bp)
    app.register_blueprint(admin_bp)
    register_api(app)


def register_errorhandlers(app: Flask) -> None:
    from app.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from flask_login import current_user

    from app import reference
    from app.header import page_header
    from app.services import formatting, notifications
    from app.services.permissions import can

    install_template_gettext(app)
    app.jinja_env.globals["page_header"] = page_header
    app.jinja_env.filters.update(
        money=formatting.money,
        dt=formatting.datetime_str,
        d=formatting.date_str,
        label=reference.label,
    )

    @app.context_processor
    def inject():
        unread = 0
        if current_user.is_authenticated:
            if "unread" not in g:
                g.unread = notifications.unread_count(current_user)
            unread = g.unread
        return {"can": can, "ref": reference, "unread_count": unread,
                "current_locale": select_locale(),
                # the separator of enumerations: 项目贷款、债券 / Project loan, Bonds
                "sep": ", " if select_locale() == "en" else "、"}


def install_template_gettext(app: Flask) -> None:
    """Templates' _() and ngettext() find the request's catalogue once and keep it while
    the locale stays the same object: Flask-Babel looks it up again (domain, locale,
    cache key) for each of the ~50 strings of a page. force_locale (e-mails, exports)
    sets another locale object, so a string rendered under it uses that catalogue."""
    from flask_babel import get_translations

    def translations():
        babel_ctx = g.get("_flask_babel")
        memo = g.get("_template_catalogue")
        if memo is not None and babel_ctx is not None and memo[0] is getattr(babel_ctx, "babel_locale", None):
            return memo[1]
        catalogue = get_translations()
        babel_ctx = g.get("_flask_babel")
        locale = getattr(babel_ctx, "babel_locale", None)
        if locale is not None:
            g._template_catalogue = (locale, catalogue)
        return catalogue

    app.jinja_env.install_gettext_callables(
        lambda s: translations().ugettext(s),
        lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )


def register_security_headers(app: Flask) -> None:
    from app.confidential import no_store

    csp = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
           "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
           "frame-ancestors 'none'")

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if no_store(request):
            response.cache_control.no_store = True
            response.cache_control.private = True
            response.cache_control.public = False
            response.cache_control.max_age = None
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def register_commands(app: Flask) -> None:
    from app.cli import register

    register(app)
