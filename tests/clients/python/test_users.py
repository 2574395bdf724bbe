"""User management through mattermostdriver: create, look up, patch, search, roles, active, password."""

import pytest
from mattermostdriver.exceptions import NoAccessTokenProvided, NotEnoughPermissions, ResourceNotFound

from helpers import ID_RE, PASSWORD, assert_app_error, raw, unique


def test_admin_creates_second_user(server, admin, new_user):
    u = new_user("second", first_name="Grace", last_name="Hopper", nickname="amazing")
    assert ID_RE.match(u["id"])
    assert u["roles"] == "system_user"
    assert u["first_name"] == "Grace" and u["last_name"] == "Hopper" and u["nickname"] == "amazing"
    assert u["email"].endswith("@example.com")
    assert "password" not in u or u["password"] == ""
    assert u["delete_at"] == 0
    # The new user can log in with the password the admin chose, and is not an admin.
    d = server.login(u["username"])
    me = d.users.get_user("me")
    assert me["id"] == u["id"]
    assert "system_admin" not in me["roles"].split()


def test_create_user_status_201(server, admin):
    name = unique("rawcreate")
    r = raw(server, "POST", "/users", token=admin.client.token,
            json={"email": f"{name}@example.com", "username": name, "password": PASSWORD})
    assert r.status_code == 201, r.text
    assert r.headers.get("Content-Type") == "application/json"
    assert r.json()["username"] == name


def test_duplicate_username_rejected(server, admin, new_user):
    u = new_user("dup")
    r = raw(server, "POST", "/users", token=admin.client.token,
            json={"email": f"other-{u['username']}@example.com", "username": u["username"],
                  "password": PASSWORD})
    assert_app_error(r, 400)


def test_non_admin_cannot_create_users(server, new_user):
    u = new_user("plain")
    d = server.login(u["username"])
    name = unique("nope")
    with pytest.raises(NotEnoughPermissions):
        d.users.create_user({"email": f"{name}@example.com", "username": name, "password": PASSWORD})


def test_get_user_by_id_username_email(admin, new_user):
    u = new_user("lookup")
    by_id = admin.users.get_user(u["id"])
    by_name = admin.users.get_user_by_username(u["username"])
    by_email = admin.users.get_user_by_email(u["email"])
    for got in (by_id, by_name, by_email):
        assert got["id"] == u["id"]
        assert got["username"] == u["username"]
        assert got["email"] == u["email"]
    with pytest.raises(ResourceNotFound):
        admin.users.get_user_by_username(unique("missing"))
    with pytest.raises(ResourceNotFound):
        admin.users.get_user_by_email(unique("missing") + "@example.com")


def test_get_users_by_ids_and_usernames(admin, new_user, first_user):
    a = new_user("bulka")
    b = new_user("bulkb")
    by_ids = admin.users.get_users_by_ids([a["id"], b["id"], first_user["id"]])
    assert isinstance(by_ids, list)
    assert {x["id"] for x in by_ids} == {a["id"], b["id"], first_user["id"]}
    by_names = admin.users.get_users_by_usernames([a["username"], b["username"]])
    assert {x["username"] for x in by_names} == {a["username"], b["username"]}


def test_list_users(admin, new_user):
    u = new_user("listed")
    users = admin.users.get_users(params={"page": 0, "per_page": 200})
    assert isinstance(users, list)
    assert u["id"] in {x["id"] for x in users}
    for x in users:
        assert "password" not in x or x["password"] == ""


def test_patch_user_as_admin_and_self(server, admin, new_user):
    u = new_user("patchme")
    patched = admin.users.patch_user(u["id"], {"nickname": "nick1", "position": "Engineer"})
    assert patched["id"] == u["id"]
    assert patched["nickname"] == "nick1"
    assert patched["position"] == "Engineer"
    assert patched["first_name"] == u["first_name"], "patch must not clear unspecified fields"
    assert patched["update_at"] >= u["update_at"]

    d = server.login(u["username"])
    mine = d.users.patch_user("me", {"first_name": "Selfie"})
    assert mine["first_name"] == "Selfie"
    assert mine["nickname"] == "nick1"
    assert admin.users.get_user(u["id"])["first_name"] == "Selfie"


def test_regular_user_cannot_patch_others(server, new_user):
    a = new_user("victim")
    b = new_user("attacker")
    d = server.login(b["username"])
    with pytest.raises(NotEnoughPermissions):
        d.users.patch_user(a["id"], {"nickname": "pwned"})


def test_search_users(admin, new_user):
    tag = unique("srch")
    u = new_user(tag, first_name="Searchable", last_name="Person")
    found = admin.users.search_users({"term": tag})
    assert isinstance(found, list)
    assert u["id"] in {x["id"] for x in found}
    nothing = admin.users.search_users({"term": unique("zzznomatch")})
    assert nothing == []


def test_autocomplete_users(admin, new_user):
    tag = unique("auto")
    u = new_user(tag)
    res = admin.users.autocomplete_users(params={"name": tag})
    assert isinstance(res, dict), res
    assert "users" in res
    assert u["id"] in {x["id"] for x in res["users"]}
    empty = admin.users.autocomplete_users(params={"name": unique("zzznomatch")})
    assert empty["users"] == []


def test_update_roles(admin, new_user):
    u = new_user("roles")
    res = admin.users.update_user_role(u["id"], {"roles": "system_user system_user_access_token"})
    assert res == {"status": "OK"}
    assert set(admin.users.get_user(u["id"])["roles"].split()) == {"system_user", "system_user_access_token"}


def test_deactivate_and_reactivate(server, admin, new_user):
    u = new_user("inactive")
    d = server.login(u["username"])
    token = d.client.token
    assert admin.users.update_user_active_status(u["id"], {"active": False}) == {"status": "OK"}
    assert admin.users.get_user(u["id"])["delete_at"] > 0
    # Deactivation revokes the user's sessions ...
    assert_app_error(raw(server, "GET", "/users/me", token=token), 401)
    # ... and login is refused with the dedicated error id.
    with pytest.raises(NoAccessTokenProvided):
        server.login(u["username"])
    r = raw(server, "POST", "/users/login",
            json={"login_id": u["username"], "password": PASSWORD, "token": None})
    assert_app_error(r, 401, "api.user.login.inactive.app_error")

    assert admin.users.update_user_active_status(u["id"], {"active": True}) == {"status": "OK"}
    assert admin.users.get_user(u["id"])["delete_at"] == 0
    assert server.login(u["username"]).users.get_user("me")["id"] == u["id"]


def test_change_own_password(server, new_user):
    u = new_user("pwchange")
    d = server.login(u["username"])
    new_pw = PASSWORD + "-new"
    # A wrong current password is refused and changes nothing.
    r = raw(server, "PUT", f"/users/{u['id']}/password", token=d.client.token,
            json={"current_password": "wrong-one", "new_password": new_pw})
    assert r.status_code in (400, 401), r.text
    assert_app_error(r, r.status_code)
    assert server.login(u["username"], PASSWORD).client.token

    res = d.users.update_user_password(u["id"], {"current_password": PASSWORD, "new_password": new_pw})
    assert res == {"status": "OK"}
    with pytest.raises(NoAccessTokenProvided):
        server.login(u["username"], PASSWORD)
    assert server.login(u["username"], new_pw).users.get_user("me")["id"] == u["id"]
