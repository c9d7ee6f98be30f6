"""Bearer-token authentication. The API never reads the session cookie: a request is
the token's user or nobody (401 with WWW-Authenticate: Bearer)."""

from flask import g, request
from flask_babel import gettext as _

from app.errors import api_error
from app.extensions import db
from app.services import accounts

SCHEME = "bearerAuth"


def authenticate():
    header = request.headers.get("Authorization", "")
    kind, _sep, secret = header.partition(" ")
    user = accounts.user_for_api_token(secret.strip()) if kind.lower() == "bearer" else None
    if user is None:
        db.session.rollback()
        response = api_error(401, "unauthorized", _("A valid API token is required."))
        challenge = 'Bearer realm="CityPartner"'
        if header:
            challenge += ', error="invalid_token"'
        response.headers["WWW-Authenticate"] = challenge
        return response
    if db.session.dirty:
        db.session.commit()  # last_used_at, kept to the minute
    g.api_user = user
    return None


def current_user():
    return g.api_user
