from flask_smorest import Blueprint

from app.api.auth import authenticate, current_user
from app.api.pagination import paginate
from app.api.schemas import (
    PROJECT_INPUT_FIELDS,
    ProjectFilterSchema,
    ProjectInputSchema,
    ProjectPatchSchema,
    ProjectSchema,
    filters_or_422,
    page_schema,
)
from app.extensions import db
from app.models import Project
from app.services import projects
from app.services.loader import get_visible
from app.services.search import ProjectFilters, search_projects

bp = Blueprint("api_projects", __name__, url_prefix="/projects", description="Key projects")
bp.before_request(authenticate)

ProjectPageSchema = page_schema(ProjectSchema, "ProjectPage")


@bp.get("")
@bp.arguments(ProjectFilterSchema, location="query", as_kwargs=True)
@bp.response(200, ProjectPageSchema)
def list_projects(page, per_page, **args):
    """Projects the caller may see, last changed first: the filters and orders of the
    site's project list."""
    return paginate(search_projects(current_user(), filters_or_422(ProjectFilters, args)),
                    page=page, per_page=per_page)


@bp.get("/<int:project_id>")
@bp.response(200, ProjectSchema)
def get_project(project_id):
    """One project."""
    return get_visible(Project, project_id, current_user())


@bp.post("")
@bp.arguments(ProjectInputSchema)
@bp.response(201, ProjectSchema)
def create_project(data):
    """Create a project of the caller's organisation (project owners)."""
    user = current_user()
    project = projects.create_project(user.org, data, by=user)
    db.session.commit()
    return project


@bp.patch("/<int:project_id>")
@bp.arguments(ProjectPatchSchema(partial=PROJECT_INPUT_FIELDS))
@bp.response(200, ProjectSchema)
def update_project(data, project_id):
    """Change some fields of a project. `version` is the one you read: if the project
    changed since, nothing is saved and the answer is 409 stale_edit."""
    project = get_visible(Project, project_id, current_user())
    version = data.pop("version")
    merged = {**projects.project_form_data(project), **data}
    projects.update_project(project, merged, version=version, by=current_user())
    db.session.commit()
    return project
