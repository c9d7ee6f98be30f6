"""Domain errors, mapped to responses once, in app/errors.py."""

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    status_code = 400
    default_message = _l("The request could not be completed.")

    def __init__(self, message=None, *, errors: dict | None = None):
        self.message = message or self.default_message
        self.errors = errors or {}
        super().__init__(str(self.message))

    def messages(self) -> list[str]:
        """Every field's messages, or the general one: for a flash where no form shows them."""
        return [str(m) for msgs in self.errors.values() for m in msgs] or [str(self.message)]


class NotFound(DomainError):
    """The object does not exist, or the user may not know that it does."""

    status_code = 404
    default_message = _l("Not found.")


class NotAllowed(DomainError):
    status_code = 403
    default_message = _l("You are not allowed to do this.")


class InvalidTransition(DomainError):
    status_code = 409
    default_message = _l("This action is not possible in the object's current state.")


class StaleEdit(DomainError):
    status_code = 409
    default_message = _l(
        "Someone else changed this record after you opened it. "
        "Your changes were not saved: review the current version and apply them again."
    )


class ValidationFailed(DomainError):
    """Input that breaks a rule; errors maps field names to messages."""

    status_code = 422
    default_message = _l("Please correct the highlighted fields.")


def flush_unique(keys: dict) -> None:
    """Flush, turning a unique key taken in the meantime into the ordinary field error.

    Two requests that both passed the service's "is this code free?" check before either
    committed both reach the INSERT; the database lets one through and refuses the other.
    `keys` maps each field to (message, markers): the constraint's name as PostgreSQL
    reports it and the columns as SQLite does. Any other integrity error is re-raised.
    A failed flush leaves the transaction unusable (PostgreSQL refuses every statement
    until it ends): it is rolled back here, before the message is even translated (which
    may read the user's language), so the caller can render the form and its error.
    """
    from sqlalchemy.exc import IntegrityError

    from app.extensions import db

    try:
        db.session.flush()
    except IntegrityError as exc:
        text = str(exc.orig)
        for field, (message, markers) in keys.items():
            if any(marker in text for marker in markers):
                db.session.rollback()
                raise ValidationFailed(errors={field: [message]}) from None
        raise
