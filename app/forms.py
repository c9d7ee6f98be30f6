"""Form helpers shared by every area: the base form, whose built-in messages come from
our own catalog; the checkbox group; running a form's checks and its service's checks in
one pass; saving an edit form."""

from collections.abc import Callable

import wtforms
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectMultipleField, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.extensions import db
from app.services import phone
from app.services.errors import StaleEdit, ValidationFailed
from app.services.validation import CONTROL_CHARACTERS, NO_CONTROL_CHARACTERS

REQUIRED = _l("This field is required.")
EMAIL_RULE = _l("Enter a valid e-mail address, e.g. name@example.cn.")

# The messages WTForms' fields and validators produce themselves, listed here so that our
# catalog translates them (in our words, with our wording for "required") instead of
# WTForms' own catalog ("无效的 Email 地址"). Form.Meta looks them up in app/translations.
WTFORMS_MESSAGES = (
    REQUIRED,
    _l("Invalid email address."),
    _l("Invalid input."),
    _l("Not a valid choice."),
    _l("Invalid Choice: could not coerce."),
    _l("'%(value)s' is not a valid choice for this field."),
    _l("'%(value)s' are not valid choices for this field."),
    _l("Not a valid date value."),
    _l("Not a valid datetime value."),
    _l("Not a valid decimal value."),
    _l("Not a valid float value."),
    _l("Not a valid integer value."),
    _l("Number must be at least %(min)s."),
    _l("Number must be at most %(max)s."),
    _l("Number must be between %(min)s and %(max)s."),
    _l("Field must be equal to %(other_name)s."),
    _l("Field must be at least %(min)d character long."),
    _l("Field must be at least %(min)d characters long."),
    _l("Field cannot be longer than %(max)d character."),
    _l("Field cannot be longer than %(max)d characters."),
    _l("Field must be exactly %(max)d character long."),
    _l("Field must be exactly %(max)d characters long."),
    _l("Field must be between %(min)d and %(max)d characters long."),
)


class _OurMessages:
    """WTForms' translations interface, answered from the application's catalog.

    Chinese has one plural form: the singular is used for n == 1 only because English
    needs it; WTForms formats the placeholders itself."""

    def gettext(self, string):
        return get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return get_translations().ugettext(singular if n == 1 else plural)


OUR_MESSAGES = _OurMessages()


class Form(FlaskForm):
    """The base of every form of the site. Text with control characters is refused on
    every field except passwords, which are only ever hashed."""

    class Meta:
        def get_translations(self, form):
            return OUR_MESSAGES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if (isinstance(field.data, str) and field.type != "PasswordField"
                    and CONTROL_CHARACTERS.search(field.data)):
                field.errors = [*field.errors, NO_CONTROL_CHARACTERS]
                valid = False
        return valid


class FilterForm(wtforms.Form):
    """The base of filter forms read from a query string: no CSRF token."""

    class Meta:
        def get_translations(self, form):
            return OUR_MESSAGES


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a group of checkboxes (_macros.field renders it)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def show_errors(form: FlaskForm, exc: ValidationFailed, *, keep_field_errors: bool = False) -> None:
    """Attach a service's field errors to the form, so the page shows them in place and
    keeps what the user typed. Errors on fields the form lacks go to form.form_errors.

    With keep_field_errors, a field the form itself already refused keeps only the form's
    messages: the service saw no usable value there (an amount that is not a number
    arrives as None and would be reported "required" a second time)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name, None)
        if keep_field_errors and field is not None and field.errors:
            continue
        target = field.errors if field is not None else form.form_errors
        if isinstance(target, tuple):
            target = list(target)
            if field is not None:
                field.errors = target
        for message in messages:
            if str(message) not in target:
                target.append(str(message))


def validate_all(form: FlaskForm, check: Callable[[dict], None]) -> bool:
    """Validate a submitted form in one pass: the form's own field checks and the
    service's rules (`check(form.service_data())`, which raises ValidationFailed), so the
    user sees every problem at once, each under its field. Returns whether both passed."""
    if not form.is_submitted():
        return False
    valid = form.validate()
    try:
        check(form.service_data())
    except ValidationFailed as exc:
        show_errors(form, exc, keep_field_errors=True)
        valid = False
    return valid


def save_edit(form: FlaskForm, save: Callable[[], object],
              check: Callable[[dict], None] | None = None) -> str | None:
    """Run `save` (a service call) for a valid submitted form and commit it.

    `check`, the service's validation, runs with the form's own validators (validate_all),
    so that a refused form shows every problem at once.
    Returns "saved"; "invalid" (the service refused the input: its errors are on the form);
    "stale" (someone else changed the object since the form was opened); or None when the
    form itself did not validate. Nothing is kept of a refused save."""
    if check is not None:
        if not validate_all(form, check):
            return None
    elif not form.validate_on_submit():
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


def valid_phone(form, field) -> None:
    """A mobile or landline number (services.phone); empty input is for Optional/required."""
    if (field.data or "").strip() and not phone.is_valid(field.data):
        raise ValidationError(phone.RULE)


def show_refused(form, filters) -> None:
    """Put a filter object's refusals (services/search) under the list form's fields; the
    form keeps what was typed, and the page's filter_errors names what was not applied."""
    for name, messages in filters.errors.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = list(messages)
