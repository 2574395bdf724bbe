"""Sign-up, login/logout, wrong password, protocol conventions — driven by mattermostdriver."""

import re
import uuid

import pytest
from mattermostdriver.exceptions import (
    InvalidOrMissingParameters,
    NoAccessTokenProvided,
    NotEnoughPermissions,
    ResourceNotFound,
)

from helpers import ID_RE, PASSWORD, assert_app_error, raw, unique


def test_system_ping_via_driver(server):
    anon = server.driver()
    body = anon.system.check_system_health()
    # The driver only parses the body if Content-Type is exactly application/json.
    assert isinstance(body, dict), f"ping did not come back as parsed JSON: {body!r}"
    assert body["status"] == "OK"


def test_first_signup_becomes_system_admin(first_user):
    assert ID_RE.match(first_user["id"])
    assert set(first_user["roles"].split()) == {"system_admin", "system_user"}
    assert first_user["username"].startswith("admin")
    assert "password" not in first_user or first_user["password"] == ""
    assert first_user["delete_at"] == 0
    assert isinstance(first_user["create_at"], int) and first_user["create_at"] > 1_500_000_000_000


def test_open_signup_closed_after_first_user(server, admin):
    anon = server.driver()
    name = unique("late")
    # Mattermost: EnableOpenServer=false -> 403 api.user.create_user.no_open_server.app_error
    with pytest.raises(NotEnoughPermissions):
        anon.users.create_user({"email": f"{name}@example.com", "username": name, "password": PASSWORD})
    with pytest.raises(ResourceNotFound):
        admin.users.get_user_by_username(name)


def test_login_with_username_returns_user_and_sets_token(server, first_user):
    d = server.driver(login_id=first_user["username"], password=PASSWORD)
    me = d.login()
    assert me["id"] == first_user["id"]
    assert d.client.userid == first_user["id"]
    assert d.client.username == first_user["username"]
    # The driver reads the session token from the `Token` header of a 200 login response.
    assert ID_RE.match(d.client.token), d.client.token
    assert "password" not in me or me["password"] == ""


def test_login_with_email_case_insensitive(server, first_user):
    d = server.driver(login_id=first_user["email"].upper(), password=PASSWORD)
    me = d.login()
    assert me["id"] == first_user["id"]
    assert d.client.token


def test_login_raw_status_is_200_with_token_header(server, first_user):
    # Exactly what the driver sends: token key present and null.
    r = raw(server, "POST", "/users/login",
            json={"login_id": first_user["username"], "password": PASSWORD, "token": None})
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/json"
    assert ID_RE.match(r.headers.get("Token", "")), r.headers
    assert r.json()["id"] == first_user["id"]


def test_get_me(admin, first_user):
    me = admin.users.get_user("me")
    assert me["id"] == first_user["id"]
    assert me["username"] == first_user["username"]
    assert me["email"] == first_user["email"]
    assert set(me["roles"].split()) == {"system_admin", "system_user"}
    assert me["first_name"] == "Ada"
    assert me["last_name"] == "Admin"


def test_wrong_password_rejected(server, first_user):
    d = server.driver(login_id=first_user["username"], password="not-the-password")
    with pytest.raises(NoAccessTokenProvided):
        d.login()
    assert d.client.token == ""
    r = raw(server, "POST", "/users/login",
            json={"login_id": first_user["username"], "password": "not-the-password", "token": None})
    assert_app_error(r, 401, "api.user.login.invalid_credentials_email_username")


def test_unknown_user_login_masked_as_invalid_credentials(server):
    r = raw(server, "POST", "/users/login",
            json={"login_id": unique("ghost"), "password": PASSWORD, "token": None})
    assert_app_error(r, 401, "api.user.login.invalid_credentials_email_username")


def test_blank_password_rejected(server, first_user):
    d = server.driver(login_id=first_user["username"], password="")
    with pytest.raises(InvalidOrMissingParameters):
        d.login()
    r = raw(server, "POST", "/users/login",
            json={"login_id": first_user["username"], "password": "", "token": None})
    assert_app_error(r, 400, "api.user.login.blank_pwd.app_error")


def test_logout_invalidates_token(server, first_user):
    d = server.login(first_user["username"])
    token = d.client.token
    assert d.users.get_user("me")["id"] == first_user["id"]
    result = d.logout()
    assert result == {"status": "OK"}
    assert d.client.token == ""
    # The old token is now dead: the driver raises its 401 exception class.
    stale = server.driver(token=token)
    with pytest.raises(NoAccessTokenProvided):
        stale.login()
    r = raw(server, "GET", "/users/me", token=token)
    assert_app_error(r, 401)


def test_unauthenticated_request_is_401(server):
    anon = server.driver()
    with pytest.raises(NoAccessTokenProvided):
        anon.users.get_user("me")
    assert_app_error(raw(server, "GET", "/users/me"), 401, "api.context.session_expired.app_error")


def test_get_with_json_body_is_tolerated(server, admin):
    # requests + the driver send `{}` bodies on GET; make sure a GET with a body works.
    r = raw(server, "GET", "/users/me", token=admin.client.token, json={})
    assert r.status_code == 200, r.text
    assert r.json()["id"] == admin.client.userid


def test_response_headers(server, admin):
    r = raw(server, "GET", "/users/me", token=admin.client.token)
    assert r.status_code == 200
    assert r.headers.get("Content-Type") == "application/json"
    assert ID_RE.match(r.headers.get("X-Request-Id", "")), r.headers
    version = r.headers.get("X-Version-Id", "")
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)(\.|$)", version)
    assert m, f"X-Version-Id not <major>.<minor>.<patch>...: {version!r}"
    # The mobile app refuses servers whose X-Version-Id is below 9.11.0.
    assert tuple(int(x) for x in m.groups()[:3]) >= (9, 11, 0), version
    # Each request gets its own request id.
    r2 = raw(server, "GET", "/users/me", token=admin.client.token)
    assert r2.headers.get("X-Request-Id") != r.headers.get("X-Request-Id")
    assert r2.headers.get("X-Version-Id") == version


def test_anonymous_ping_headers(server):
    r = raw(server, "GET", "/system/ping")
    assert r.status_code == 200
    assert r.headers.get("Content-Type") == "application/json"
    assert ID_RE.match(r.headers.get("X-Request-Id", ""))
    assert r.headers.get("X-Version-Id")
    assert r.json()["status"] == "OK"


def test_error_shape_on_missing_user(server, admin):
    missing = uuid.uuid4().hex[:26]  # 26 lowercase alnum chars: a valid-looking id
    with pytest.raises(ResourceNotFound):
        admin.users.get_user(missing)
    r = raw(server, "GET", f"/users/{missing}", token=admin.client.token)
    assert_app_error(r, 404)


def test_error_shape_on_unknown_route(server, admin):
    r = raw(server, "GET", "/no_such_route/at_all", token=admin.client.token)
    assert_app_error(r, 404)


def test_error_shape_on_bad_id(server, admin):
    # Alphanumeric but not 26 chars: routed as a user id, rejected by id validation.
    with pytest.raises(InvalidOrMissingParameters):
        admin.users.get_user("abc123")
    r = raw(server, "GET", "/users/abc123", token=admin.client.token)
    assert_app_error(r, 400)


def test_client_config_and_license(server, admin):
    anon = server.driver()
    cfg = anon.system.get_client_configuration(params={"format": "old"})
    assert isinstance(cfg, dict), cfg
    assert cfg.get("DiagnosticId"), "DiagnosticId must be non-empty (mobile refuses otherwise)"
    assert cfg.get("Version")
    assert all(isinstance(v, str) for v in cfg.values()), "all client config values are strings"
    lic = admin.system.get_client_license(params={"format": "old"})
    assert isinstance(lic, dict)
    assert lic.get("IsLicensed") == "false"


def test_lockout_after_max_failed_attempts_and_admin_reset(server, admin, new_user):
    u = new_user("lockout")
    for _ in range(10):  # ServiceSettings.MaximumLoginAttempts default
        with pytest.raises(NoAccessTokenProvided):
            server.login(u["username"], "wrong-password")
    # Now even the right password is refused, with the dedicated error id.
    with pytest.raises(NoAccessTokenProvided):
        server.login(u["username"])
    r = raw(server, "POST", "/users/login", json={"login_id": u["username"], "password": PASSWORD, "token": None})
    assert_app_error(r, 401, "api.user.check_user_login_attempts.too_many.app_error")
    # Admin unlock (no driver wrapper; use the driver's client).
    assert admin.client.post(f"/users/{u['id']}/reset_failed_attempts") == {"status": "OK"}
    assert server.login(u["username"]).users.get_user("me")["id"] == u["id"]
