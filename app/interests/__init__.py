from flask import Blueprint

bp = Blueprint("interests", __name__)

from app.interests import routes  # noqa: E402,F401
