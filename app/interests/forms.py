"""Interest forms: input types and formats only; the rules are in services.interests."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from app import reference
from app.forms import Form
from app.models import InterestStatus, RejectionReason
from app.reference import Instrument
from app.services.formatting import money
from app.services.search.interests import SORT_LABELS, STATE_LABELS, VALIDITY_LABELS


def _enum(enum_cls, value):
    known = {e.value: e for e in enum_cls}
    return known.get(value, value or None)


class InterestForm(Form):
    instrument = SelectField(_l("Financing instrument"), validators=[InputRequired()])
    product_name = StringField(_l("Product"), validators=[Optional(), Length(max=120)])
    amount = DecimalField(_l("Indicative amount (万元)"), places=2, validators=[InputRequired()])
    rate = DecimalField(_l("Rate (% a year)"), places=2, validators=[Optional()])
    term_months = IntegerField(_l("Term (months)"), validators=[Optional()])
    conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=2000)])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    message = TextAreaField(_l("Message to the owner"), validators=[Optional(), Length(max=2000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.instrument.choices = [("", "")] + reference.choices(Instrument)

    def service_data(self) -> dict:
        return {"instrument": _enum(Instrument, self.instrument.data), "product_name": self.product_name.data,
                "amount": self.amount.data, "rate": self.rate.data, "term_months": self.term_months.data,
                "conditions": self.conditions.data, "valid_until": self.valid_until.data,
                "message": self.message.data}

    def version_number(self) -> int | None:
        try:
            return int(self.version.data) if self.version.data else None
        except ValueError:
            return None


class NoteForm(Form):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, step: str | None = None, **kwargs):
        """`step` names the field's id (contact-note), so that the page's several note
        forms keep their labels apart; the submitted name stays "note"."""
        super().__init__(*args, **kwargs)
        if step:
            self.note.id = self.note.label.field_id = f"{step}-note"


class DeclineForm(Form):
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)])


class RejectForm(Form):
    reason = SelectField(_l("Reason"), validators=[InputRequired()])
    note = TextAreaField(_l("Explanation"), validators=[Optional(), Length(max=2000)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", "")] + reference.choices(RejectionReason)


class CreditForm(Form):
    credit_amount = DecimalField(_l("Credit amount (万元)"), places=2, validators=[InputRequired()])
    credit_date = DateField(_l("Credit date"), validators=[InputRequired()])
    credit_conditions = TextAreaField(_l("Conditions"), validators=[Optional(), Length(max=2000)])


class DisbursementForm(Form):
    amount = DecimalField(_l("Amount disbursed (万元)"), places=2, validators=[InputRequired()])
    disbursed_on = DateField(_l("Disbursement date"), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=200)])


class MessageForm(Form):
    body = TextAreaField(_l("Message"), validators=[Optional(), Length(max=4000)])


class CloseForm(Form):
    partly = BooleanField(_l("Partly financed"))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class InterestFilterForm(Form):
    """The workspace's filters (services/search/interests.py reads them). The need and
    institution lists are the ones the reader's visible interests are in: given by the view,
    and left out of the page when it gives none."""

    class Meta:
        csrf = False

    q = StringField(_l("Project name or code"), validators=[Optional(), Length(max=100)])
    status = SelectField(_l("Status"), validators=[Optional()])
    state = SelectField(_l("Deal stage"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    instrument = SelectField(_l("Instrument"), validators=[Optional()])
    validity = SelectField(_l("Validity"), validators=[Optional()])
    need_id = SelectField(_l("Financing need"), validators=[Optional()])
    org_id = SelectField(_l("Institution"), validators=[Optional()])
    action = BooleanField(_l("Waiting for us"))
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, *args, needs=(), institutions=(), **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _l("All"))]
        self.status.choices = every + reference.choices(InterestStatus)
        self.state.choices = every + [(k, str(v)) for k, v in STATE_LABELS.items()]
        self.district.choices = every + reference.district_choices()
        self.instrument.choices = every + reference.choices(Instrument)
        self.validity.choices = every + [(k, str(v)) for k, v in VALIDITY_LABELS.items()]
        self.need_id.choices = every + [(str(i), f"{name} · {money(amount)}") for i, name, amount in needs]
        self.org_id.choices = every + [(str(i), name) for i, name in institutions]
        self.sort.choices = [(k, str(v)) for k, v in SORT_LABELS.items()]
