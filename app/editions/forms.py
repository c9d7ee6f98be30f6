from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from app.forms import Form
from app.models.edition import PERIODS
from app.services.editions import SORTS


class CompileForm(Form):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2100)])
    period = SelectField(_l("Period"), coerce=int,
                         choices=[(p, _l("No. %(period)d (%(first)d–%(last)d)", period=p,
                                         first=2 * p - 1, last=2 * p)) for p in PERIODS])


class AddItemForm(Form):
    need_id = SelectField(_l("Approved or listed need"), coerce=int, validators=[DataRequired()])


class SortForm(Form):
    order = SelectField(_l("Order items by"), choices=list(SORTS.items()))


class JustifyForm(Form):
    code = HiddenField(validators=[DataRequired()])
    reason = StringField(_l("Reason for accepting"), validators=[DataRequired(), Length(max=500)])


class CorrectionForm(Form):
    correction_note = TextAreaField(_l("Correction note (shown on the edition)"),
                                    validators=[DataRequired(), Length(max=2000)])


class SaveSearchForm(Form):
    name = StringField(_l("Name of this search"), validators=[DataRequired(), Length(max=60)])
    email = BooleanField(_l("E-mail me when a new edition has matching items"), default=True)


class SearchEmailForm(Form):
    email = BooleanField(_l("E-mail"))


class SendBackForm(Form):
    """Rendered for its label, asterisk and CSRF token; the comment itself is checked by
    the service (editions.send_back_publication), after who may send back."""

    comment = TextAreaField(_l("What should the requester change?"), validators=[DataRequired()],
                            render_kw={"rows": 2, "maxlength": 2000})
