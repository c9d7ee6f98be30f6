"""Preference profile (投资偏好), 为您推荐, 可能感兴趣的机构 and 定向推送."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app import kept_pages
from app.extensions import db
from app.forms import save_edit, show_refused
from app.matching import bp
from app.matching.forms import InvitationForm, PreferenceForm, RecommendationFilterForm
from app.models import FinancingNeed
from app.services import page_cache, preferences
from app.services import recommendations as recs
from app.services.errors import InvalidTransition
from app.services.loader import get_visible
from app.services.params import page_arg
from app.services.permissions import require


@bp.route("/preferences", methods=["GET", "POST"])
@login_required
def preferences_page():
    org = current_user.org
    require(current_user, "keep_preferences", org)
    profile = preferences.get_profile(org)
    version = profile.version if profile else 0
    if request.method == "GET":
        form = PreferenceForm.from_profile(preferences.profile_data(profile), version)
        return render_template("matching/preferences.html", form=form, profile=profile)
    form = PreferenceForm()
    outcome = save_edit(form, lambda: preferences.save_profile(
        org, form.service_data(), version=form.version_number(), by=current_user),
        check=preferences.validate_profile)
    if outcome == "saved":
        flash(_("Preference profile saved. Recommendations now follow it."), "success")
        return redirect(url_for("matching.recommendations"))
    stale = outcome == "stale"
    return render_template("matching/preferences.html", form=form, profile=profile,
                           stale=stale), 409 if stale else 422


@bp.get("/recommendations")
@login_required
def recommendations():
    require(current_user, "keep_preferences", current_user.org)
    # Kept whole for the visitor in the generation of the data: the profile, the list, the
    # institution's interests and the invitations change only by commits that write, and each
    # renews it (app/kept_pages.py). Rendered afresh, the scores come from the rankings kept
    # in the listing generation (services/recommendations.py).
    return kept_pages.serve("recommendations", page_cache.data_generation, page_cache.listing_generation,
                            render=_recommendations)


def _recommendations() -> str:
    filters = recs.RecommendationFilters.from_args(request.args)
    form = RecommendationFilterForm(formdata=request.args)
    show_refused(form, filters)
    profile, page = recs.recommend(current_user, filters, page=page_arg(request.args),
                                   per_page=current_app.config["PER_PAGE"])
    return render_template("matching/recommendations.html", form=form, filters=filters, page=page,
                           profile=profile, invitations=recs.received_invitations(current_user))


@bp.get("/needs/<int:need_id>/institutions")
@login_required
def institutions(need_id):
    need = get_visible(FinancingNeed, need_id, current_user, "match_institutions")
    return render_template("matching/institutions.html", need=need, project=need.project,
                           candidates=recs.interested_institutions(need, by=current_user),
                           form=InvitationForm(formdata=None))


@bp.post("/needs/<int:need_id>/invitations")
@login_required
def invite(need_id):
    need = get_visible(FinancingNeed, need_id, current_user, "invite")
    form = InvitationForm()
    if not form.validate_on_submit():
        for messages in form.errors.values():
            for message in messages:
                flash(message, "danger")
        return redirect(url_for("matching.institutions", need_id=need_id))
    try:
        invitation = recs.invite(need, form.org_id.data, by=current_user, message=form.message.data)
    except InvalidTransition as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        name = invitation.org.display_name
        db.session.commit()
        flash(_("Pushed to %(org)s: its users have been notified.", org=name), "success")
    return redirect(url_for("matching.institutions", need_id=need_id))
