"""The JSON API /api/v1: the same services and permissions as the site, token auth only.

flask-smorest generates the OpenAPI 3 document (/api/v1/openapi.json) from the routes
and the marshmallow schemas in schemas.py. Errors keep the one shape of app/errors.py.
"""

from flask import Flask
from flask_smorest import Api

from app.api.schemas import DecimalString, ErrorSchema
from app.extensions import csrf


class CityPartnerApi(Api):
    """flask-smorest's Api, minus its app-wide HTTPException handler: app/errors.py maps
    errors once, HTML for the site and {"error": {...}} under /api/."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass


def register_api(app: Flask) -> CityPartnerApi:
    from app.api import auth
    from app.api.editions import bp as editions_bp
    from app.api.interests import bp as interests_bp
    from app.api.matching import bp as matching_bp
    from app.api.me import bp as me_bp
    from app.api.needs import bp as needs_bp
    from app.api.projects import bp as projects_bp

    api = CityPartnerApi(app, spec_kwargs={
        "info": {"description": "CityPartner (重点项目融资对接平台): projects, financing needs and interests. "
                                "Authenticate with `Authorization: Bearer <token>` "
                                "(`flask tokens create EMAIL`)."},
        "security": [{auth.SCHEME: []}],
    })
    api.register_field(DecimalString, "string", None)
    api.spec.components.security_scheme(auth.SCHEME, {
        "type": "http", "scheme": "bearer",
        "description": "A personal API token, created with `flask tokens create EMAIL`.",
    })
    for bp in (me_bp, projects_bp, needs_bp, editions_bp, matching_bp, interests_bp):
        csrf.exempt(bp)
        auth.rate_limited(bp)
        api.register_blueprint(bp, url_prefix=app.config["OPENAPI_URL_PREFIX"] + bp.url_prefix)
    return api
