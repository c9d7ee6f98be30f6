"""Admin forms: filters (read from the query string) and the reasons and roles that go
with verification decisions."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from app import reference
from app.forms import EMAIL_RULE, FilterForm, Form
from app.models import OrgStatus, Role, UserStatus
from app.reference import OrgKind
from app.services.params import MAX_ID

# Plain wtforms forms are not translated by Flask-WTF: the message is the platform's own.
OUT_OF_RANGE = _l("Enter a number from %(min)d to %(max)d.")


def _any(choices):
    return [("", _l("All"))] + list(choices)


class OrgFilterForm(FilterForm):
    """GET filters: no CSRF token, invalid values are simply ignored."""

    status = SelectField(_l("Status"), validators=[Optional()])
    kind = SelectField(_l("Type"), validators=[Optional()])
    q = StringField(_l("Name or credit code"), validators=[Optional(), Length(max=120)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _any(reference.choices(OrgStatus))
        self.kind.choices = _any(reference.choices(OrgKind))


class UserFilterForm(FilterForm):
    status = SelectField(_l("Status"), validators=[Optional()])
    role = SelectField(_l("Role"), validators=[Optional()])
    # Picked by name from a list of the organisations (a datalist on the page); links from
    # the organisations page still carry ?org_id=.
    org = StringField(_l("Organisation"), validators=[Optional(), Length(max=120)],
                      render_kw={"list": "org-names", "autocomplete": "off"})
    org_id = IntegerField(_l("Organisation ID"), validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=OUT_OF_RANGE)])
    q = StringField(_l("Name or e-mail"), validators=[Optional(), Length(max=120)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = _any(reference.choices(UserStatus))
        self.role.choices = _any(reference.choices(Role))


class AuditFilterForm(FilterForm):
    actor = StringField(_l("Actor (name or e-mail)"), validators=[Optional(), Length(max=254)])
    object_type = SelectField(_l("Object type"), validators=[Optional()])
    object_id = IntegerField(_l("Object ID"), validators=[Optional(), NumberRange(min=1, max=MAX_ID, message=OUT_OF_RANGE)])
    action = SelectField(_l("Action"), validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, *args, object_types=(), actions=(), object_label=str, action_label=str, **kwargs):
        super().__init__(*args, **kwargs)
        self.object_type.choices = _any((t, object_label(t)) for t in object_types)
        self.action.choices = _any((a, action_label(a)) for a in actions)


class ReasonForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=1000)],
                           render_kw={"rows": 2})


class RoleForm(Form):
    role = SelectField(_l("Role"), validators=[DataRequired()])

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(r.value, reference.label(r)) for r in roles]


class AppointAdminForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(message=EMAIL_RULE), Length(max=254)])
