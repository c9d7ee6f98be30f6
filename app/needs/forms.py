"""Financing need forms: input types and formats only; the rules are in services.needs."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from app import reference
from app.forms import EMAIL_RULE, Form, MultiCheckboxField, valid_phone
from app.models import NeedStatus
from app.reference import CreditEnhancement, Instrument, Level
from app.services.search.needs import SORT_LABELS


def _enums(enum_cls, values) -> list:
    """The chosen values as enums; one not in the list stays a string, for the service to
    refuse beside the form's own message."""
    known = {e.value: e for e in enum_cls}
    return [known.get(v, v) for v in values or []]


class NeedForm(Form):
    # Ranges, decimals and the rules between fields are services.needs' (validate_need),
    # shown with the form's own messages in one pass (app.forms.validate_all).
    amount = DecimalField(_l("Amount sought (万元)"), places=2, validators=[InputRequired()])
    instruments = MultiCheckboxField(_l("Financing instruments"), validators=[
        DataRequired(message=_l("Choose at least one financing instrument."))])
    term_months = IntegerField(_l("Term (months)"), validators=[InputRequired()])
    cost_ceiling = DecimalField(_l("Acceptable cost ceiling (% a year)"), places=2,
                                validators=[Optional()])
    use_of_funds = TextAreaField(_l("Use of funds"), validators=[DataRequired(), Length(max=2000)])
    credit_enhancements = MultiCheckboxField(_l("Credit enhancement offered"))
    funds_secured = DecimalField(_l("Financing already in place (万元)"), places=2,
                                 validators=[Optional()])
    contact_name = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=60)])
    contact_phone = StringField(_l("Contact phone"),
                                validators=[DataRequired(), Length(max=40), valid_phone])
    contact_email = EmailField(_l("Contact e-mail"),
                               validators=[Optional(), Email(message=EMAIL_RULE), Length(max=254)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instruments.choices = reference.choices(Instrument)
        self.credit_enhancements.choices = reference.choices(CreditEnhancement)

    @classmethod
    def from_need(cls, data: dict, version: int) -> "NeedForm":
        """The form for editing, filled from services.needs.need_form_data()."""
        values = dict(data)
        values["instruments"] = [i.value for i in data["instruments"]]
        values["credit_enhancements"] = [e.value for e in data["credit_enhancements"]]
        values["version"] = version
        return cls(data=values)

    def service_data(self) -> dict:
        return {
            "amount": self.amount.data,
            "instruments": _enums(Instrument, self.instruments.data),
            "term_months": self.term_months.data,
            "cost_ceiling": self.cost_ceiling.data,
            "use_of_funds": self.use_of_funds.data or "",
            "credit_enhancements": _enums(CreditEnhancement, self.credit_enhancements.data),
            "funds_secured": self.funds_secured.data,
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "contact_email": self.contact_email.data,
        }

    def version_number(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return 0


class NeedFilterForm(Form):
    """The need list's filters as a form, for showing them; services.search.NeedFilters
    reads and checks them (the API reads the same ones)."""

    class Meta:
        csrf = False

    SORTS = ("updated", "newest", "amount_desc", "amount_asc")

    q = StringField(_l("Project name or code"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    instrument = SelectField(_l("Instrument"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    level = SelectField(_l("Level"), validators=[Optional()])
    min_amount = StringField(_l("Amount from (10k yuan)"), render_kw={"inputmode": "decimal"})
    max_amount = StringField(_l("Amount to (10k yuan)"), render_kw={"inputmode": "decimal"})
    project_id = HiddenField(_l("Project"))
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = ("", _l("All"))
        self.status.choices = [everything, *reference.choices(NeedStatus)]
        self.instrument.choices = [everything, *reference.choices(Instrument)]
        self.district.choices = [everything, *reference.district_choices()]
        self.level.choices = [everything, *reference.choices(Level)]
        self.sort.choices = [(name, SORT_LABELS[name]) for name in self.SORTS]


class ReviewFilterForm(NeedFilterForm):
    SORTS = ("submitted", "updated", "newest", "amount_desc", "amount_asc")

    q = StringField(_l("Project, code or owner"), validators=[Optional(), Length(max=100)])
    submitted_from = DateField(_l("Submitted from"), validators=[Optional()])
    submitted_to = DateField(_l("Submitted until"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [c for c in self.status.choices if c[0] != NeedStatus.draft.value]


class ReturnForm(Form):
    # The review page shows three comment boxes: each needs an id of its own for its label.
    comment = TextAreaField(_l("What should the owner change?"), validators=[Length(max=2000)],
                            id="return-comment")


class CommentForm(Form):
    comment = TextAreaField(_l("Comment (optional)"), validators=[Optional(), Length(max=2000)],
                            id="approve-comment")


class WithdrawForm(Form):
    comment = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)],
                            id="withdraw-comment")


class ReplyForm(Form):
    """Resubmitting after a return: the owner's answer to the reviewer (optional)."""

    reply = TextAreaField(_l("Reply to the reviewer (optional)"), validators=[Optional(), Length(max=2000)],
                          id="reply",
                          description=_l("Say what you changed in answer to the return comment: "
                                         "the reviewer reads it beside the comment."))
