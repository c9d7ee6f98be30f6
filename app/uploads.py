"""Receiving a file uploaded to a project's or a need's page (both pages post the same
form): read within the size limit, stored by services/attachments.py, committed."""

from flask import current_app, flash, request
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.services import attachments
from app.services.errors import ValidationFailed


def receive_upload(parent):
    """Store the uploaded `file` on parent. Returns the attachment, or the list of
    errors to show (nothing is stored then)."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return None, [_("Choose a file to upload.")]
    # Read one byte more than allowed, so that an oversize file is recognised as such.
    data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
    try:
        att = attachments.add_attachment(parent, upload.filename, data, by=current_user)
    except ValidationFailed as exc:
        db.session.rollback()
        return None, exc.messages()
    db.session.commit()
    flash(_("File “%(name)s” uploaded.", name=att.filename), "success")
    return att, []
