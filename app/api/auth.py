"""Bearer-token authentication. The API never reads the session cookie: a request is
the token's user or nobody (401 with WWW-Authenticate: Bearer)."""

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from app.errors import api_error
from app.extensions import db, limiter
from app.models import hash_token
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


# ---- rate limits: one budget per token and one per client address, over the whole API --------
def _token_key() -> str:
    """The token (hashed: limiter storage never holds a credential); without one, the address."""
    kind, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if kind.lower() == "bearer" and secret.strip():
        return "token:" + hash_token(secret.strip())
    return "ip:" + get_remote_address()


def _too_many() -> str:
    return _("Too many requests. Wait a moment and try again (see the Retry-After header).")


def _token_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


def _address_limit() -> str:
    return current_app.config["API_IP_RATE_LIMIT"]


def rate_limited(bp):
    """Both API rate limits on a blueprint (429 in the API's error shape, with Retry-After).
    Module-level functions, not lambdas: the limiter keeps one copy of an equal limit, so
    creating the app again (tests) does not count each request twice."""
    limiter.shared_limit(_token_limit, scope="api-token", key_func=_token_key,
                         error_message=_too_many)(bp)
    limiter.shared_limit(_address_limit, scope="api-ip", key_func=get_remote_address,
                         error_message=_too_many)(bp)
    return bp


def current_user():
    return g.api_user
