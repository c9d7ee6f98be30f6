"""All models, imported here so that Alembic and the app see every table."""

from app.models.attachment import Attachment
from app.models.audit import AuditEntry
from app.models.edition import (
    EDITION_TRANSITIONS,
    PUBLIC_EDITION_STATUSES,
    Edition,
    EditionFile,
    EditionItem,
    EditionItemInstrument,
    EditionStatus,
    ItemMarker,
    SavedSearch,
)
from app.models.interest import (
    CLOSED_INTEREST_STATUSES,
    CREDITED_INTEREST_STATUSES,
    EXIT_STATUSES,
    INTEREST_TRANSITIONS,
    LIVE_INTEREST_STATUSES,
    PIPELINE_STAGES,
    STAGE_ENTERED_AT,
    Disbursement,
    Follow,
    Interest,
    InterestMessage,
    InterestStatus,
    Invitation,
    MessageSide,
    PreferenceProfile,
    RejectionReason,
)
from app.models.job import JOB_TRANSITIONS, Job, JobStatus
from app.models.need import (
    CLOSED_NEED_STATUSES,
    EDITABLE_NEED_STATUSES,
    NEED_TRANSITIONS,
    FinancingNeed,
    NeedInstrument,
    NeedStatus,
)
from app.models.notification import Notification
from app.models.organization import ORG_STATUS_TRANSITIONS, Organization, OrgStatus
from app.models.project import Project
from app.models.user import (
    USER_STATUS_TRANSITIONS,
    ApiToken,
    LoginThrottle,
    Role,
    User,
    UserSession,
    UserStatus,
    hash_token,
)

# Every model with a life cycle and its one declaration, the transition table: move()
# enforces it, the permission gates derive from it, the audit log names its statuses.
TRANSITIONS = {
    Edition: EDITION_TRANSITIONS,
    FinancingNeed: NEED_TRANSITIONS,
    Interest: INTEREST_TRANSITIONS,
    Job: JOB_TRANSITIONS,
    Organization: ORG_STATUS_TRANSITIONS,
    User: USER_STATUS_TRANSITIONS,
}

__all__ = [
    "Attachment", "AuditEntry", "CLOSED_NEED_STATUSES", "EDITABLE_NEED_STATUSES",
    "NEED_TRANSITIONS", "FinancingNeed", "NeedInstrument", "NeedStatus", "Notification",
    "ORG_STATUS_TRANSITIONS", "Organization", "OrgStatus", "Project",
    "USER_STATUS_TRANSITIONS", "ApiToken", "LoginThrottle", "Role", "User", "UserSession",
    "UserStatus",
    "hash_token", "EDITION_TRANSITIONS", "PUBLIC_EDITION_STATUSES", "Edition", "EditionFile",
    "EditionItem", "EditionItemInstrument", "EditionStatus", "ItemMarker", "SavedSearch",
    "TRANSITIONS",
    "JOB_TRANSITIONS", "Job", "JobStatus",
    "CLOSED_INTEREST_STATUSES", "CREDITED_INTEREST_STATUSES", "EXIT_STATUSES",
    "PIPELINE_STAGES", "STAGE_ENTERED_AT", "INTEREST_TRANSITIONS", "LIVE_INTEREST_STATUSES", "Disbursement",
    "Follow", "Interest", "InterestMessage", "InterestStatus", "Invitation", "MessageSide",
    "PreferenceProfile", "RejectionReason",
]
