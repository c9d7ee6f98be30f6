import sqlalchemy as sa
from flask_smorest import Blueprint
from sqlalchemy.orm import joinedload

from app.api.auth import authenticate, current_user
from app.api.pagination import paginate
from app.api.schemas import (
    PROJECT_INPUT_FIELDS,
    ProjectFilterSchema,
    ProjectInputSchema,
    ProjectPatchSchema,
    ProjectSchema,
    page_schema,
)
from app.extensions import db
from app.models import Project
from app.services import projects
from app.services.loader import get_visible
from app.services.permissions import visible_projects

bp = Blueprint("api_projects", __name__, url_prefix="/projects", description="Key projects")
bp.before_request(authenticate)

ProjectPageSchema = page_schema(ProjectSchema, "ProjectPage")


@bp.get("")
@bp.arguments(ProjectFilterSchema, location="query", as_kwargs=True)
@bp.response(200, ProjectPageSchema)
def list_projects(page, per_page, level=None, category=None, district=None, stage=None,
                  industry=None, q=None):
    """Projects the caller may see, newest first."""
    query = visible_projects(current_user())
    for column, value in ((Project.level, level), (Project.category, category),
                          (Project.district_code, district), (Project.stage, stage),
                          (Project.industry_code, industry)):
        if value is not None:
            query = query.where(column == value)
    if q and q.strip():
        q = q.strip()
        query = query.where(sa.or_(Project.name.icontains(q, autoescape=True),
                                   Project.code.icontains(q, autoescape=True)))
    query = query.order_by(Project.id.desc())
    return paginate(query, page=page, per_page=per_page, options=[joinedload(Project.org)])


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
