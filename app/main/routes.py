import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from app import kept_pages
from app.extensions import db
from app.main import bp
from app.models import (
    Edition,
    EditionStatus,
    FinancingNeed,
    NeedStatus,
    Organization,
    OrgStatus,
    Project,
    User,
    UserStatus,
)
from app.services import accounts, page_cache, search
from app.services import editions as edition_service
from app.services.permissions import can
from app.services.search.base import count
from app.urls import local_url


@bp.get("/")
def index():
    # Kept whole for the visitor in the generation of the data: any commit that writes
    # renews it, so the figures are never older than the last change (app/kept_pages.py).
    return kept_pages.serve("home", page_cache.data_generation, page_cache.generation, render=_dashboard)


def _dashboard() -> str:
    if current_user.is_authenticated and not current_user.is_verified:
        # Not verified yet (or no longer): nothing of the organisation to count, but
        # why, and what happens next.
        situation, reason = accounts.standing(current_user)
        return render_template("main/index.html", stats=None, situation=situation, reason=reason,
                               operator=accounts.platform_operator())
    stats = None
    if current_user.is_authenticated:
        # The same counts as the lists the cards link to (services/search), and only those
        # this role's dashboard shows; the latest edition's items are counted, never loaded.
        latest, latest_items = edition_service.latest_with_item_count()
        stats = {
            "by_status": search.needs_by_status(current_user),
            "latest_edition": latest,
            "latest_items": latest_items,
        }
        org = current_user.org
        if can(current_user, "prepare_projects", org) or can(current_user, "oversee", org):
            stats["projects"] = search.count_projects(current_user)
            stats["needs"] = sum(stats["by_status"].values())
        # The dashboard's shortcuts: what waits for this user, counted from existing data.
        if can(current_user, "oversee", org):
            stats["pending_orgs"] = count(sa.select(Organization.id).where(
                Organization.status == OrgStatus.pending))
            stats["pending_users"] = count(sa.select(User.id).where(User.status == UserStatus.pending))
            stats["draft_editions"] = db.session.scalars(sa.select(Edition).where(
                Edition.status == EditionStatus.draft).order_by(Edition.year, Edition.period)).all()
            stats["awaiting_approval"] = edition_service.awaiting_approval(current_user)
        elif can(current_user, "save_searches", current_user._get_current_object()):
            stats["saved_searches"] = edition_service.count_searches(current_user)
    return render_template("main/index.html", stats=stats, NeedStatus=NeedStatus,
                           Project=Project, FinancingNeed=FinancingNeed)


@bp.post("/language")
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.locale = lang
            db.session.commit()
    return redirect(local_url(request.form.get("next"), url_for("main.index")))


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
