"""API fixtures: bearer tokens for the role users of tests/conftest.py, and a client
that sends them."""

import pytest

from app.extensions import db
from app.services import accounts
from tests import factories


def bearer(user) -> dict:
    """Authorization headers with a fresh API token of `user`. Unverified users cannot
    create one: theirs is a token made before (see factories.make_api_token)."""
    if user.is_verified:
        secret, _row = accounts.create_api_token(user, "tests")
    else:
        secret = factories.make_api_token(user)
    db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(client):
    """api(user).get(path, ...) sends the user's bearer token; paths are under /api/v1."""

    class Caller:
        def __init__(self, user):
            self.headers = bearer(user)

        def __getattr__(self, method):
            send = getattr(client, method)

            def call(path, **kwargs):
                return send("/api/v1" + path, headers={**self.headers, **kwargs.pop("headers", {})},
                            **kwargs)
            return call

    return Caller
