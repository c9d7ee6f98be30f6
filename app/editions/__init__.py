"""List editions (清单期次): reading published editions, compiling and publishing drafts,
saved searches."""

from flask import Blueprint

bp = Blueprint("editions", __name__, url_prefix="/editions")

from app.editions import compiling, routes  # noqa: E402,F401
