"""E-mail through SMTP, sent by a background job once the database transaction commits.

queue() asks for a "mail.send" job in the caller's transaction (app/services/jobs.py): a
rollback drops it, so no e-mail speaks of a change that did not happen, and the job sends
the message after the commit, from the worker (or in-process without Redis), with retries
when the mail server is away. The message's Date and Message-ID are fixed when it is
queued, so a message sent twice (a retry after a lost reply) is recognisably the same.
queue_to() writes a message to a user in the user's own language (Chinese unless they
chose another). Without MAIL_SERVER (development) messages are written to the log instead.
"""

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app
from flask_babel import force_locale

from app.services import jobs

log = logging.getLogger("citypartner.mail")


def one_line(value: str) -> str:
    """A header value on one line: user-supplied text in a subject (a project name with
    a line break) can neither add headers nor make the message unsendable."""
    return " ".join(part.strip() for part in str(value).splitlines() if part.strip())


def queue(to: str, subject: str, body: str) -> None:
    jobs.enqueue("mail.send", to=one_line(to), subject=one_line(subject), body=body,
                 date=formatdate(localtime=False), message_id=make_msgid(domain="citypartner.local"))


def queue_to(user, subject, body, /, **params) -> None:
    """Queue an e-mail to `user` in the reader's language: `subject` and `body` are
    templates (lazy strings, %(name)s placeholders) filled with `params` under
    `user.locale or "zh"`; a parameter that is itself a lazy string is rendered in that
    language too."""
    with force_locale(user.locale or "zh"):
        queue(user.email, _filled(subject, params), _filled(body, params))


def _filled(template, params: dict) -> str:
    # %s renders a lazy string when the text is filled, that is under the reader's locale.
    return str(template) % params if params else str(template)


def discard_queued() -> int:
    """Drop the e-mails queued in this transaction (demo data: no real mailboxes)."""
    return len(jobs.discard("mail.send"))


def message(*, to: str, subject: str, body: str, date: str, message_id: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = one_line(to)
    msg["Subject"] = one_line(subject)
    msg["Date"] = date
    msg["Message-ID"] = message_id
    msg.set_content(body)
    return msg


def send_job(**args) -> None:
    """The "mail.send" job. An SMTP failure raises, so the queue tries again later."""
    send_now([message(**args)], current_app.config)


def send_now(messages: list[EmailMessage], config) -> None:
    if not messages:
        return
    if not config.get("MAIL_SERVER"):
        for msg in messages:
            log.info("E-mail (not sent, MAIL_SERVER unset)\nTo: %s\nSubject: %s\n\n%s",
                     msg["To"], msg["Subject"], msg.get_content())
        return
    smtp_cls = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with smtp_cls(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        for msg in messages:
            smtp.send_message(msg)
