"""Preference profile, recommendation filters and invitation forms: input types only; the
rules are in services.preferences and services.recommendations."""

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from app import reference
from app.forms import FilterForm, Form, MultiCheckboxField
from app.reference import Instrument, Level


def place_choices() -> list[tuple[str, str]]:
    """The 20 区(市)县 and the three functional zones."""
    return reference.district_choices() + reference.zone_choices()


class PreferenceForm(Form):
    industries = MultiCheckboxField(_l("Industries"))
    districts = MultiCheckboxField(_l("Districts and functional zones"))
    instruments = MultiCheckboxField(_l("Financing instruments"))
    levels = MultiCheckboxField(_l("Project levels"))
    amount_min = DecimalField(_l("Smallest amount (万元)"), places=2, validators=[Optional()])
    amount_max = DecimalField(_l("Largest amount (万元)"), places=2, validators=[Optional()])
    term_min = IntegerField(_l("Shortest term (months)"), validators=[Optional()])
    term_max = IntegerField(_l("Longest term (months)"), validators=[Optional()])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.industries.choices = reference.industry_choices()
        self.districts.choices = place_choices()
        self.instruments.choices = reference.choices(Instrument)
        self.levels.choices = reference.choices(Level)

    @classmethod
    def from_profile(cls, data: dict, version: int) -> "PreferenceForm":
        return cls(data={**data, "version": version})

    def service_data(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "industries", "districts", "instruments", "levels", "amount_min", "amount_max",
            "term_min", "term_max")}

    def version_number(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return 0


class RecommendationFilterForm(FilterForm):
    district = SelectField(_l("District"), validators=[Optional()])
    industry = SelectField(_l("Industry"), validators=[Optional()])
    instrument = SelectField(_l("Financing instrument"), validators=[Optional()])
    min_score = IntegerField(_l("Minimum score"), validators=[Optional(), NumberRange(min=0, max=100)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        anything = [("", _l("Any"))]
        self.district.choices = anything + place_choices()
        self.industry.choices = anything + reference.industry_choices()
        self.instrument.choices = anything + reference.choices(Instrument)


class InvitationForm(Form):
    org_id = HiddenField()
    message = TextAreaField(_l("Message to the institution"), validators=[Optional(), Length(max=1000)])
