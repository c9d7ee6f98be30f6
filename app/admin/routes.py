"""Administration: verify organisations and users, change roles, read the audit log.

The whole area is for admins (one gate below); every change goes through
services.accounts, which checks the permission again and writes the audit row.
"""

import io
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import contains_eager

from app.admin import bp
from app.admin.forms import (
    AppointAdminForm,
    AuditFilterForm,
    OrgFilterForm,
    ReasonForm,
    RoleForm,
    UserFilterForm,
)
from app.extensions import db
from app.forms import show_errors
from app.models import AuditEntry, Organization, OrgStatus, Role, User, UserSession, UserStatus
from app.pagination import paginate
from app.reference import OrgKind, label
from app.services import accounts, audit
from app.services.errors import NotFound, ValidationFailed
from app.services.formatting import TZ, today
from app.services.loader import get_by_id
from app.services.params import valid_id
from app.services.permissions import require_admin

LOCAL_TZ = TZ


@bp.before_request
@login_required
def admins_only():
    require_admin(current_user)


def _page(query):
    return paginate(query)


def _get(model, object_id):
    return get_by_id(model, object_id)


# ---- organisations ---------------------------------------------------------------------
@bp.get("/organizations")
def organizations():
    form = OrgFilterForm(request.args)
    form.validate()
    query = sa.select(Organization)
    if form.status.data and not form.status.errors:
        query = query.where(Organization.status == OrgStatus(form.status.data))
    if form.kind.data and not form.kind.errors:
        query = query.where(Organization.kind == OrgKind(form.kind.data))
    if form.q.data and not form.q.errors:
        keyword = form.q.data.strip()
        query = query.where(sa.or_(Organization.name.icontains(keyword, autoescape=True),
                                   Organization.short_name.icontains(keyword, autoescape=True),
                                   Organization.credit_code.icontains(keyword, autoescape=True)))
    page = _page(query.order_by(Organization.created_at.desc(), Organization.id.desc()))
    ids = [org.id for org in page.items]
    user_counts = dict(db.session.execute(
        sa.select(User.org_id, sa.func.count(User.id)).where(User.org_id.in_(ids))
        .group_by(User.org_id)).all()) if ids else {}
    counts = dict(db.session.execute(
        sa.select(Organization.status, sa.func.count(Organization.id)).group_by(Organization.status)
    ).all())
    return render_template("admin/organizations.html", form=form, page=page, counts=counts,
                           user_counts=user_counts, OrgStatus=OrgStatus)


def _organization_page(org: Organization, status: int = 200, **forms):
    context = dict(reject_form=ReasonForm(prefix="reject", formdata=None),
                   deactivate_form=ReasonForm(prefix="deactivate", formdata=None))
    context.update(forms)
    users = sorted(org.users, key=lambda u: (u.status is not UserStatus.pending, u.name))
    history = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == Organization.__tablename__,
                                    AuditEntry.object_id == org.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(10)).all()
    return render_template("admin/organization.html", org=org, users=users, history=history,
                           **context), status


@bp.get("/organizations/<int:org_id>")
def organization(org_id):
    return _organization_page(_get(Organization, org_id))


@bp.post("/organizations/<int:org_id>/approve")
def approve_organization(org_id):
    org = _get(Organization, org_id)
    accounts.verify_organization(org, by=current_user)
    db.session.commit()
    flash(_("%(org)s is verified; its waiting users were activated and notified.", org=org.name),
          "success")
    return redirect(url_for("admin.organization", org_id=org.id))


@bp.post("/organizations/<int:org_id>/reactivate")
def reactivate_organization(org_id):
    org = _get(Organization, org_id)
    accounts.reactivate_organization(org, by=current_user)
    db.session.commit()
    flash(_("%(org)s is active again.", org=org.name), "success")
    return redirect(url_for("admin.organization", org_id=org.id))


def _with_reason(verb: str, obj, service, page, message: str, back: str):
    """reject / deactivate: a reason is required; without one the page comes back with
    the error next to the field and nothing changes."""
    form = ReasonForm(prefix=verb)
    if form.validate_on_submit():
        try:
            service(obj, reason=form.reason.data, by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(message, "success")
            return redirect(back)
    return page(obj, 422, **{f"{verb}_form": form})


@bp.post("/organizations/<int:org_id>/reject")
def reject_organization(org_id):
    org = _get(Organization, org_id)
    return _with_reason("reject", org, accounts.reject_organization, _organization_page,
                        _("The registration of %(org)s was rejected.", org=org.name),
                        url_for("admin.organization", org_id=org.id))


@bp.post("/organizations/<int:org_id>/deactivate")
def deactivate_organization(org_id):
    org = _get(Organization, org_id)
    return _with_reason("deactivate", org, accounts.deactivate_organization, _organization_page,
                        _("%(org)s is deactivated; its users were logged out.", org=org.name),
                        url_for("admin.organization", org_id=org.id))


# ---- users -----------------------------------------------------------------------------------
@bp.get("/users")
def users():
    form = UserFilterForm(request.args)
    form.validate()
    query = sa.select(User).join(User.org).options(contains_eager(User.org))
    if form.status.data and not form.status.errors:
        query = query.where(User.status == UserStatus(form.status.data))
    if form.role.data and not form.role.errors:
        query = query.where(User.role == Role(form.role.data))
    org, condition = _org_filter(form)
    if condition is not None:
        query = query.where(condition)
    if form.q.data and not form.q.errors:
        keyword = form.q.data.strip()
        query = query.where(sa.or_(User.name.icontains(keyword, autoescape=True),
                                   User.email.icontains(keyword, autoescape=True)))
    page = _page(query.order_by(User.created_at.desc(), User.id.desc()))
    org_names = db.session.execute(
        sa.select(Organization.name, Organization.short_name).order_by(Organization.name)).all()
    return render_template("admin/users.html", form=form, page=page, org=org, org_names=org_names)


def _org_filter(form: UserFilterForm):
    """(the organisation, the WHERE term) of the organisation filter. ?org_id= comes from
    links on the organisations page (the name field then shows the name); a name typed or
    picked from the list that is exactly one organisation's name or short name means that
    organisation; any other text matches part of the names."""
    if form.org_id.data and not form.org_id.errors and valid_id(form.org_id.data):
        try:
            org = get_by_id(Organization, form.org_id.data)
        except NotFound:
            org = None  # an organisation since deleted: the list is empty
        if org is not None and not form.org.data:
            form.org.data = org.name
        return org, User.org_id == form.org_id.data
    if not form.org.data or form.org.errors or not form.org.data.strip():
        return None, None
    name = form.org.data.strip()
    matches = db.session.scalars(sa.select(Organization).where(
        sa.or_(Organization.name == name, Organization.short_name == name)).limit(2)).all()
    if len(matches) == 1:
        return matches[0], User.org_id == matches[0].id
    return None, sa.or_(Organization.name.icontains(name, autoescape=True),
                        Organization.short_name.icontains(name, autoescape=True))


def _user_page(user: User, status: int = 200, **forms):
    context = dict(reject_form=ReasonForm(prefix="reject", formdata=None),
                   deactivate_form=ReasonForm(prefix="deactivate", formdata=None),
                   role_form=_role_form(user, formdata=None))
    context.update(forms)
    sessions = db.session.scalars(
        sa.select(UserSession).where(UserSession.user_id == user.id)
        .order_by(UserSession.created_at.desc()).limit(5)).all()
    history = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_type == User.__tablename__,
                                    AuditEntry.object_id == user.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(10)).all()
    return render_template("admin/user.html", user=user, sessions=sessions, history=history,
                           **context), status


def _role_form(user: User, **kwargs) -> RoleForm | None:
    roles = accounts.assignable_roles(user)
    if len(roles) < 2:
        return None
    kwargs.setdefault("data", {"role": user.role.value})
    return RoleForm(roles=roles, **kwargs)


@bp.get("/users/<int:user_id>")
def user(user_id):
    return _user_page(_get(User, user_id))


@bp.post("/users/<int:user_id>/approve")
def approve_user(user_id):
    target = _get(User, user_id)
    accounts.verify_user(target, by=current_user)
    db.session.commit()
    flash(_("%(name)s's account is active and was notified.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id):
    target = _get(User, user_id)
    accounts.reactivate_user(target, by=current_user)
    db.session.commit()
    flash(_("%(name)s's account is active again.", name=target.name), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/reject")
def reject_user(user_id):
    target = _get(User, user_id)
    return _with_reason("reject", target, accounts.reject_user, _user_page,
                        _("%(name)s's account request was rejected.", name=target.name),
                        url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id):
    target = _get(User, user_id)
    return _with_reason("deactivate", target, accounts.deactivate_user, _user_page,
                        _("%(name)s's account is deactivated and logged out everywhere.",
                          name=target.name),
                        url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/role")
def change_role(user_id):
    target = _get(User, user_id)
    form = _role_form(target)
    if form is None:
        flash(_("This user's organisation allows only one role."), "warning")
        return redirect(url_for("admin.user", user_id=target.id))
    if not form.validate_on_submit():
        return _user_page(target, 422, role_form=form)
    accounts.set_role(target, Role(form.role.data), by=current_user)
    db.session.commit()
    flash(_("%(name)s is now: %(role)s.", name=target.name, role=label(target.role)), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.route("/users/appoint", methods=["GET", "POST"])
def appoint_admin():
    """A new administrator of the commission: the account is active at once; its owner
    chooses a password through the link e-mailed to them."""
    form = AppointAdminForm()
    if form.validate_on_submit():
        try:
            appointed = accounts.appoint_admin(name=form.name.data, email=form.email.data,
                                               by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s is now an administrator; a link to choose a password was sent to "
                    "%(email)s.", name=appointed.name, email=appointed.email), "success")
            return redirect(url_for("admin.user", user_id=appointed.id))
    status = 422 if form.errors else 200
    return render_template("admin/appoint.html", form=form), status


# ---- audit log -------------------------------------------------------------------------------
def _local_day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def _audit_query():
    """The form of the log's filters (from the query string) and the entries it selects,
    newest first: the page and the Excel export read the same."""
    known = db.session.execute(sa.select(AuditEntry.object_type, AuditEntry.action).distinct()).all()
    form = AuditFilterForm(
        request.args,
        object_types=sorted(({t for t, _a in known}), key=audit.object_label),
        actions=sorted({a for _t, a in known}, key=audit.action_label),
        object_label=audit.object_label, action_label=audit.action_label,
    )
    form.validate()
    query = sa.select(AuditEntry).outerjoin(AuditEntry.actor).options(
        contains_eager(AuditEntry.actor).selectinload(User.org))

    def ok(field):
        return field.data not in (None, "") and not field.errors

    if ok(form.actor):
        actor = form.actor.data.strip()
        query = query.where(sa.or_(User.email.icontains(actor, autoescape=True),
                                   User.name.icontains(actor, autoescape=True)))
    if ok(form.object_type):
        query = query.where(AuditEntry.object_type == form.object_type.data)
    if ok(form.object_id):
        query = query.where(AuditEntry.object_id == form.object_id.data)
    if ok(form.action):
        query = query.where(AuditEntry.action == form.action.data)
    if ok(form.date_from):  # dates are Chengdu days; the log stores UTC
        query = query.where(AuditEntry.at >= _local_day_start(form.date_from.data))
    if ok(form.date_to):
        query = query.where(AuditEntry.at < _local_day_start(form.date_to.data + timedelta(days=1)))
    filters = {name: (str(f.data) if name.startswith("date") else f.data)
               for name, f in form._fields.items() if ok(f)}
    return form, query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()), filters


@bp.get("/audit")
def audit_log():
    form, query, _filters = _audit_query()
    page = _page(query)
    return render_template("admin/audit.html", form=form, page=page, lines=audit.present(page.items),
                           export_args={k: v for k, v in request.args.items() if k != "page"})


@bp.get("/audit.xlsx")
def audit_export():
    """The filtered log as an Excel file (admins only, like the whole area); the export is
    itself an entry of the log."""
    from app.services.exports import audit_xlsx

    _form, query, filters = _audit_query()
    limit = current_app.config.get("AUDIT_EXPORT_MAX", audit.EXPORT_MAX_ENTRIES)
    entries = db.session.scalars(query.limit(limit + 1)).unique().all()
    if len(entries) > limit:
        flash(_("These filters select more than %(max)d entries: narrow them (a shorter period, "
                "one kind of object) and export again.", max=limit), "warning")
        return redirect(url_for(".audit_log", **request.args))
    with force_locale("zh"):  # like every export: in Chinese, the language of the records
        content = audit_xlsx(audit.present(entries), filters_text=audit.display_value(
            "audit_filters", filters, object_type="audit_log", names=None))
    audit.record("audit_log.export", by=current_user, object_type="audit_log",
                 after={"audit_filters": filters, "rows": len(entries)})
    db.session.commit()
    response = send_file(io.BytesIO(content), as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         download_name=f"操作日志_{today():%Y%m%d}.xlsx")
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- background jobs ---------------------------------------------------------------------------
@bp.get("/jobs")
def jobs():
    """The queue as one list whichever backend runs it: queued, running, done and failed
    jobs, newest first, with the error of a failure and its retry button."""
    from app.models import Job, JobStatus
    from app.services import jobs as job_service

    status = next((s for s in JobStatus if s.value == request.args.get("status")), None)
    page = _page(job_service.list_jobs(by=current_user, status=status))
    return render_template("admin/jobs.html", page=page, status=status, JobStatus=JobStatus,
                           counts=job_service.counts(by=current_user), jobs=job_service, Job=Job)


@bp.post("/jobs/<int:job_id>/retry")
def retry_job(job_id):
    from app.models import Job
    from app.services import jobs as job_service

    job = _get(Job, job_id)
    job_service.retry(job, by=current_user)
    db.session.commit()  # the job goes back to the queue once this commits
    flash(_("Job No. %(id)d was sent to run again; its status is shown below.", id=job_id), "success")
    return redirect(url_for("admin.jobs", status=request.args.get("status") or None))
