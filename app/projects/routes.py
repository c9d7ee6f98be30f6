"""Projects: list, create, edit, detail; attachments of projects and needs (download, delete)."""

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import db
from app.forms import save_edit, show_errors, show_refused, validate_all
from app.models import Attachment, NeedStatus, Project
from app.pagination import paginate
from app.projects import bp
from app.projects.forms import ProjectFilterForm, ProjectForm
from app.services import approval, attachments, projects
from app.services.errors import NotFound, ValidationFailed
from app.services.loader import get_visible
from app.services.permissions import can, require
from app.services.search import ProjectFilters, need_counts, search_projects
from app.uploads import receive_upload


# ---- list -----------------------------------------------------------------------------
@bp.get("/projects/")
@login_required
def index():
    filters = ProjectFilters.from_args(request.args)
    form = ProjectFilterForm(formdata=request.args)
    show_refused(form, filters)
    page = paginate(search_projects(current_user, filters), amount_of=Project.total_investment)
    counts = None
    if can(current_user, "count_needs", current_user.org):  # one statement for the whole page
        counts = need_counts(current_user, [p.id for p in page.items])
    return render_template("projects/index.html", form=form, page=page, need_counts=counts,
                           filtered=filters.active)


# ---- create and edit ---------------------------------------------------------------------
@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def create():
    require(current_user, "create_project", current_user.org)
    form = ProjectForm()
    if validate_all(form, projects.validate_project):
        try:
            project = projects.create_project(current_user.org, form.service_data(), by=current_user)
        except ValidationFailed as exc:
            db.session.rollback()
            show_errors(form, exc)
        else:
            db.session.commit()
            flash(_("Project “%(name)s” created.", name=project.name), "success")
            return redirect(url_for("projects.detail", project_id=project.id))
    status = 422 if form.errors else 200
    return render_template("projects/form.html", form=form, project=None), status


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id):
    project = get_visible(Project, project_id, current_user)
    require(current_user, "edit", project)
    if request.method == "GET":
        form = ProjectForm.from_project(projects.project_form_data(project), project.version)
        return render_template("projects/form.html", form=form, project=project,
                               reviewed=approval.has_reviewed_needs(project))
    form = ProjectForm()
    reviewed = [n for n in project.needs if n.status in approval.REVIEWED_STATUSES]
    outcome = save_edit(form, lambda: projects.update_project(
        project, form.service_data(), version=form.version_number(), by=current_user),
        check=lambda data: projects.validate_project(data, project=project))
    if outcome == "saved":
        sent_back = [n for n in reviewed if n.status is NeedStatus.submitted]
        if sent_back:
            flash(_("Project “%(name)s” saved. Because a reviewed field changed, its %(n)d approved "
                    "or listed financing need(s) go back to the administrator for review; the "
                    "administrators have been notified.", name=project.name, n=len(sent_back)),
                  "warning")
        else:
            flash(_("Project “%(name)s” saved.", name=project.name), "success")
        return redirect(url_for("projects.detail", project_id=project.id))
    stale = outcome == "stale"
    status = 409 if stale else 422
    return render_template("projects/form.html", form=form, project=project, stale=stale,
                           reviewed=approval.has_reviewed_needs(project)), status


# ---- detail ------------------------------------------------------------------------------
def render_project(project: Project, *, upload_errors=(), status: int = 200):
    needs = [n for n in project.needs if can(current_user, "view", n)]
    return render_template(
        "projects/detail.html", project=project, needs=needs,
        attachments=attachments.attachments_of(project, user=current_user), upload_errors=upload_errors,
        accept=attachments.ACCEPT,
    ), status


@bp.get("/projects/<int:project_id>")
@login_required
def detail(project_id):
    return render_project(get_visible(Project, project_id, current_user))


# ---- attachments ---------------------------------------------------------------------------
@bp.post("/projects/<int:project_id>/attachments")
@login_required
def upload(project_id):
    project = get_visible(Project, project_id, current_user)
    require(current_user, "attach", project)
    att, errors = receive_upload(project)
    if errors:
        return render_project(project, upload_errors=errors, status=422)
    return redirect(url_for("projects.detail", project_id=project.id, _anchor="attachments"))


def parent_url(att: Attachment) -> str:
    if att.message_id:
        return url_for("interests.detail", interest_id=att.message.interest_id, _anchor="messages")
    if att.project_id:
        return url_for("projects.detail", project_id=att.project_id, _anchor="attachments")
    return url_for("needs.detail", need_id=att.need_id, _anchor="attachments")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id):
    att = get_visible(Attachment, attachment_id, current_user)
    path = attachments.open_attachment(att, by=current_user)
    if not path.is_file():
        raise NotFound()
    return send_file(path, as_attachment=True, download_name=att.filename, mimetype=att.mimetype,
                     max_age=0)


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id):
    att = get_visible(Attachment, attachment_id, current_user)
    target, name = parent_url(att), att.filename
    attachments.delete_attachment(att, by=current_user)
    db.session.commit()
    flash(_("File “%(name)s” deleted.", name=name), "success")
    return redirect(target)
