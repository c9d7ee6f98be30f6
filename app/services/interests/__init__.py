"""Institutions acting on the list (PRODUCT.md §2 Follow, Interest): follows, interests
and their pipeline from 关注 to 放款, the owner's closing of a financed need.

Every function takes the acting user first, asks permissions (require) and changes
statuses through workflow.move only; the caller commits.
"""

from app.services.interests.closing import close_financed, confirm_overfunding, money_raised, need_closed
from app.services.interests.follows import (
    follow,
    follower_count,
    followers,
    is_following,
    tell_followers,
    tell_followers_of_correction,
    unfollow,
)
from app.services.interests.messages import mark_read, post_message, side_of, thread, unread_count
from app.services.interests.offers import (
    OFFER_FIELDS,
    RECONFIRM_FIELDS,
    express_interest,
    live_interest,
    material_change,
    reconfirm,
    update_interest,
    validate_offer,
)
from app.services.interests.pipeline import (
    INSTITUTION_MOVES,
    approve_credit,
    decline,
    record_disbursement,
    reject,
    step,
)

__all__ = [
    "close_financed", "confirm_overfunding", "money_raised", "need_closed",
    "follow", "follower_count", "followers", "is_following", "tell_followers",
    "tell_followers_of_correction", "unfollow",
    "OFFER_FIELDS", "RECONFIRM_FIELDS", "express_interest", "live_interest", "material_change",
    "reconfirm", "update_interest", "validate_offer",
    "mark_read", "post_message", "side_of", "thread", "unread_count",
    "INSTITUTION_MOVES", "approve_credit", "decline", "record_disbursement", "reject", "step",
]
