"""Administration pages: creating a user with a role, the audit log and the admin navigation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core import audit
from core.accounts import services
from core.accounts.models import Role, RoleGrant, User
from core.audit import AuditEntry
from tests.conftest import count

OFFICE = "akim:623633000"
NEW = {
    "email": "New.Officer@Example.kz",
    "display_name": "Ерлан Жаңа",
    "password": "a long enough pass",
    "locale": "ru",
    "verified": "y",
    "role": "officer",
    "authority": OFFICE,
}


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.kz", display_name="Admin Adminov", roles=[Role.ADMIN])


def _audit_count() -> int:
    return count(AuditEntry)


# --- new user -----------------------------------------------------------------------------


def test_new_user_form_is_linked_and_has_defaults(client, db, admin, login):
    login(admin)
    users = client.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users/new"' in users
    page = client.get("/admin/users/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="verified"' in html and "checked" in html
    assert '<option selected value="">' in html or 'value="" selected' in html
    assert 'aria-current="page"' in html


def test_create_officer_from_the_admin_page(client, db, kato, admin, login):
    from core.authorities.services import find_authority

    office = find_authority(OFFICE)
    login(admin)
    response = client.post("/admin/users/new", data=NEW)
    assert response.status_code == 302
    user = services.get_by_email("new.officer@example.kz")
    assert user is not None
    assert response.headers["Location"].endswith(f"/admin/users/{user.id}")
    assert user.display_name == "Ерлан Жаңа"
    assert user.locale == "ru"
    assert user.is_verified
    assert services.check_password(user, "a long enough pass")
    assert user.has_role(Role.OFFICER, office.id)
    actions = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.actor_id).where(AuditEntry.object_id == str(user.id))
    ).all()
    assert ("user.registered", admin.id) in actions
    assert ("user.role_granted", admin.id) in actions
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "new.officer@example.kz" in page
    assert "was created" in page


def test_create_plain_unverified_user(client, db, admin, login):
    login(admin)
    data = {**NEW, "email": "plain@example.kz", "role": "", "authority": ""}
    del data["verified"]
    assert client.post("/admin/users/new", data=data).status_code == 302
    user = services.get_by_email("plain@example.kz")
    assert not user.is_verified
    assert user.grants == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not an email"}, "valid email address"),
        ({"email": "taken@example.kz"}, "already exists"),
        ({"email": "TAKEN@example.kz "}, "already exists"),
        ({"password": "123"}, "at least"),
        ({"password": "password123"}, "too common"),
        ({"display_name": ""}, "enter the person"),
        ({"role": "officer", "authority": ""}, "must name an authority"),
        ({"role": "head", "authority": ""}, "must name an authority"),
        ({"role": "officer", "authority": "nope:1"}, "There is no authority nope:1"),
        ({"role": "officer", "authority": "999999999"}, "There is no authority 999999999"),
        ({"role": "admin", "authority": OFFICE}, "not tied to an authority"),
        ({"role": "", "authority": OFFICE}, "Choose an officer or head role"),
        ({"role": "king"}, "Not a valid choice"),
        ({"locale": "de"}, "Not a valid choice"),
    ],
)
def test_bad_input_is_explained_and_saves_nothing(client, db, kato, make_user, admin, login, changes, message):
    make_user(email="taken@example.kz")
    login(admin)
    before = (count(User), count(RoleGrant), _audit_count())
    response = client.post("/admin/users/new", data={**NEW, **changes})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "error-summary" in html
    assert 'aria-invalid="true"' in html or "error" in html
    assert (count(User), count(RoleGrant), _audit_count()) == before
    assert services.get_by_email("new.officer@example.kz") is None


# --- audit log ----------------------------------------------------------------------------


def test_audit_page_lists_entries_newest_first_and_says_intact(client, db, make_user, admin, login):
    target = make_user(email="target@example.kz")
    services.set_iin(target, "900101300126")
    audit.record("test.first", ("things", "1"), admin, note="hello", amount=3)
    audit.record("test.second", ("things", "2"), None)
    login(admin)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The audit chain is intact" in html
    assert "rows verified" in html
    assert html.index("<code>test.second</code>") < html.index("<code>test.first</code>")  # newest first
    assert "note:</span> hello" in html
    assert "amount:</span> 3" in html
    assert "Admin Adminov" in html
    assert "system" in html
    tail = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert tail.hash[:12] in html
    assert tail.hash not in html
    assert "900101300126" not in html
    assert target.iin_hash not in html
    assert 'aria-current="page"' in html


def test_audit_page_names_a_tampered_row(client, db, admin, login):
    audit.record("test.one", ("things", "1"), None, amount=1)
    victim = audit.record("test.two", ("things", "2"), None, amount=2)
    audit.record("test.three", ("things", "3"), None, amount=3)
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == victim.id).values(details='{"amount": 200}'))
    db.session.expire_all()
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert f"BROKEN at row {victim.id}" in html
    assert "does not match its hash" in html
    assert 'role="alert"' in html
    assert "intact:" not in html


def test_audit_page_survives_details_that_are_not_json(client, db, admin, login):
    victim = audit.record("test.garbled", ("things", "1"), None)
    db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == victim.id).values(details="{oops"))
    db.session.expire_all()
    login(admin)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    assert "{oops" in response.get_data(as_text=True)


def test_audit_filters(client, db, make_user, admin, login):
    other = make_user(email="other@example.kz", display_name="Other Person")
    audit.record("test.by_admin", ("things", "1"), admin)
    audit.record("test.by_other", ("things", "2"), other)
    audit.record("test.by_system", ("things", "3"), None)
    login(admin)

    by_action = client.get("/admin/audit?action=test.by_other").get_data(as_text=True)
    assert '<option value="test.by_other" selected>' in by_action
    assert "<code>test.by_other</code>" in by_action
    assert "<code>test.by_admin</code>" not in by_action
    assert "<code>test.by_system</code>" not in by_action

    by_actor = client.get("/admin/audit?actor=OTHER@example").get_data(as_text=True)
    assert "<code>test.by_other</code>" in by_actor
    assert "<code>test.by_admin</code>" not in by_actor
    assert "<code>test.by_system</code>" not in by_actor

    both = client.get("/admin/audit?action=test.by_admin&actor=other@example.kz").get_data(as_text=True)
    assert "No entries match." in both


def test_audit_pagination(client, db, admin, login):
    for n in range(55):
        audit.record("test.many", ("things", str(n)), None)
    login(admin)
    first = client.get("/admin/audit?action=test.many").get_data(as_text=True)
    assert "Page 1 of 2" in first
    assert first.count("<code>test.many</code>") == 50
    assert "page=2" in first and "action=test.many" in first
    second = client.get("/admin/audit?action=test.many&page=2").get_data(as_text=True)
    assert second.count("<code>test.many</code>") == 5
    assert client.get("/admin/audit?page=99").status_code == 200


# --- navigation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/admin/users", "/admin/users"),
        ("/admin/users/new", "/admin/users/new"),
        ("/admin/audit", "/admin/audit"),
        ("/admin/calendar/", "/admin/calendar/"),
    ],
)
def test_admin_navigation_marks_the_current_page(client, db, admin, login, path, current):
    login(admin)
    html = client.get(path).get_data(as_text=True)
    assert 'aria-label="Administration"' in html
    for href in ("/admin/users", "/admin/users/new", "/admin/audit", "/admin/calendar/"):
        assert f'href="{href}"' in html
    assert f'href="{current}" aria-current="page"' in html
    assert html.count('aria-current="page"') == 1


def test_user_page_marks_users_as_the_current_section(client, db, make_user, admin, login):
    target = make_user()
    login(admin)
    html = client.get(f"/admin/users/{target.id}").get_data(as_text=True)
    assert 'href="/admin/users" aria-current="true"' in html
