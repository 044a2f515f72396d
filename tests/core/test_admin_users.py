"""User administration: pages, role grants, (de)activation, permissions and the ``flask users`` CLI."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.accounts import permissions, services
from core.accounts.models import Role, RoleGrant, User
from core.audit import AuditEntry
from core.calendar import CalendarDay
from core.db import commit
from tests.conftest import count


@pytest.fixture
def authority(db):
    from core.authorities.models import Authority, AuthorityKind

    item = Authority(
        key="test:akimat",
        kind=AuthorityKind.DISTRICT_AKIMAT,
        name_kk="Сынақ әкімдігі",
        name_ru="Тестовый акимат",
        name_en="Test akimat",
    )
    db.session.add(item)
    db.session.flush()
    return item


@pytest.fixture
def admin(make_user):
    return make_user(email="admin@example.kz", display_name="Admin Adminov", roles=[Role.ADMIN])


ADMIN_ROUTES = [
    ("get", "/admin/users"),
    ("get", "/admin/users/{id}"),
    ("post", "/admin/users/{id}/grant"),
    ("post", "/admin/users/{id}/revoke"),
    ("post", "/admin/users/{id}/active"),
    ("get", "/admin/users/new"),
    ("post", "/admin/users/new"),
    ("get", "/admin/audit"),
    ("get", "/admin/calendar/"),
    ("post", "/admin/calendar/"),
    ("post", "/admin/calendar/2026-05-27/delete"),
]


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("who", ["anonymous", "citizen", "moderator", "officer"])
def test_admin_routes_are_for_admins_only(client, db, make_user, login, authority, method, path, who):
    target = make_user()
    url = path.format(id=target.id)
    if who != "anonymous":
        roles = {"citizen": [], "moderator": [Role.MODERATOR], "officer": [(Role.OFFICER, authority)]}[who]
        login(make_user(roles=roles))
    data = {
        "role": "admin",
        "grant_id": "1",
        "active": "0",
        "email": "intruder@example.kz",
        "display_name": "X",
        "day": "2026-11-23",
        "kind": "day_off",
    }
    users = count(User)
    response = getattr(client, method)(url, data={**data, "password": "a long enough pass", "authority": ""})
    if who == "anonymous":
        assert response.status_code == 302
        assert "/account/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert not target.is_admin
    assert target.active
    assert count(User) == users
    assert count(CalendarDay) == 0


def test_permission_predicates(db, make_user, admin):
    citizen = make_user()
    assert permissions.can_manage_users(admin)
    assert not permissions.can_manage_users(citizen)
    assert not permissions.can_manage_users(None)
    assert permissions.can_change_active(admin, citizen)
    assert not permissions.can_change_active(admin, admin)
    assert not permissions.can_change_active(citizen, admin)
    admin.active = False
    assert not permissions.can_manage_users(admin)


def test_user_list_search_and_pagination(client, db, make_user, admin, login):
    for n in range(30):
        make_user(email=f"person{n:02d}@example.kz", display_name=f"Person {n:02d}")
    login(admin)
    first = client.get("/admin/users")
    assert first.status_code == 200
    assert b"Page 1 of 2" in first.data
    second = client.get("/admin/users?page=2")
    assert b"Page 2 of 2" in second.data
    found = client.get("/admin/users?q=person07").get_data(as_text=True)
    assert "person07@example.kz" in found
    assert "person08@example.kz" not in found
    assert client.get("/admin/users?page=99").status_code == 200


def test_grant_and_revoke_through_the_pages(client, db, make_user, admin, login, authority):
    target = make_user()
    login(admin)
    page = client.get(f"/admin/users/{target.id}?aq=Test")
    assert page.status_code == 200
    assert b"test:akimat" in page.data

    response = client.post(f"/admin/users/{target.id}/grant", data={"role": "officer", "authority": "test:akimat"})
    assert response.status_code == 302
    assert target.has_role(Role.OFFICER, authority.id)
    client.post(f"/admin/users/{target.id}/grant", data={"role": "officer", "authority": str(authority.id)})
    assert len(target.grants) == 1

    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "user.role_granted").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.actor_id == admin.id
    assert entry.object_id == str(target.id)

    grant = target.grants[0]
    assert client.post(f"/admin/users/{target.id}/revoke", data={"grant_id": str(grant.id)}).status_code == 302
    assert target.grants == []
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "user.role_revoked"))
    assert entry.actor_id == admin.id


def test_grant_errors_are_clear_and_save_nothing(client, db, make_user, admin, login):
    target = make_user()
    login(admin)
    grants = count(RoleGrant)
    officer_without = client.post(f"/admin/users/{target.id}/grant", data={"role": "officer", "authority": ""})
    assert officer_without.status_code == 400
    assert b"must name an authority" in officer_without.data
    unknown = client.post(f"/admin/users/{target.id}/grant", data={"role": "head", "authority": "nope:1"})
    assert unknown.status_code == 404
    assert b"There is no authority nope:1" in unknown.data
    bad_role = client.post(f"/admin/users/{target.id}/grant", data={"role": "king", "authority": ""})
    assert bad_role.status_code == 400
    assert count(RoleGrant) == grants


def test_revoke_someone_elses_grant_is_404(client, db, make_user, admin, login):
    target = make_user()
    other = make_user(roles=[Role.MODERATOR])
    login(admin)
    response = client.post(f"/admin/users/{target.id}/revoke", data={"grant_id": str(other.grants[0].id)})
    assert response.status_code == 404
    assert other.is_moderator


def test_deactivate_and_activate(client, db, make_user, admin, login):
    target = make_user()
    version = target.session_version
    login(admin)
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "0"}).status_code == 302
    assert not target.active
    assert target.session_version == version + 1
    assert client.post(f"/admin/users/{target.id}/active", data={"active": "1"}).status_code == 302
    assert target.active
    logged = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_id == str(target.id), AuditEntry.actor_id == admin.id)
    ).all()
    assert "user.deactivated" in logged
    assert "user.activated" in logged


def test_admin_cannot_deactivate_themselves(client, db, admin, login):
    login(admin)
    assert client.post(f"/admin/users/{admin.id}/active", data={"active": "0"}).status_code == 403
    assert admin.active


def test_admin_user_page_never_shows_the_iin(client, db, make_user, admin, login):
    target = make_user()
    services.set_iin(target, "900101300126")
    login(admin)
    page = client.get(f"/admin/users/{target.id}")
    assert b"IIN added on" in page.data
    assert b"900101300126" not in page.data
    assert target.iin_hash.encode() not in page.data


def test_unknown_user_is_404(client, db, admin, login):
    login(admin)
    assert client.get("/admin/users/999999").status_code == 404


# --- CLI ----------------------------------------------------------------------------------


def test_cli_create_grant_revoke_list(runner, db, authority):
    commit()
    result = runner.invoke(
        args=[
            "users", "create", "Boss@Example.kz", "--name", "Boss", "--password", "a long enough pass",
            "--locale", "ru", "--role", "admin",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "boss@example.kz"))
    assert user.is_admin
    assert user.is_verified
    assert user.locale == "ru"

    result = runner.invoke(args=["users", "grant", "boss@example.kz", "officer", "--authority", "test:akimat"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["users", "grant", "boss@example.kz", "officer", "--authority", str(authority.id)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert len(user.grants) == 2  # admin + officer, not duplicated

    result = runner.invoke(args=["users", "list"])
    assert "boss@example.kz" in result.output
    assert "officer@test:akimat" in result.output
    result = runner.invoke(args=["users", "list", "--role", "moderator"])
    assert "boss@example.kz" not in result.output

    result = runner.invoke(args=["users", "revoke", "boss@example.kz", "officer", "--authority", "test:akimat"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert not user.has_role(Role.OFFICER)


def test_cli_create_prompts_for_the_password_and_can_leave_unverified(runner, db):
    result = runner.invoke(
        args=["users", "create", "prompt@example.kz", "--name", "Prompted", "--unverified"],
        input="a long enough pass\na long enough pass\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "prompt@example.kz"))
    assert user is not None
    assert not user.is_verified


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["users", "create", "bad", "--name", "X", "--password", "a long enough pass"], "valid email"),
        (["users", "create", "weak@example.kz", "--name", "X", "--password", "123"], "at least"),
        (["users", "grant", "nobody@example.kz", "admin"], "no user with email"),
        (["users", "grant", "cli@example.kz", "officer"], "must name an authority"),
        (["users", "grant", "cli@example.kz", "admin", "--authority", "missing"], "no authority"),
        (["users", "revoke", "cli@example.kz", "moderator"], "does not hold"),
        (
            ["users", "create", "cli@example.kz", "--name", "X", "--password", "a long enough pass"],
            "already exists",
        ),
    ],
)
def test_cli_errors(runner, db, make_user, args, message):
    make_user(email="cli@example.kz")
    commit()
    users, grants = count(User), count(RoleGrant)
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert (count(User), count(RoleGrant)) == (users, grants)
