"""Form helpers shared by every area."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from app.services.errors import ValidationFailed


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
