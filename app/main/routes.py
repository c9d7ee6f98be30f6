import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from app.extensions import db
from app.main import bp
from app.models import FinancingNeed, NeedStatus, Project, Role
from app.services.permissions import visible_needs, visible_projects


@bp.get("/")
def index():
    stats = None
    if current_user.is_authenticated:
        projects = visible_projects(current_user).subquery()
        needs = visible_needs(current_user).subquery()
        stats = {
            "projects": db.session.scalar(sa.select(sa.func.count()).select_from(projects)),
            "needs": db.session.scalar(sa.select(sa.func.count()).select_from(needs)),
            "by_status": dict(db.session.execute(
                sa.select(needs.c.status, sa.func.count()).group_by(needs.c.status)).all()),
        }
    return render_template("main/index.html", stats=stats, Role=Role, NeedStatus=NeedStatus,
                           Project=Project, FinancingNeed=FinancingNeed)


@bp.post("/language")
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    target = request.form.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
