"""Project forms: input types and formats only; the project's rules are in services.projects."""

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app import reference
from app.forms import Form
from app.reference import Category, Level, ReserveSubstage, Stage
from app.services.search.projects import SORT_LABELS

NONE_CHOICE = ("", "—")


def _enum_or_none(enum_cls, value):
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


class ProjectForm(Form):
    name = StringField(_l("Project name"), validators=[DataRequired(), Length(max=120)])
    code = StringField(_l("Project code"), validators=[DataRequired(), Length(max=24)],
                       description=_l("National investment project code, e.g. 2024-510112-48-01-012345"))
    level = SelectField(_l("Level"), validators=[DataRequired()])
    category = SelectField(_l("Category"), validators=[DataRequired()])
    industry_code = SelectField(_l("Industry"), validators=[DataRequired()])
    district_code = SelectField(_l("District"), validators=[DataRequired()])
    zone_code = SelectField(_l("Functional zone"), validators=[Optional()])
    # Ranges and decimals of amounts are checked by services.validation (check_money), shown
    # with the form's own messages in one pass (app.forms.validate_all).
    total_investment = DecimalField(_l("Total investment (万元)"), places=2,
                                    validators=[InputRequired()])
    annual_planned_investment = DecimalField(_l("Annual planned investment (万元)"), places=2,
                                             validators=[InputRequired()])
    stage = SelectField(_l("Stage"), validators=[DataRequired()])
    reserve_substage = SelectField(_l("Reserve sub-stage"), validators=[Optional()])
    planned_start = DateField(_l("Planned start"), validators=[Optional()])
    planned_completion = DateField(_l("Planned completion"), validators=[Optional()])
    actual_start = DateField(_l("Actual start"), validators=[Optional()])
    actual_completion = DateField(_l("Actual completion"), validators=[Optional()])
    is_priority = BooleanField(_l("Priority project (重点推进)"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    version = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.level.choices = [NONE_CHOICE, *reference.choices(Level)]
        self.category.choices = [NONE_CHOICE, *reference.choices(Category)]
        self.industry_code.choices = [NONE_CHOICE, *reference.industry_choices()]
        self.district_code.choices = [NONE_CHOICE, *reference.district_choices()]
        self.zone_code.choices = [NONE_CHOICE, *reference.zone_choices()]
        self.stage.choices = [NONE_CHOICE, *reference.choices(Stage)]
        self.reserve_substage.choices = [NONE_CHOICE, *reference.choices(ReserveSubstage)]

    @classmethod
    def from_project(cls, data: dict, version: int) -> "ProjectForm":
        """The form for editing, filled from services.projects.project_form_data()."""
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in data.items()}
        values["version"] = version
        return cls(data=values)

    def service_data(self) -> dict:
        """The form's input as services.projects expects it (enums, Decimals, dates)."""
        return {
            "name": self.name.data, "code": self.code.data,
            "level": _enum_or_none(Level, self.level.data),
            "category": _enum_or_none(Category, self.category.data),
            "industry_code": self.industry_code.data,
            "district_code": self.district_code.data,
            "zone_code": self.zone_code.data or None,
            "total_investment": self.total_investment.data,
            "annual_planned_investment": self.annual_planned_investment.data,
            "stage": _enum_or_none(Stage, self.stage.data),
            "reserve_substage": _enum_or_none(ReserveSubstage, self.reserve_substage.data),
            "planned_start": self.planned_start.data,
            "planned_completion": self.planned_completion.data,
            "actual_start": self.actual_start.data,
            "actual_completion": self.actual_completion.data,
            "is_priority": self.is_priority.data,
            "description": self.description.data or "",
        }

    def version_number(self) -> int:
        try:
            return int(self.version.data)
        except (TypeError, ValueError):
            return 0


class ProjectFilterForm(Form):
    """The project list's filters as a form, for showing them; services.search.ProjectFilters
    reads and checks them (the API reads the same ones)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name or code"), validators=[Optional(), Length(max=100)])
    level = SelectField(_l("Level"), validators=[Optional()])
    category = SelectField(_l("Category"), validators=[Optional()])
    district = SelectField(_l("District"), validators=[Optional()])
    stage = SelectField(_l("Stage"), validators=[Optional()])
    industry = SelectField(_l("Industry"), validators=[Optional()])
    sort = SelectField(_l("Sort by"), validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        everything = ("", _l("All"))
        self.level.choices = [everything, *reference.choices(Level)]
        self.category.choices = [everything, *reference.choices(Category)]
        self.district.choices = [everything, *reference.district_choices()]
        self.stage.choices = [everything, *reference.choices(Stage)]
        self.industry.choices = [everything, *reference.industry_choices()]
        self.sort.choices = list(SORT_LABELS.items())
