"""Organisations, users, sessions, password resets and API tokens.

registration   organisations and users registering, finding accounts, where a user stands
verification   administrators verifying, rejecting, deactivating, reactivating
appointments   roles that fit an organisation; administrators appointed by administrators
sessions       logging in and the login sessions
credentials    changing a password, resetting it (or choosing the first) by e-mailed link
api_tokens     the API tokens of verified users

Every public name is importable from here: `from app.services import accounts`.
"""

from app.services.accounts.api_tokens import (
    TOKEN_PREFIX,
    create_api_token,
    revoke_all_api_tokens,
    revoke_api_token,
    token_lifetime,
    user_for_api_token,
    user_tokens,
)
from app.services.accounts.appointments import appoint_admin, assignable_roles, set_role
from app.services.accounts.credentials import (
    RESET_SALT,
    change_password,
    make_reset_token,
    request_password_reset,
    reset_password,
    set_password_link,
    user_for_reset_token,
)
from app.services.accounts.registration import (
    AlreadyRegistered,
    active_admins,
    check_password_strength,
    find_org_by_code,
    find_user_by_email,
    platform_operator,
    register_member,
    register_organization,
    role_for_kind,
    standing,
    tell_owner_of_registration_attempt,
    update_profile,
)
from app.services.accounts.sessions import (
    SESSION_TOUCH_SECONDS,
    authenticate,
    end_all_sessions,
    end_session,
    may_log_in,
    resume_session,
    session_user,
    start_session,
)
from app.services.accounts.verification import (
    deactivate_organization,
    deactivate_user,
    reactivate_organization,
    reactivate_user,
    reject_organization,
    reject_user,
    verify_organization,
    verify_user,
)

__all__ = [
    "TOKEN_PREFIX", "create_api_token", "revoke_all_api_tokens", "revoke_api_token",
    "token_lifetime", "user_for_api_token", "user_tokens",
    "appoint_admin", "assignable_roles", "set_role",
    "RESET_SALT", "change_password", "make_reset_token", "request_password_reset",
    "reset_password", "set_password_link", "user_for_reset_token",
    "AlreadyRegistered", "active_admins", "check_password_strength", "find_org_by_code",
    "find_user_by_email", "platform_operator", "register_member", "register_organization",
    "role_for_kind", "standing", "tell_owner_of_registration_attempt", "update_profile",
    "SESSION_TOUCH_SECONDS", "authenticate", "end_all_sessions", "end_session", "may_log_in",
    "resume_session", "session_user", "start_session",
    "deactivate_organization", "deactivate_user", "reactivate_organization", "reactivate_user",
    "reject_organization", "reject_user", "verify_organization", "verify_user",
]
