from flask import redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.notifications import bp
from app.pagination import paginate
from app.services import notifications
from app.services.loader import require_id
from app.urls import local_url


@bp.get("/")
@login_required
def index():
    page = paginate(notifications.inbox(current_user), per_page=20)
    items = [(n, *notifications.render(n.kind, n.params)) for n in page.items]
    return render_template("notifications/index.html", page=page, items=items)


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id):
    notifications.mark_read(current_user, require_id(notification_id))
    db.session.commit()
    return redirect(local_url(request.form.get("next"), url_for("notifications.index")))


@bp.post("/read-all")
@login_required
def read_all():
    notifications.mark_read(current_user)
    db.session.commit()
    return redirect(url_for("notifications.index"))
