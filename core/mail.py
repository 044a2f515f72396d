"""Mail: queued with the unit of work, rendered in the recipient's language, sent after commit.

``queue_mail(user, "verify_email", link=...)`` queues ``send_mail_job`` with plain values;
the job renders ``templates/mail/<name>.subject.txt``, ``.txt`` and ``.html`` and either writes
an ``.eml`` file to ``MAIL_OUTBOX`` (the default: nothing leaves the machine) or sends it over
SMTP when ``SMTP_HOST`` is set.
"""

from __future__ import annotations

import email.policy
import logging
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale

from core.db import db
from core.jobs import enqueue_after_commit

log = logging.getLogger(__name__)

#: Headers are not folded below SMTP's 998-character line limit: Python's folding of long non-ASCII headers
#: into several encoded words drops the spaces between them, so a long Kazakh or Russian subject would
#: reach the reader with words run together.
MAIL_POLICY = email.policy.default.clone(max_line_length=998)


def external_url(endpoint: str, **values) -> str:
    """An absolute URL: from the current request, else from ``PUBLIC_URL``."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PUBLIC_URL") or "http://localhost"
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def queue_mail(user, template: str, **context) -> None:
    """Send ``templates/mail/<template>.*`` to ``user`` once the unit of work commits.

    ``context`` must hold plain values (strings, numbers): it travels to the job queue.
    """
    enqueue_after_commit(send_mail_job, user.id, template, dict(context))


def send_mail_job(user_id: int, template: str, context: dict) -> None:
    """The job: reload the user (gone: nothing to do), render, deliver."""
    from core.accounts.models import User

    user = db.session.get(User, user_id)
    if user is None:
        log.info("mail %s not sent: user %s no longer exists", template, user_id)
        return
    deliver(build_message(user, template, context))


def build_message(user, template: str, context: dict) -> EmailMessage:
    values = {"user": user, **context}
    with force_locale(user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = render_template(f"mail/{template}.subject.txt", **values)
        text = render_template(f"mail/{template}.txt", **values)
        html = render_template(f"mail/{template}.html", **values)
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = " ".join(subject.split())
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = user.email
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="tyndau.kz")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    message["Content-Language"] = user.locale  # after the body: set_content clears Content-* headers
    return message


def deliver(message: EmailMessage) -> None:
    if current_app.config.get("SMTP_HOST"):
        _send_smtp(message)
    else:
        _write_outbox(message)


def _write_outbox(message: EmailMessage) -> Path:
    folder = Path(current_app.config["MAIL_OUTBOX"])
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{uuid.uuid4().hex}.eml"
    path.write_bytes(message.as_bytes())
    log.info("mail to %s written to %s", message["To"], path)
    return path


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    host, port = config["SMTP_HOST"], int(config.get("SMTP_PORT") or 587)
    context = ssl.create_default_context()
    if config.get("SMTP_SSL"):
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, context=context, timeout=30)
    else:
        server = smtplib.SMTP(host, port, timeout=30)
    with server:
        if not config.get("SMTP_SSL") and config.get("SMTP_STARTTLS"):
            server.starttls(context=context)
        if config.get("SMTP_USERNAME"):
            server.login(config["SMTP_USERNAME"], config.get("SMTP_PASSWORD") or "")
        server.send_message(message)
