"""What the audit log calls things: objects, actions, fields, checks and formats."""

from flask_babel import lazy_gettext as _l

from app.models import TRANSITIONS
from app.reference import label

OBJECT_LABELS = {
    "organization": _l("Organisation"),
    "user": _l("User"),
    "project": _l("Project"),
    "financing_need": _l("Financing need"),
    "attachment": _l("Attachment"),
    "api_token": _l("API token"),
    "edition": _l("List edition"),
    "edition_item": _l("Edition item"),
    "saved_search": _l("Saved search"),
    "audit_log": _l("Audit log"),
    "system": _l("System"),
    "job": _l("Background job"),
    "preference_profile": _l("Preference profile"),
    "invitation": _l("Push to an institution"),
    "interest": _l("Financing interest"),
    "follow": _l("Follow"),
}

ACTION_LABELS = {
    "organization.register": _l("Registered the organisation"),
    "organization.create": _l("Created the organisation"),
    "user.register": _l("Registered"),
    "user.request_join": _l("Asked to join the organisation"),
    "user.create": _l("Created the account"),
    "user.login": _l("Logged in"),
    "user.login_failed": _l("Failed login"),
    "user.locked": _l("Locked after failed logins"),
    "user.register_attempt": _l("Someone tried to register with the address"),
    "user.profile": _l("Changed the profile"),
    "user.role": _l("Changed the role"),
    "user.appoint": _l("Appointed an administrator"),
    "user.password_changed": _l("Changed the password"),
    "user.password_reset_requested": _l("Asked for a password reset"),
    "user.password_reset": _l("Reset the password"),
    "api_token.create": _l("Created an API token"),
    "api_token.revoke": _l("Revoked an API token"),
    "project.create": _l("Created the project"),
    "project.update": _l("Edited the project"),
    "financing_need.create": _l("Created the financing need"),
    "financing_need.update": _l("Edited the financing need"),
    "financing_need.delete": _l("Deleted the draft financing need"),
    "financing_need.view_contact": _l("Viewed the contact details"),
    "attachment.add": _l("Uploaded an attachment"),
    "attachment.delete": _l("Deleted an attachment"),
    "edition.compile": _l("Opened the edition for compiling"),
    "edition.add_item": _l("Added an item"),
    "edition.remove_item": _l("Removed an item"),
    "edition.sort": _l("Reordered the items"),
    "edition.justify": _l("Justified a readiness flag"),
    "edition.request_publication": _l("Asked for publication"),
    "edition.send_back": _l("Sent the publication request back"),
    "edition.correct": _l("Opened a correction"),
    "edition_item.view_contact": _l("Viewed the contact details"),
    "saved_search.create": _l("Saved a search"),
    "saved_search.delete": _l("Deleted a saved search"),
    "edition.export_contacts": _l("Downloaded a selection with contact details"),
    "audit_log.export": _l("Exported the audit log"),
    "interest.export": _l("Exported financing interests"),
    "job.retry": _l("Retried a background job"),
    "preference_profile.update": _l("Saved the preference profile"),
    "invitation.create": _l("Pushed a financing need to an institution"),
    "job.interrupted": _l("Released a background job its worker left unfinished"),
    "interest.create": _l("Expressed a financing interest"),
    "interest.update": _l("Updated the financing interest"),
    "interest.reconfirm": _l("Re-confirmed the financing interest"),
    "interest.reconfirm_requested": _l("Asked to re-confirm after a change of the need"),
    "interest.credit": _l("Recorded the credit approval"),
    "interest.disburse": _l("Recorded a disbursement"),
    "interest.message": _l("Wrote a message"),
    "follow.create": _l("Followed the financing need"),
    "follow.delete": _l("Stopped following the financing need"),
    "financing_need.confirm_overfunding": _l("Accepted financing beyond the amount sought"),
    "financing_need.financed_partly": _l("Closed as partly financed"),
}


def object_label(object_type: str) -> str:
    return str(OBJECT_LABELS.get(object_type, object_type))


def action_label(action: str) -> str:
    """The action in words; status changes (“financing_need.approved”) name the new status."""
    if action in ACTION_LABELS:
        return str(ACTION_LABELS[action])
    table, _dot, status = action.partition(".")
    for model in TRANSITIONS:
        if model.__tablename__ == table:
            try:
                new = next(s for s in TRANSITIONS[model] if s.value == status)
            except StopIteration:
                break
            return str(_l("Status changed to %(status)s", status=label(new)))
    return action


FIELD_LABELS = {
    "code": _l("Project code"), "level": _l("Level"), "category": _l("Category"),
    "industry_code": _l("Industry"), "district_code": _l("District"), "zone_code": _l("Functional zone"),
    "total_investment": _l("Total investment"), "annual_planned_investment": _l("Annual planned investment"),
    "stage": _l("Stage"), "reserve_substage": _l("Reserve sub-stage"),
    "planned_start": _l("Planned start"), "planned_completion": _l("Planned completion"),
    "actual_start": _l("Actual start"), "actual_completion": _l("Actual completion"),
    "is_priority": _l("Priority project (重点推进)"), "description": _l("Description"),
    "amount": _l("Amount sought"), "instruments": _l("Financing instruments"), "term_months": _l("Term (months)"),
    "cost_ceiling": _l("Acceptable cost ceiling (% a year)"), "use_of_funds": _l("Use of funds"),
    "credit_enhancements": _l("Credit enhancement offered"), "funds_secured": _l("Financing already in place"),
    "contact_name": _l("Contact person"), "contact_phone": _l("Contact phone"),
    "contact_email": _l("Contact e-mail"), "status": _l("Status"), "role": _l("Role"),
    "org_id": _l("Organisation"), "org": _l("Organisation"), "kind": _l("Organisation type"),
    "phone": _l("Phone"), "title": _l("Position"), "locale": _l("Language"), "prefix": _l("Starts with"),
    "filename": _l("File name"), "size": _l("File size"), "year": _l("Year"), "period": _l("Period"),
    "items": _l("Number of items"), "rows": _l("Number of entries"), "need_id": _l("Financing need"),
    "sort_order": _l("Order items by"), "check": _l("Readiness check"), "reason": _l("Reason"),
    "revision": _l("Revision"), "filters": _l("Filters"), "audit_filters": _l("Filters"),
    "format": _l("File format"),
    "industries": _l("Industries"), "districts": _l("Districts and functional zones"),
    "levels": _l("Project levels"), "amount_min": _l("Smallest amount (万元)"),
    "amount_max": _l("Largest amount (万元)"), "term_min": _l("Shortest term (months)"),
    "term_max": _l("Longest term (months)"), "score": _l("Match score"),
    "product_name": _l("Product"), "instrument": _l("Financing instrument"), "rate": _l("Rate (% a year)"),
    "conditions": _l("Conditions"), "valid_until": _l("Valid until"), "message": _l("Message"),
    "credit_amount": _l("Credit amount"), "credit_date": _l("Credit date"),
    "disbursed_on": _l("Disbursement date"), "disbursed_amount": _l("Disbursed in total"),
    "fields": _l("Changed fields"),
}
# "name" means the name of whatever the entry is about: a person's (姓名) or a thing's (名称).
NAME_LABELS = {
    "user": _l("Name"), "organization": _l("Organisation name"), "project": _l("Project name"),
    "saved_search": _l("Name of this search"), "api_token": _l("Token name"),
}
CHECK_LABELS = {
    "required": _l("Required fields"), "contact": _l("Contact details"), "amount": _l("Amounts"),
    "dates": _l("Dates in order"), "instruments_stage": _l("Instruments and stage"),
    "capital_ratio": _l("Project capital ratio"), "duplicate": _l("Duplicate project"),
    "need_open": _l("Need still open"),
}
FORMAT_NAMES = {"xlsx": "Excel", "csv": "CSV", "pdf": "PDF", "json": "JSON"}
LANGUAGES = {"zh": "中文", "en": "English"}


def field_label(key: str, object_type: str) -> str:
    if key == "name":
        return str(NAME_LABELS.get(object_type, _l("Name of the record")))
    return str(FIELD_LABELS.get(key, key))
