"""Session listing and revocation through mattermostdriver."""

import pytest
from mattermostdriver.exceptions import NoAccessTokenProvided, NotEnoughPermissions

from helpers import ID_RE, assert_app_error, raw


def _session_ids(driver, user_id):
    sessions = driver.users.get_user_sessions(user_id)
    assert isinstance(sessions, list), sessions
    return sessions


def test_sessions_listed_with_blank_tokens(server, new_user):
    u = new_user("sess")
    d1 = server.login(u["username"])
    d2 = server.login(u["username"])
    assert d1.client.token != d2.client.token
    sessions = _session_ids(d1, u["id"])
    assert len(sessions) >= 2, sessions
    for s in sessions:
        assert ID_RE.match(s["id"]), s
        assert s["user_id"] == u["id"]
        assert not s.get("token"), f"session listing must not leak tokens: {s}"
        assert isinstance(s["create_at"], int) and s["create_at"] > 0
        assert isinstance(s.get("expires_at", 0), int)
        assert isinstance(s.get("props", {}), dict)
    # Session ids are not the tokens.
    ids = {s["id"] for s in sessions}
    assert d1.client.token not in ids and d2.client.token not in ids


def test_revoke_one_session(server, new_user):
    u = new_user("revone")
    keeper = server.login(u["username"])
    before = {s["id"] for s in _session_ids(keeper, u["id"])}
    victim = server.login(u["username"])
    after = {s["id"] for s in _session_ids(keeper, u["id"])}
    new_ids = after - before
    assert len(new_ids) == 1, (before, after)
    victim_sid = new_ids.pop()

    assert victim.users.get_user("me")["id"] == u["id"]
    res = keeper.users.revoke_user_session(u["id"], {"session_id": victim_sid})
    assert res == {"status": "OK"}

    # The revoked token is dead: the driver raises NoAccessTokenProvided (HTTP 401).
    with pytest.raises(NoAccessTokenProvided):
        victim.users.get_user("me")
    assert_app_error(raw(server, "GET", "/users/me", token=victim.client.token), 401)
    # The other session still works and no longer lists the revoked one.
    remaining = {s["id"] for s in _session_ids(keeper, u["id"])}
    assert victim_sid not in remaining
    assert keeper.users.get_user("me")["id"] == u["id"]


def test_revoke_all_sessions(server, new_user):
    u = new_user("revall")
    drivers = [server.login(u["username"]) for _ in range(3)]
    assert len(_session_ids(drivers[0], u["id"])) >= 3
    res = drivers[0].users.revoke_all_user_sessions(u["id"])
    assert res == {"status": "OK"}
    for d in drivers:  # including the caller's own session
        with pytest.raises(NoAccessTokenProvided):
            d.users.get_user("me")
    # A fresh login works and sees only its own session.
    fresh = server.login(u["username"])
    remaining = _session_ids(fresh, u["id"])
    assert len(remaining) == 1, remaining


def test_admin_revokes_other_users_session(server, admin, new_user):
    u = new_user("admrev")
    d = server.login(u["username"])
    sessions = admin.users.get_user_sessions(u["id"])
    assert len(sessions) == 1, sessions
    assert admin.users.revoke_user_session(u["id"], {"session_id": sessions[0]["id"]}) == {"status": "OK"}
    with pytest.raises(NoAccessTokenProvided):
        d.users.get_user("me")
    assert admin.users.get_user("me")["id"] == admin.client.userid


def test_user_cannot_list_or_revoke_others_sessions(server, admin, new_user):
    a = new_user("sessa")
    b = new_user("sessb")
    da = server.login(a["username"])
    db = server.login(b["username"])
    with pytest.raises(NotEnoughPermissions):
        db.users.get_user_sessions(a["id"])
    sid = _session_ids(da, a["id"])[0]["id"]
    with pytest.raises(NotEnoughPermissions):
        db.users.revoke_user_session(a["id"], {"session_id": sid})
    assert da.users.get_user("me")["id"] == a["id"]
