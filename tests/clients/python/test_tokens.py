"""Personal access tokens (PATs) through mattermostdriver, including Driver(token=PAT).login()."""

import pytest
from mattermostdriver.exceptions import NoAccessTokenProvided, NotEnoughPermissions

from helpers import ID_RE, assert_app_error, raw


def _list_tokens(driver, user_id):
    # mattermostdriver 7.3.2 has no wrapper for GET /users/{id}/tokens; use its own client.
    tokens = driver.client.get(f"/users/{user_id}/tokens", params={"page": 0, "per_page": 100})
    assert isinstance(tokens, list), tokens
    return tokens


def _revoke_token(driver, token_id):
    # ... nor for POST /users/tokens/revoke.
    return driver.client.post("/users/tokens/revoke", options={"token_id": token_id})


def test_admin_pat_lifecycle(server, admin, first_user):
    pat = admin.users.create_user_access_token(first_user["id"], {"description": "bot token"})
    assert ID_RE.match(pat["id"]), pat
    assert ID_RE.match(pat["token"]), pat
    assert pat["id"] != pat["token"]
    assert pat["user_id"] == first_user["id"]
    assert pat["description"] == "bot token"
    assert pat.get("is_active", True) is True

    # Use the PAT as the driver's token: login() = GET /users/me.
    bot = server.driver(token=pat["token"])
    me = bot.login()
    assert me["id"] == first_user["id"]
    assert bot.client.userid == first_user["id"]
    assert bot.users.get_user(first_user["id"])["username"] == first_user["username"]

    # Listed (sanitised: the secret is never shown again).
    listed = [t for t in _list_tokens(admin, first_user["id"]) if t["id"] == pat["id"]]
    assert len(listed) == 1
    assert not listed[0].get("token"), listed[0]
    assert listed[0]["description"] == "bot token"
    assert listed[0]["is_active"] is True

    single = admin.users.get_user_access_token(pat["id"])
    assert single["id"] == pat["id"] and not single.get("token")
    assert single["user_id"] == first_user["id"]

    # Disable -> the PAT stops working.
    assert admin.users.disable_personal_access_token({"token_id": pat["id"]}) == {"status": "OK"}
    assert admin.users.get_user_access_token(pat["id"])["is_active"] is False
    with pytest.raises(NoAccessTokenProvided):
        server.driver(token=pat["token"]).login()
    assert_app_error(raw(server, "GET", "/users/me", token=pat["token"]), 401)

    # Enable -> it works again.
    assert admin.users.enable_personal_access_token({"token_id": pat["id"]}) == {"status": "OK"}
    assert admin.users.get_user_access_token(pat["id"])["is_active"] is True
    assert server.driver(token=pat["token"]).login()["id"] == first_user["id"]

    # Revoke -> gone for good.
    assert _revoke_token(admin, pat["id"]) == {"status": "OK"}
    with pytest.raises(NoAccessTokenProvided):
        server.driver(token=pat["token"]).login()
    assert pat["id"] not in {t["id"] for t in _list_tokens(admin, first_user["id"])}


def test_pat_create_status_201(server, admin, first_user):
    r = raw(server, "POST", f"/users/{first_user['id']}/tokens", token=admin.client.token,
            json={"description": "raw"})
    assert r.status_code == 201, r.text
    assert r.headers.get("Content-Type") == "application/json"
    body = r.json()
    assert ID_RE.match(body["token"])
    assert _revoke_token(admin, body["id"]) == {"status": "OK"}


def test_pat_requires_role_for_regular_user(server, admin, new_user):
    u = new_user("patuser")
    d = server.login(u["username"])
    with pytest.raises(NotEnoughPermissions):
        d.users.create_user_access_token(u["id"], {"description": "not yet"})

    admin.users.update_user_role(u["id"], {"roles": "system_user system_user_access_token"})
    # Role change applies to the already-open session.
    pat = d.users.create_user_access_token(u["id"], {"description": "now allowed"})
    assert pat["user_id"] == u["id"]
    assert ID_RE.match(pat["token"])
    bot = server.driver(token=pat["token"])
    assert bot.login()["username"] == u["username"]
    assert [t["id"] for t in _list_tokens(d, u["id"])] == [pat["id"]]

    # A regular user cannot create tokens for somebody else.
    other = new_user("patother")
    with pytest.raises(NotEnoughPermissions):
        d.users.create_user_access_token(other["id"], {"description": "for someone else"})


def test_list_all_tokens_as_admin(admin, first_user):
    pat = admin.users.create_user_access_token(first_user["id"], {"description": "listed for admin"})
    try:
        # GET /users/tokens (admin: every user's tokens); no driver wrapper, use its client.
        all_tokens = admin.client.get("/users/tokens", params={"page": 0, "per_page": 200})
        assert isinstance(all_tokens, list), all_tokens
        mine = [t for t in all_tokens if t["id"] == pat["id"]]
        assert len(mine) == 1 and not mine[0].get("token")
    finally:
        _revoke_token(admin, pat["id"])


def test_search_tokens_as_admin(admin, first_user):
    pat = admin.users.create_user_access_token(first_user["id"], {"description": "searchable"})
    try:
        found = admin.users.search_tokens({"term": first_user["username"]})
        assert isinstance(found, list)
        assert pat["id"] in {t["id"] for t in found}
        assert all(not t.get("token") for t in found)
    finally:
        _revoke_token(admin, pat["id"])
