"""Mail: rendered in the recipient's language, sent only after commit, inline or through rq."""

from __future__ import annotations

import pytest

from core import mail
from core.db import commit
from tests.conftest import PASSWORD


def test_mail_is_written_only_after_commit(db, make_user, outbox):
    user = make_user(locale="en")
    mail.queue_mail(user, "verify_email", link="http://localhost/account/verify/abc")
    assert len(outbox) == 0
    commit()
    [message] = outbox.messages()
    assert message["To"] == user.email
    assert message["From"] == "Tyndau <no-reply@tyndau.kz>"
    assert message["Content-Language"] == "en"
    assert message["Subject"] == "Confirm your email address for Tyndau"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "http://localhost/account/verify/abc" in text
    assert 'href="http://localhost/account/verify/abc"' in html
    assert user.display_name in text
    files = list(outbox.path.glob("*.eml"))
    assert len(files) == 1
    assert files[0].name[:8].isdigit()


def test_rollback_drops_queued_mail(db, make_user, outbox):
    user = make_user()
    mail.queue_mail(user, "verify_email", link="http://x/")
    db.session.rollback()
    commit()
    assert len(outbox) == 0


def test_a_failed_registration_sends_no_mail(client, db, outbox, monkeypatch):
    """The mail is queued, then the unit of work fails before commit: nothing is sent or saved."""
    from core.accounts import services
    from core.accounts.models import User
    from tests.conftest import count

    real = services.send_verification

    def send_then_fail(user):
        real(user)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "send_verification", send_then_fail)
    users = count(User)
    response = client.post(
        "/account/register",
        data={
            "email": "fail@example.kz",
            "display_name": "Fail",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "locale": "kk",
        },
    )
    assert response.status_code == 500
    commit()
    assert len(outbox) == 0
    assert count(User) == users


def test_mail_job_tolerates_a_vanished_user(db, outbox):
    mail.send_mail_job(987654, "verify_email", {"link": "http://x/"})
    assert len(outbox) == 0


def test_mail_goes_through_rq(db, make_user, outbox, run_jobs):
    user = make_user(locale="ru")
    commit()
    mail.queue_mail(user, "reset_password", link="http://localhost/account/reset/t")
    commit()
    assert len(outbox) == 0
    assert run_jobs() == 1
    [message] = outbox.messages()
    assert message["Content-Language"] == "ru"
    assert "http://localhost/account/reset/t" in message.get_body(preferencelist=("plain",)).get_content()


def test_registration_mail_through_rq(client, db, outbox, run_jobs):
    response = client.post(
        "/account/register",
        data={
            "email": "queued@example.kz",
            "display_name": "Queued",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
            "locale": "en",
        },
    )
    assert response.status_code == 302
    assert len(outbox) == 0
    assert run_jobs() == 1
    [message] = outbox.messages()
    assert message["To"] == "queued@example.kz"


def test_external_url_without_a_request_uses_public_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://tyndau.example")
    with app.app_context():
        assert mail.external_url("accounts.login") == "https://tyndau.example/account/login"


class FakeSMTP:
    sent: list = []
    instances: list = []

    def __init__(self, host, port, timeout=None, context=None):
        self.host, self.port = host, port
        self.calls: list = []
        FakeSMTP.instances.append(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self, context=None):
        self.calls.append("starttls")

    def login(self, username, password):
        self.calls.append(("login", username, password))

    def send_message(self, message):
        FakeSMTP.sent.append(message)


@pytest.mark.parametrize(("use_ssl", "expected_calls"), [(False, ["starttls"]), (True, [])])
def test_smtp_delivery(app, db, make_user, outbox, monkeypatch, use_ssl, expected_calls):
    FakeSMTP.sent.clear()
    FakeSMTP.instances.clear()
    monkeypatch.setattr(mail.smtplib, "SMTP", FakeSMTP)
    monkeypatch.setattr(mail.smtplib, "SMTP_SSL", FakeSMTP)
    for key, value in {
        "SMTP_HOST": "smtp.example.kz",
        "SMTP_PORT": 2525,
        "SMTP_USERNAME": "mailer",
        "SMTP_PASSWORD": "secret",
        "SMTP_SSL": use_ssl,
        "SMTP_STARTTLS": True,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    user = make_user()
    mail.queue_mail(user, "verify_email", link="http://x/")
    commit()
    [server] = FakeSMTP.instances
    assert (server.host, server.port) == ("smtp.example.kz", 2525)
    assert server.calls == [*expected_calls, ("login", "mailer", "secret")]
    assert [m["To"] for m in FakeSMTP.sent] == [user.email]
    assert len(outbox) == 0


def test_long_non_ascii_subject_keeps_its_spaces(app, db, make_user):
    """Python folds long non-ASCII headers into encoded words and drops the spaces between them;
    the mail policy keeps the subject on one line so a reader sees it as it was written."""
    import email as email_lib

    from core.mail import MAIL_POLICY

    subject = "Ісіңіз жоғары деңгейге жіберілді: Айнабұлақ ауылында ауыз су жоқ, жолдар бұзылған және тағы басқа"
    message = email_lib.message.EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message.set_content("мәтін")
    back = email_lib.message_from_bytes(message.as_bytes(), policy=email_lib.policy.default)
    assert back["Subject"] == subject
