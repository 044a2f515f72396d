"""Accounts: registration, verification, sign-in, reset, profile, IIN, home territory, roles."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from core.accounts import services
from core.accounts.models import Role, RoleGrant, User
from core.audit import AuditEntry
from core.db import commit, utcnow
from tests.conftest import PASSWORD, count

VALID_IIN = "900101300126"
OTHER_IIN = "851202400559"


def fresh_locale() -> None:
    """The ``db`` fixture keeps one app context across a test's requests; forget its cached locale."""
    import flask_babel

    flask_babel.refresh()


def actions(db) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def link_in(message, prefix: str) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(rf"http://localhost({re.escape(prefix)}\S+)", text)
    assert match, text
    return match.group(1)


@pytest.fixture
def territories(db):
    """A small tree: a region with a district and a rural district; Astana with a city district."""
    from core.territories.models import Territory

    rows = [
        Territory(code="990000000", level=1, name_kk="Облыс", name_ru="Область", name_en="Region"),
        Territory(code="991000000", parent_code="990000000", level=2, name_kk="Аудан", name_ru="Район"),
        Territory(
            code="991010000",
            parent_code="991000000",
            level=3,
            name_kk="Ауылдық округ",
            name_ru="Сельский округ",
        ),
        Territory(code="981000000", level=1, name_kk="Қала", name_ru="Город"),
        Territory(code="981010000", parent_code="981000000", level=2, name_kk="Қала ауданы", name_ru="Район города"),
    ]
    db.session.add_all(rows)
    db.session.flush()
    return {t.code: t for t in rows}


@pytest.fixture
def authority(db, territories):
    from core.authorities.models import Authority, AuthorityKind

    item = Authority(
        key="akimat:991000000",
        kind=AuthorityKind.DISTRICT_AKIMAT,
        name_kk="Аудан әкімдігі",
        name_ru="Акимат района",
        name_en="District akimat",
        territory_code="991000000",
    )
    db.session.add(item)
    db.session.flush()
    return item


# --- passwords and emails -----------------------------------------------------------------


def test_password_hash_is_argon2_and_verifies(db, make_user):
    user = make_user()
    assert user.password_hash.startswith("$argon2")
    assert services.check_password(user, PASSWORD)
    assert not services.check_password(user, "wrong password!")


def test_outdated_hash_is_upgraded_on_login(db, make_user):
    from argon2 import PasswordHasher

    user = make_user()
    user.password_hash = PasswordHasher(time_cost=1, memory_cost=8192).hash(PASSWORD)
    old = user.password_hash
    assert services.authenticate(user.email, PASSWORD) is user
    assert user.password_hash != old
    assert services.check_password(user, PASSWORD)


@pytest.mark.parametrize(
    ("password", "email"),
    [
        ("short1!", None),
        ("12345678901234", None),
        ("password123", None),
        ("Qwertyuiop", None),
        ("aaaaaaaaaaaa", None),
        ("someone@example.kz", "Someone@Example.kz"),
    ],
)
def test_password_policy_rejects(app, password, email):
    with app.test_request_context(), pytest.raises(services.WeakPassword):
        services.check_password_policy(password, email)


def test_password_policy_accepts_a_long_unusual_one(app):
    with app.test_request_context():
        services.check_password_policy("тыңдау-жақсы 2026", "someone@example.kz")


def test_email_is_normalised_and_validated(app):
    with app.test_request_context():
        assert services.normalize_email("  Aigul@Example.KZ ") == "aigul@example.kz"
        for bad in ("", "aigul", "aigul@", "@example.kz", "a b@example.kz"):
            with pytest.raises(services.InvalidEmail):
                services.normalize_email(bad)


ORDINARY_PROVIDERS = ("gmail.com", "mail.ru", "yandex.ru", "yandex.kz", "outlook.com", "icloud.com", "inbox.ru")


def test_shipped_disposable_list_is_clean(app):
    with app.app_context():
        listed = services.disposable_domains()
    assert len(listed) >= 100
    assert {"mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com", "tempmail.plus"} <= listed
    assert all(re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain) for domain in listed)
    assert not listed & {*ORDINARY_PROVIDERS, "example.kz"}


@pytest.mark.parametrize(
    "value",
    ["mailinator.com", "MailInator.COM", "x.mailinator.com", "a.b.sharklasers.com", "yopmail.fr.", "dana@Yopmail.com"],
)
def test_disposable_domains_and_their_subdomains_are_recognised(app, value):
    with app.app_context():
        assert services.is_disposable(value)


@pytest.mark.parametrize(
    "value", ["example.kz", "mailinator.com.kz", "notreallymailinator.com", "mail.kz", "", *ORDINARY_PROVIDERS]
)
def test_ordinary_domains_are_not_disposable(app, value):
    with app.app_context():
        assert not services.is_disposable(value)


@pytest.mark.parametrize("email", ["dana@mailinator.com", "Dana@Inbox.Mailinator.com"])
def test_register_service_refuses_disposable_addresses(app, db, outbox, email):
    users, audits = count(User), count(AuditEntry)
    with app.test_request_context(), pytest.raises(services.DisposableEmail) as info:
        services.register(email, PASSWORD, "Дана Ахметова", "ru")
    assert isinstance(info.value, services.InvalidEmail)  # so every form shows it on the email field
    assert "disposable mail services are not accepted" in str(info.value)
    assert (count(User), count(AuditEntry)) == (users, audits)
    assert len(outbox) == 0


def test_register_service_accepts_an_ordinary_address(app, db, outbox):
    with app.test_request_context():
        user = services.register("Dana@Mail.kz", PASSWORD, "Дана Ахметова", "ru")
    assert user.email == "dana@mail.kz"


def test_only_self_registration_refuses_disposable_addresses(app, client, db, make_user, login):
    with app.test_request_context():
        made = services.create_user("tester@mailinator.com", PASSWORD, "Tester", "en", verified=True)
    assert made.id is not None  # an administrator or the CLI may still create one
    login(make_user(email="old@yopmail.com"))  # and an existing account signs in as before


def test_disposable_list_file_is_a_setting(app, db, tmp_path, monkeypatch):
    listed = tmp_path / "domains.txt"
    listed.write_text("# our own list\nthrowaway.example  # a comment\n\nEXAMPLE.org\n", encoding="utf-8")
    monkeypatch.setitem(app.config, "DISPOSABLE_EMAIL_DOMAINS_FILE", str(listed))
    with app.test_request_context():
        assert services.is_disposable("throwaway.example")
        assert services.is_disposable("mx.example.org")
        assert not services.is_disposable("mailinator.com")  # the file replaces the shipped list
        with pytest.raises(services.DisposableEmail):
            services.register("someone@throwaway.example", PASSWORD, "Name")
        assert services.register("someone@mailinator.com", PASSWORD, "Name").id is not None


# --- registration and verification --------------------------------------------------------


def register_data(**overrides):
    data = {
        "email": "Dana@Example.kz",
        "display_name": "Дана Ахметова",
        "password": PASSWORD,
        "password_confirm": PASSWORD,
        "locale": "ru",
    }
    data.update(overrides)
    return data


def test_register_page_has_the_fields(client):
    page = client.get("/account/register").get_data(as_text=True)
    for name in ("email", "display_name", "password", "password_confirm", "locale"):
        assert f'name="{name}"' in page
    assert "Create account" in page


def test_register_sends_mail_and_verification_needs_a_post(client, db, outbox):
    response = client.post("/account/register", data=register_data())
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.email == "dana@example.kz"))
    assert user is not None
    assert user.locale == "ru"
    assert not user.is_verified
    assert "user.registered" in actions(db)

    [message] = outbox.messages()
    assert message["To"] == "dana@example.kz"
    assert message["Content-Language"] == "ru"
    assert message.get_content_type() == "multipart/alternative"
    html = message.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="ru">' in html
    path = link_in(message, "/account/verify/")

    # A mail scanner's GET shows the confirm button and changes nothing.
    page = client.get(path + "?lang=en")
    assert page.status_code == 200
    assert b"Confirm my email address" in page.data
    assert b'method="post"' in page.data
    db.session.refresh(user)
    assert not user.is_verified

    assert client.post(path).status_code == 302
    db.session.refresh(user)
    assert user.is_verified
    assert actions(db).count("user.email_verified") == 1

    # Applying it again is harmless.
    assert client.post(path).status_code == 302
    assert actions(db).count("user.email_verified") == 1


def test_registering_logs_the_user_in(client, db, outbox):
    client.post("/account/register", data=register_data())
    profile = client.get("/account/profile?lang=en")
    assert profile.status_code == 200
    assert b"dana@example.kz" in profile.data
    assert b"Send the confirmation link again" in profile.data


def test_verification_token_for_a_changed_email_is_invalid(app, db, make_user):
    user = make_user(verified=False)
    with app.test_request_context():
        token = services.verification_token(user)
        user.email = "changed@example.kz"
        with pytest.raises(services.InvalidToken):
            services.verify_email(token)


@pytest.mark.parametrize("path", ["/account/verify/garbage", "/account/reset/garbage"])
def test_bad_tokens_show_a_clear_page(client, path):
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        assert b"This link is not valid" in response.data


def test_expired_verification_token(client, app, db, make_user, monkeypatch):
    user = make_user(verified=False)
    with app.test_request_context():
        token = services.verification_token(user)
    monkeypatch.setitem(app.config, "EMAIL_TOKEN_MAX_AGE", -1)
    response = client.post(f"/account/verify/{token}")
    assert response.status_code == 400
    assert b"This link has expired" in response.data
    assert not user.is_verified


def test_resend_verification(client, db, make_user, login, outbox):
    user = make_user(verified=False, locale="en")
    login(user)
    assert client.post("/account/verify/resend").status_code == 302
    [message] = outbox.messages()
    assert message["To"] == user.email
    assert "/account/verify/" in message.get_body(preferencelist=("plain",)).get_content()


def test_resend_for_a_verified_user_sends_nothing(client, db, make_user, login, outbox):
    login(make_user())
    client.post("/account/verify/resend")
    assert len(outbox) == 0


def test_duplicate_email_is_refused_and_nothing_saved(client, db, make_user, outbox):
    make_user(email="dana@example.kz")
    commit()  # the failed request rolls back its own unit of work only
    users, audits = count(User), count(AuditEntry)
    response = client.post("/account/register", data=register_data(email="DANA@example.kz"))
    assert response.status_code == 200
    assert b"already exists" in response.data
    assert (count(User), count(AuditEntry)) == (users, audits)
    assert len(outbox) == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"email": "not-an-email"}, b"valid email address"),
        ({"password": "1234567890123", "password_confirm": "1234567890123"}, b"only digits"),
        ({"password": "short", "password_confirm": "short"}, b"at least 10 characters"),
        ({"password": "password123", "password_confirm": "password123"}, b"too common"),
        ({"password_confirm": "something else entirely"}, b"do not match"),
        ({"display_name": ""}, b"enter your name"),
    ],
)
def test_register_bad_input_saves_nothing(client, db, outbox, overrides, message):
    users, audits = count(User), count(AuditEntry)
    response = client.post("/account/register", data=register_data(**overrides))
    assert response.status_code == 200
    assert message in response.data
    assert (count(User), count(AuditEntry)) == (users, audits)
    assert len(outbox) == 0


@pytest.mark.parametrize("email", ["dana@mailinator.com", "Dana@X.YOPmail.com"])
def test_register_refuses_disposable_addresses(client, db, outbox, email):
    users, audits = count(User), count(AuditEntry)
    response = client.post("/account/register", data=register_data(email=email))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert re.search(
        r'<p class="error" id="email-err">Addresses of disposable mail services are not accepted\. '
        r"Use an address you will keep\.</p>",
        page,
    )
    assert (count(User), count(AuditEntry)) == (users, audits)
    assert len(outbox) == 0


def test_register_page_honours_a_custom_disposable_list(app, client, db, outbox, tmp_path, monkeypatch):
    listed = tmp_path / "domains.txt"
    listed.write_text("example.kz\n", encoding="utf-8")
    monkeypatch.setitem(app.config, "DISPOSABLE_EMAIL_DOMAINS_FILE", str(listed))
    users = count(User)
    response = client.post("/account/register", data=register_data())
    assert response.status_code == 200
    assert b"disposable mail services are not accepted" in response.data
    assert count(User) == users


def test_create_user_service_refuses_duplicates(app, db, make_user):
    make_user(email="taken@example.kz")
    with app.test_request_context(), pytest.raises(services.EmailTaken):
        services.create_user("Taken@Example.kz", PASSWORD, "Name")


# --- sign-in ------------------------------------------------------------------------------


def test_login_form_fields(client):
    page = client.get("/account/login").get_data(as_text=True)
    for name in ("email", "password", "remember"):
        assert f'name="{name}"' in page


def test_login_updates_last_login(client, db, make_user, login):
    user = make_user()
    assert user.last_login_at is None
    login(user)
    assert user.last_login_at is not None
    assert client.get("/account/profile").status_code == 200


def test_login_failure_does_not_reveal_the_email(client, db, make_user):
    user = make_user()
    wrong = client.post("/account/login", data={"email": user.email, "password": "not the password"})
    unknown = client.post("/account/login", data={"email": "nobody@example.kz", "password": "not the password"})
    assert wrong.status_code == unknown.status_code == 401
    assert b"The email or password is not correct." in wrong.data
    assert b"The email or password is not correct." in unknown.data


def test_unverified_user_can_log_in(client, db, make_user, login):
    login(make_user(verified=False))
    assert b"Please confirm your email address" in client.get("/account/profile").data


def test_deactivated_user_cannot_log_in(client, db, make_user):
    user = make_user(active=False)
    response = client.post("/account/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert b"deactivated" in response.data
    assert client.get("/account/profile").status_code == 302


def test_deactivation_ends_an_open_session(client, db, make_user, login):
    admin = make_user(roles=[Role.ADMIN])
    user = make_user()
    login(user)
    services.set_active(user, False, actor=admin)
    commit()
    assert client.get("/account/profile").status_code == 302


def test_logout(client, db, make_user, login):
    login(make_user())
    assert client.post("/account/logout").status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_logout_needs_post(client):
    assert client.get("/account/logout").status_code == 405


# --- password reset -----------------------------------------------------------------------


def test_reset_flow_is_single_use(client, db, make_user, outbox):
    user = make_user(locale="ru")
    old_version = user.session_version
    response = client.post("/account/reset", data={"email": user.email.upper()})
    assert response.status_code == 302
    [message] = outbox.messages()
    assert message["Content-Language"] == "ru"
    path = link_in(message, "/account/reset/")

    page = client.get(path)
    assert page.status_code == 200
    assert b'name="password"' in page.data

    new = "a brand new passphrase"
    assert client.post(path, data={"password": new, "password_confirm": new}).status_code == 302
    db.session.refresh(user)
    assert user.session_version == old_version + 1
    assert services.check_password(user, new)
    assert "user.password_reset" in actions(db)

    again = client.post(path, data={"password": "another new passphrase", "password_confirm": "another new passphrase"})
    assert again.status_code == 400
    assert b"already been used" in again.data
    db.session.refresh(user)
    assert services.check_password(user, new)


def test_reset_rejects_a_weak_password_and_keeps_the_old_one(app, client, db, make_user):
    user = make_user()
    with app.test_request_context():
        token = services.reset_token(user)
    response = client.post(f"/account/reset/{token}", data={"password": "123", "password_confirm": "123"})
    assert response.status_code == 200
    assert b"at least 10 characters" in response.data
    assert services.check_password(user, PASSWORD)
    with app.test_request_context(), pytest.raises(services.WeakPassword):
        services.reset_password(token, user.email)


def test_reset_for_unknown_email_looks_the_same(client, db, make_user, outbox):
    user = make_user()
    known = client.post("/account/reset", data={"email": user.email}, follow_redirects=True)
    unknown = client.post("/account/reset", data={"email": "nobody@example.kz"}, follow_redirects=True)
    assert b"If an account exists" in known.data
    assert b"If an account exists" in unknown.data
    assert len(outbox) == 1


def test_expired_reset_token(app, client, db, make_user, monkeypatch):
    user = make_user()
    with app.test_request_context():
        token = services.reset_token(user)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(f"/account/reset/{token}")
    assert response.status_code == 400
    assert b"expired" in response.data


# --- profile ------------------------------------------------------------------------------


def test_profile_update(client, db, make_user, login):
    user = make_user()
    login(user)
    response = client.post("/account/profile", data={"display_name": "Ерлан Бекұлы", "locale": "ru"})
    assert response.status_code == 302
    assert user.display_name == "Ерлан Бекұлы"
    assert user.locale == "ru"
    entry = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.details_dict) == ("user.profile_updated", {"fields": ["display_name", "locale"]})
    fresh_locale()
    page = client.get("/account/profile")
    assert b'<html lang="ru">' in page.data


def test_profile_rejects_an_unknown_language(client, db, make_user, login):
    user = make_user()
    login(user)
    response = client.post("/account/profile", data={"display_name": "X", "locale": "de"})
    assert response.status_code == 200
    assert user.locale == "en"


def test_profile_requires_login(client):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


# --- IIN ----------------------------------------------------------------------------------


def test_set_iin_stores_only_a_hash_and_audits_without_it(app, db, make_user):
    user = make_user()
    services.set_iin(user, "9001 0130 0126")
    assert user.iin_hash == services.iin_hash(VALID_IIN, app.config["IIN_HASH_KEY"])
    assert user.iin_added_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.iin_added"))
    assert VALID_IIN not in entry.details
    assert user.iin_hash not in entry.details


def test_set_iin_rejects_a_bad_checksum(app, db, make_user):
    user = make_user()
    with app.test_request_context(), pytest.raises(services.InvalidIIN):
        services.set_iin(user, "900101300127")
    assert user.iin_hash is None


def test_duplicate_iin_is_refused(app, db, make_user):
    make_user().iin_hash = services.iin_hash(VALID_IIN, app.config["IIN_HASH_KEY"])
    db.session.flush()
    user = make_user()
    with app.test_request_context(), pytest.raises(services.IINTaken):
        services.set_iin(user, VALID_IIN)
    assert user.iin_hash is None


def test_duplicate_iin_caught_by_the_unique_constraint(app, db, make_user, monkeypatch):
    """Two requests racing past the pre-check: the savepoint turns the IntegrityError into the message."""
    first = make_user()
    first.iin_hash = services.iin_hash(VALID_IIN, app.config["IIN_HASH_KEY"])
    db.session.flush()
    user = make_user()
    real_scalar = db.session.scalar

    def blind_scalar(stmt, *args, **kwargs):
        if "iin_hash" in str(stmt):
            return None  # the other request's row is not visible yet
        return real_scalar(stmt, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", blind_scalar)
    with app.test_request_context(), pytest.raises(services.IINTaken):
        services.set_iin(user, VALID_IIN)
    monkeypatch.undo()
    assert user.iin_hash is None
    assert db.session.get(User, first.id).iin_hash is not None


def test_iin_cannot_be_changed_by_the_user(app, db, make_user):
    user = make_user()
    services.set_iin(user, VALID_IIN)
    with app.test_request_context(), pytest.raises(services.IINAlreadySet):
        services.set_iin(user, OTHER_IIN)


def test_iin_view_flow(client, db, make_user, login):
    user = make_user()
    login(user)
    assert b'name="iin"' in client.get("/account/iin").data
    audits = count(AuditEntry)
    bad = client.post("/account/iin", data={"iin": "900101300127"})
    assert bad.status_code == 200
    assert b"This is not a valid IIN" in bad.data
    assert b"900101300127" not in bad.data
    assert user.iin_hash is None
    assert count(AuditEntry) == audits

    assert client.post("/account/iin", data={"iin": VALID_IIN}).status_code == 302
    assert user.has_iin
    profile = client.get("/account/profile")
    assert b"IIN added on" in profile.data
    assert VALID_IIN.encode() not in profile.data
    assert b"IIN added on" in client.get("/account/iin").data


def test_duplicate_iin_view_saves_nothing(app, client, db, make_user, login):
    make_user().iin_hash = services.iin_hash(VALID_IIN, app.config["IIN_HASH_KEY"])
    user = make_user()
    db.session.flush()
    login(user)
    audits = count(AuditEntry)
    response = client.post("/account/iin", data={"iin": VALID_IIN})
    assert b"already linked to another account" in response.data
    assert user.iin_hash is None
    assert count(AuditEntry) == audits


# --- home territory -----------------------------------------------------------------------


def test_home_territory_rules(app, db, make_user, territories):
    user = make_user()
    services.set_home_territory(user, "991010000")  # level 3
    assert user.home_territory_code == "991010000"
    services.set_home_territory(user, "981010000")  # a level-2 leaf (city district)
    assert user.home_territory_code == "981010000"
    with app.test_request_context():
        with pytest.raises(services.InvalidTerritory):
            services.set_home_territory(user, "991000000")  # a district with children
        with pytest.raises(services.InvalidTerritory):
            services.set_home_territory(user, "990000000")
        with pytest.raises(services.NotFound):
            services.set_home_territory(user, "000000000")
    assert user.home_territory_code == "981010000"
    assert actions(db).count("user.home_territory_set") == 2


def test_home_territory_view(client, db, make_user, login, territories):
    user = make_user()
    login(user)
    response = client.post("/account/home-territory", data={"territory_code": "991010000"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/profile")
    assert user.home_territory_code == "991010000"
    fresh_locale()
    page = client.get("/account/profile?lang=ru").get_data(as_text=True)
    assert "Область" in page
    assert "Район" in page
    assert "Сельский округ" in page
    assert "/territories/pick?next=" in page

    back = client.post("/account/home-territory", data={"territory_code": "991010000", "next": "/territories/"})
    assert back.headers["Location"].endswith("/territories/")
    offsite = client.post("/account/home-territory", data={"territory_code": "991010000", "next": "//evil.example"})
    assert offsite.headers["Location"].endswith("/account/profile")

    refused = client.post("/account/home-territory", data={"territory_code": "991000000"}, follow_redirects=True)
    assert user.home_territory_code == "991010000"
    assert refused.status_code == 200
    assert "flash-error" in refused.get_data(as_text=True)


def test_home_territory_needs_login(client):
    response = client.post("/account/home-territory", data={"territory_code": "991010000"})
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_home_territory_with_the_kato_sample(kato, db, make_user):
    from core.territories.models import Territory

    leaf = db.session.scalar(sa.select(Territory).where(Territory.level >= 3).limit(1))
    user = make_user()
    services.set_home_territory(user, leaf.code)
    assert user.home_territory is leaf


# --- roles --------------------------------------------------------------------------------


def test_grant_role_is_idempotent_and_audited(db, make_user, authority):
    admin = make_user(roles=[Role.ADMIN])
    user = make_user()
    first = services.grant_role(user, Role.OFFICER, authority, actor=admin)
    again = services.grant_role(user, "officer", authority, actor=admin)
    assert first is again
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RoleGrant).where(RoleGrant.user_id == user.id)) == 1
    assert user.has_role(Role.OFFICER, authority.id)
    assert user.authority_ids() == {authority.id}
    assert first.granted_by_id == admin.id
    granted = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "user.role_granted")).all()
    assert [e.actor_id for e in granted][-1] == admin.id
    assert actions(db).count("user.role_granted") == 2  # the admin's own, and this one once


def test_grant_role_validation(app, db, make_user, authority):
    user = make_user()
    with app.test_request_context():
        with pytest.raises(services.InvalidRole):
            services.grant_role(user, Role.OFFICER)
        with pytest.raises(services.InvalidRole):
            services.grant_role(user, Role.HEAD, None)
        with pytest.raises(services.InvalidRole):
            services.grant_role(user, Role.ADMIN, authority)
        with pytest.raises(services.InvalidRole):
            services.grant_role(user, Role.MODERATOR, authority)
        with pytest.raises(services.InvalidRole):
            services.grant_role(user, "superuser")
        with pytest.raises(services.NotFound):
            services.grant_role(user, Role.OFFICER, 999_999)
    assert user.grants == []


def test_revoke_role(db, make_user, authority):
    user = make_user(roles=[Role.MODERATOR, (Role.HEAD, authority)])
    assert services.revoke_role(user, Role.HEAD, authority) is True
    assert services.revoke_role(user, Role.HEAD, authority) is False
    assert not user.has_role(Role.HEAD)
    assert user.is_moderator
    assert "user.role_revoked" in actions(db)


def test_admin_cannot_remove_own_admin_role(app, db, make_user):
    admin = make_user(roles=[Role.ADMIN])
    with app.test_request_context(), pytest.raises(services.InvalidRole):
        services.revoke_role(admin, Role.ADMIN, actor=admin)
    assert admin.is_admin


def test_profile_lists_roles(client, db, make_user, login, authority):
    user = make_user(roles=[(Role.OFFICER, authority)])
    login(user)
    fresh_locale()
    page = client.get("/account/profile?lang=en").get_data(as_text=True)
    assert "Officer of an authority" in page
    assert "District akimat" in page


def test_set_locale_keeps_working(db, make_user):
    user = make_user()
    services.set_locale(user, "ru")
    assert user.locale == "ru"


def test_load_user(db, make_user):
    user = make_user()
    assert services.load_user(user.get_id()) is user
    assert services.load_user(f"{user.id}.{user.session_version + 1}") is None
    assert services.load_user("garbage") is None
    assert services.load_user("") is None
    user.active = False
    assert services.load_user(user.get_id()) is None


def test_verified_at_is_timezone_aware(db, make_user):
    user = make_user()
    assert user.email_verified_at.tzinfo is not None
    assert user.email_verified_at <= utcnow()
