"""Error mapping, in one place: domain errors and HTTP errors become an HTML page
(or a flash and a redirect) for the site and one JSON shape for the API."""

from flask import flash, jsonify, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.services.errors import DomainError, InvalidTransition, StaleEdit
from app.urls import referrer_path


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, code: str, message: str, errors: dict | None = None):
    """The API's one error shape."""
    body = {"error": {"status": status, "code": code, "message": message}}
    if errors:
        body["error"]["errors"] = {k: [str(m) for m in v] for k, v in errors.items()}
    response = jsonify(body)
    response.status_code = status
    return response


def register(app):
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError):
        db.session.rollback()
        if wants_json():
            return api_error(exc.status_code, _code(exc), str(exc.message), exc.errors)
        if isinstance(exc, (InvalidTransition, StaleEdit)) and request.method == "POST":
            flash(str(exc.message), "danger")
            return redirect(referrer_path("/"))
        return render_template("errors/error.html", status=exc.status_code,
                               message=str(exc.message)), exc.status_code

    @app.errorhandler(StaleDataError)
    def stale(exc):
        return domain_error(StaleEdit())

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if wants_json():
            response = api_error(exc.code or 500, _http_code(exc), exc.description or exc.name,
                                 _webargs_errors(exc))
            return response, _headers(exc)
        if exc.code == 400 and "CSRF" in (exc.description or ""):
            flash(_("Your form expired. Please try again."), "warning")
            return redirect(referrer_path(request.path))
        return render_template("errors/error.html", status=exc.code,
                               message=None), exc.code, _headers(exc)

    @app.errorhandler(Exception)
    def unexpected(exc):
        app.logger.exception("unexpected error")
        db.session.rollback()
        if wants_json():
            return api_error(500, "server_error", "Internal server error")
        return render_template("errors/error.html", status=500, message=None), 500


def _headers(exc: HTTPException) -> dict:
    """The headers the exception carries besides its own body's type: Allow on a 405,
    WWW-Authenticate on a 401, Retry-After on a 429 or 503."""
    return {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}


def _code(exc: DomainError) -> str:
    return {
        "NotFound": "not_found", "NotAllowed": "forbidden", "InvalidTransition": "invalid_transition",
        "StaleEdit": "stale_edit", "ValidationFailed": "validation_failed",
    }.get(type(exc).__name__, "error")


def _http_code(exc: HTTPException) -> str:
    if exc.code == 422:  # webargs' input checks: the same code as the services' checks
        return "validation_failed"
    return (exc.name or "error").lower().replace(" ", "_")


def _webargs_errors(exc: HTTPException) -> dict | None:
    messages = getattr(exc, "data", {}).get("messages") if hasattr(exc, "data") else None
    if not messages:
        return None
    flat = {}
    for location, fields in messages.items():
        if not isinstance(fields, dict):  # the whole body, e.g. {"json": ["Invalid JSON body."]}
            flat[location] = [str(m) for m in fields] if isinstance(fields, list) else [str(fields)]
            continue
        for field, errs in fields.items():
            flat[str(field)] = [str(m) for m in errs] if isinstance(errs, list) else [str(errs)]
    return flat
