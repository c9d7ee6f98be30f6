from flask_smorest import Blueprint

from app.api.auth import authenticate, current_user
from app.api.schemas import MeSchema

bp = Blueprint("api_me", __name__, url_prefix="/me", description="The caller and their organisation")
bp.before_request(authenticate)


@bp.get("")
@bp.response(200, MeSchema)
def me():
    """The user the token belongs to, with their organisation."""
    return current_user()
