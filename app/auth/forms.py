from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from app import reference
from app.forms import EMAIL_RULE, Form, valid_phone
from app.reference import OrgKind
from app.services import credit_code

PASSWORD_RULE = _l("Use between 8 and 128 characters.")


def valid_credit_code(form, field):
    problem = credit_code.problem(field.data or "")
    if problem == "length":
        raise ValidationError(_l("A unified social credit code has exactly 18 characters."))
    if problem == "characters":
        raise ValidationError(_l("This code contains characters a unified social credit code cannot "
                                 "have (only digits and capital letters except I, O, S, V and Z)."))
    if problem == "check":
        raise ValidationError(_l("The last character (the check character) does not match: "
                                 "please check the code for typing errors."))


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(message=EMAIL_RULE)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])


class RegisterForm(Form):
    mode = RadioField(_l("I want to"), choices=[
        ("new", _l("Register a new organisation")),
        ("join", _l("Join an organisation already registered")),
    ], default="new")
    credit_code = StringField(_l("Unified social credit code"),
                              validators=[DataRequired(), valid_credit_code],
                              filters=[credit_code.normalize])
    # Required only for a new organisation (validate_org_name / validate_org_kind); no
    # Optional() here, it would stop those checks for empty input.
    org_name = StringField(_l("Organisation name"), validators=[Length(max=120)])
    org_kind = SelectField(_l("Organisation type"), choices=[])
    district_code = SelectField(_l("District"), choices=[], validators=[Optional()])
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), valid_phone])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(message=EMAIL_RULE), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=8, max=128, message=PASSWORD_RULE)])
    password2 = PasswordField(_l("Repeat password"),
                              validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])
    agree = BooleanField(_l("I confirm that the information is true and that I am authorised "
                            "by my organisation."), validators=[DataRequired()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.org_kind.choices = [("", "—")] + [
            (k.value, reference.label(k)) for k in OrgKind if k is not OrgKind.government]
        self.district_code.choices = [("", "—")] + reference.district_choices()

    def validate_org_name(self, field):
        if self.mode.data == "new" and not (field.data or "").strip():
            raise ValidationError(_l("This field is required."))

    def validate_org_kind(self, field):
        if self.mode.data == "new" and not field.data:
            raise ValidationError(_l("This field is required."))


class ForgotForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Email(message=EMAIL_RULE)])


class ResetForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128, message=PASSWORD_RULE)])
    password2 = PasswordField(_l("Repeat password"),
                              validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])


class ProfileForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40), valid_phone])
    title = StringField(_l("Position"), validators=[Optional(), Length(max=60)])
    locale = SelectField(_l("Language"), choices=[("zh", "中文"), ("en", "English")])


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=128, message=PASSWORD_RULE)])
    password2 = PasswordField(_l("Repeat new password"),
                              validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))])
    keep_tokens = BooleanField(_l("Keep my API tokens"))


class TokenForm(Form):
    name = StringField(_l("Token name"), validators=[DataRequired(), Length(max=60)])
