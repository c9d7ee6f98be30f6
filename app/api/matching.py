"""The institution's preference profile (/me/preferences) and its recommendations
(/recommendations): the services of the 投资偏好 and 为您推荐 pages."""

import marshmallow as ma
from flask_smorest import Blueprint
from marshmallow import fields, validate

from app.api.auth import authenticate, current_user
from app.api.pagination import envelope
from app.api.schemas import DecimalString, NeedSchema, PageArgsSchema, Text, filters_or_422, page_schema
from app.extensions import db
from app.reference import Instrument, Level
from app.services import preferences
from app.services import recommendations as recs
from app.services.permissions import require

bp = Blueprint("api_matching", __name__, url_prefix="",
               description="Preference profile (投资偏好) and recommendations (为您推荐)")
bp.before_request(authenticate)

_INSTRUMENTS = validate.OneOf([i.value for i in Instrument])
_LEVELS = validate.OneOf([lv.value for lv in Level])


class PreferenceInputSchema(ma.Schema):
    """The whole profile: a list left empty and a bound left null mean any."""

    industries = fields.List(Text(validate=validate.Length(max=4)), load_default=list,
                             validate=validate.Length(max=200),
                             metadata={"description": "GB/T 4754 division codes (or section letters), e.g. 48"})
    districts = fields.List(Text(validate=validate.Length(max=12)), load_default=list,
                            validate=validate.Length(max=50),
                            metadata={"description": "区(市)县 codes or functional zones, e.g. 510112, tianfu"})
    instruments = fields.List(fields.String(validate=_INSTRUMENTS), load_default=list,
                              validate=validate.Length(max=20))
    levels = fields.List(fields.String(validate=_LEVELS), load_default=list, validate=validate.Length(max=5))
    amount_min = DecimalString(load_default=None, allow_none=True, metadata={"description": "万元"})
    amount_max = DecimalString(load_default=None, allow_none=True, metadata={"description": "万元"})
    term_min = fields.Integer(load_default=None, allow_none=True, strict=True, metadata={"description": "months"})
    term_max = fields.Integer(load_default=None, allow_none=True, strict=True, metadata={"description": "months"})
    version = fields.Integer(required=True, strict=True,
                             metadata={"description": "The version you read (0 when there was no profile); "
                                                      "a newer one answers 409"})


class PreferenceSchema(ma.Schema):
    industries = fields.List(fields.String(), required=True)
    districts = fields.List(fields.String(), required=True)
    instruments = fields.List(fields.String(), required=True)
    levels = fields.List(fields.String(), required=True)
    amount_min = DecimalString(allow_none=True)
    amount_max = DecimalString(allow_none=True)
    term_min = fields.Integer(allow_none=True)
    term_max = fields.Integer(allow_none=True)
    version = fields.Integer(required=True, metadata={"description": "0: no profile yet (every need scores 100)"})


class MatchReasonSchema(ma.Schema):
    code = fields.String(attribute="value", required=True, metadata={"description": "e.g. industry_match"})
    label = fields.String(required=True, metadata={"description": "In the caller's language"})
    positive = fields.Boolean(required=True)


class RecommendationSchema(ma.Schema):
    need = fields.Nested(NeedSchema, required=True)
    score = fields.Integer(attribute="match.score", required=True, metadata={"description": "0–100"})
    reasons = fields.List(fields.Nested(MatchReasonSchema), attribute="match.reasons", required=True)
    interested = fields.Boolean(required=True, metadata={"description": "Your institution has a live interest"})
    invited = fields.Boolean(required=True, metadata={"description": "Pushed to your institution (定向推送)"})


class RecommendationArgsSchema(PageArgsSchema):
    district = Text(validate=validate.Length(max=12), metadata={"description": "区(市)县 code or functional zone"})
    industry = Text(validate=validate.Length(max=4), metadata={"description": "GB/T 4754 division or section"})
    instrument = fields.String(validate=_INSTRUMENTS)
    min_score = fields.Integer(strict=False, validate=validate.Range(min=0, max=100))


RecommendationPageSchema = page_schema(RecommendationSchema, "RecommendationPage")


def _shown(profile) -> dict:
    return {**preferences.profile_data(profile), "version": profile.version if profile else 0}


@bp.get("/me/preferences")
@bp.response(200, PreferenceSchema)
def get_preferences():
    """Your institution's preference profile (verified institution users)."""
    user = current_user()
    require(user, "keep_preferences", user.org)
    return _shown(preferences.get_profile(user.org))


@bp.put("/me/preferences")
@bp.arguments(PreferenceInputSchema)
@bp.response(200, PreferenceSchema)
def put_preferences(data):
    """Replace your institution's preference profile. A minimum above its maximum is 422."""
    user = current_user()
    version = data.pop("version")
    profile = preferences.save_profile(user.org, data, version=version, by=user)
    db.session.commit()
    return _shown(profile)


@bp.get("/recommendations")
@bp.arguments(RecommendationArgsSchema, location="query", as_kwargs=True)
@bp.response(200, RecommendationPageSchema)
def list_recommendations(page, per_page, **args):
    """为您推荐: the listed needs, best match for your institution's profile first (ties:
    newest listed, then lowest id), with the score's reasons; the filters of the page."""
    filters = filters_or_422(recs.RecommendationFilters, args)
    _profile, result = recs.recommend(current_user(), filters, page=page, per_page=per_page, clamp=False)
    return envelope(result)
