"""What the editions modules share: compared fields, export formats, sorts."""



from flask_babel import lazy_gettext as _l

from app.reference import Level

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
# Fields compared in the changelog (everything but the position and the marker).
COMPARED_FIELDS = (
    "project_name", "owner_org", "level", "category", "industry_code", "district_code", "zone_code",
    "stage", "reserve_substage", "total_investment", "annual_planned_investment", "amount",
    "funds_secured", "instruments", "term_months", "cost_ceiling", "use_of_funds",
    "credit_enhancements", "planned_start", "planned_completion", "description", "is_priority",
    "contact_name", "contact_phone", "contact_email",
)
EXPORT_FORMATS = ("pdf", "xlsx", "csv", "json")
MIME_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
}

# Orders an admin can give a draft (renumbers seq) and readers can sort a page by.
LEVEL_ORDER = {lv.value: i for i, lv in enumerate(Level)}
SORTS = {
    "level": _l("Level, then district and amount"),
    "district": _l("District, then amount"),
    "amount": _l("Amount, largest first"),
    "category": _l("Category, then amount"),
    "industry": _l("Industry, then amount"),
}

