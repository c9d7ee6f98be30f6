"""E-mail through SMTP, sent only after the database transaction commits.

queue() puts a message in the session's outbox; an after_commit hook sends the outbox,
and a rollback empties it, so no e-mail speaks of a change that did not happen. Without
MAIL_SERVER (development) messages are written to the log instead.
"""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db

log = logging.getLogger("citypartner.mail")
OUTBOX = "mail_outbox"


def one_line(value: str) -> str:
    """A header value on one line: user-supplied text in a subject (a project name with
    a line break) can neither add headers nor make the message unsendable."""
    return " ".join(part.strip() for part in str(value).splitlines() if part.strip())


def queue(to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = one_line(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="citypartner.local")
    msg.set_content(body)
    db.session.info.setdefault(OUTBOX, []).append(msg)


def send_now(messages: list[EmailMessage], config) -> None:
    if not messages:
        return
    if not config.get("MAIL_SERVER"):
        for msg in messages:
            log.info("E-mail (not sent, MAIL_SERVER unset)\nTo: %s\nSubject: %s\n\n%s",
                     msg["To"], msg["Subject"], msg.get_content())
        return
    smtp_cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            for msg in messages:
                smtp.send_message(msg)
    except (OSError, smtplib.SMTPException):
        # The change is committed; a mail outage must not turn it into an error page.
        log.exception("could not send %d e-mail(s)", len(messages))


@event.listens_for(Session, "after_commit")
def _send_outbox(session):
    messages = session.info.pop(OUTBOX, None)
    if messages:
        send_now(messages, current_app.config)


@event.listens_for(Session, "after_rollback")
def _drop_outbox(session):
    session.info.pop(OUTBOX, None)
