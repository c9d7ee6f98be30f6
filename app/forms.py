"""Form helpers shared by every area."""

from collections.abc import Callable

from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from app.extensions import db
from app.services.errors import StaleEdit, ValidationFailed


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a group of checkboxes (_macros.field renders it)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_errors(form: FlaskForm, exc: ValidationFailed) -> None:
    """Attach a service's field errors to the form, so the page shows them in place and
    keeps what the user typed. Errors on fields the form lacks go to form.form_errors."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = list(target)
            if field is not None:
                field.errors = target
        target.extend(str(m) for m in messages)


def save_edit(form: FlaskForm, save: Callable[[], object]) -> str | None:
    """Run `save` (a service call) for a valid submitted form and commit it.

    Returns "saved"; "invalid" (the service refused the input: its errors are on the form);
    "stale" (someone else changed the object since the form was opened); or None when the
    form itself did not validate. Nothing is kept of a refused save."""
    if not form.validate_on_submit():
        return None
    try:
        save()
    except ValidationFailed as exc:
        db.session.rollback()
        show_errors(form, exc)
        return "invalid"
    except (StaleEdit, StaleDataError):
        db.session.rollback()
        return "stale"
    db.session.commit()
    return "saved"
