"""TOTP multi-factor authentication through mattermostdriver (codes computed here, RFC 6238)."""

import base64
import re

import pytest
from mattermostdriver.exceptions import NoAccessTokenProvided

from helpers import PASSWORD, assert_app_error, raw, safe_counter, totp_at, wait_next_counter

MFA_REQUIRED = "mfa.validate_token.authenticate.app_error"
MFA_BAD_CODE = "api.user.check_user_mfa.bad_code.app_error"


def _wrong_code(secret, counter):
    valid = {totp_at(secret, c) for c in range(counter - 3, counter + 4)}
    n = int(totp_at(secret, counter))
    while True:
        n = (n + 1) % 1_000_000
        code = f"{n:06d}"
        if code not in valid:
            return code


def _login_raw(server, login_id, token):
    return raw(server, "POST", "/users/login",
               json={"login_id": login_id, "password": PASSWORD, "token": token})


def test_mfa_generate_activate_and_login(server, admin, new_user):
    u = new_user("mfa")
    d = server.login(u["username"])

    gen = d.users.generate_mfa(u["id"])
    secret = gen["secret"]
    assert re.fullmatch(r"[A-Z2-7]+", secret), f"secret must be unpadded RFC 4648 base32: {secret!r}"
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) >= 10
    png = base64.b64decode(gen["qr_code"])
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), "qr_code must be a base64 PNG"

    # A wrong code does not activate MFA.
    counter = safe_counter()
    r = raw(server, "PUT", f"/users/{u['id']}/mfa", token=d.client.token,
            json={"activate": True, "code": _wrong_code(secret, counter)})
    assert 400 <= r.status_code < 500, r.text
    assert_app_error(r, r.status_code)
    assert d.users.get_user("me").get("mfa_active", False) is False

    counter = safe_counter()
    res = d.users.update_user_mfa(u["id"], {"activate": True, "code": totp_at(secret, counter)})
    assert res == {"status": "OK"}
    assert d.users.get_user("me")["mfa_active"] is True
    # The existing session survives activation.
    assert d.users.get_user("me")["id"] == u["id"]

    # Login without a code: the driver sends "token": null -> MFA required error.
    with pytest.raises(NoAccessTokenProvided):
        server.login(u["username"])
    assert_app_error(_login_raw(server, u["username"], None), 401, MFA_REQUIRED)
    assert_app_error(_login_raw(server, u["username"], ""), 401, MFA_REQUIRED)

    # Wrong code rejected.
    with pytest.raises(NoAccessTokenProvided):
        server.login(u["username"], mfa_token=_wrong_code(secret, safe_counter()))
    assert_app_error(_login_raw(server, u["username"], _wrong_code(secret, safe_counter())),
                     401, MFA_BAD_CODE)

    # Wrong password with a correct code is still a credentials failure.
    r = raw(server, "POST", "/users/login",
            json={"login_id": u["username"], "password": "nope-nope", "token": totp_at(secret, safe_counter())})
    assert_app_error(r, 401, "api.user.login.invalid_credentials_email_username")

    # Correct code (from a time step not used for activation, in case codes are single-use).
    counter = wait_next_counter(counter)
    mfa_driver = server.driver(login_id=u["username"], password=PASSWORD, mfa_token=totp_at(secret, counter))
    me = mfa_driver.login()
    assert me["id"] == u["id"]
    assert me["mfa_active"] is True
    assert mfa_driver.client.token
    assert mfa_driver.users.get_user("me")["id"] == u["id"]
    assert "mfa_secret" not in me or not me["mfa_secret"]

    # Deactivating MFA restores password-only login.
    res = mfa_driver.users.update_user_mfa(u["id"], {"activate": False})
    assert res == {"status": "OK"}
    assert server.login(u["username"]).users.get_user("me").get("mfa_active", False) is False


def test_mfa_not_required_for_pat(server, admin, first_user, new_user):
    """MFA guards password logins only: an active PAT keeps working for an MFA user."""
    u = new_user("mfapat")
    admin.users.update_user_role(u["id"], {"roles": "system_user system_user_access_token"})
    d = server.login(u["username"])
    pat = d.users.create_user_access_token(u["id"], {"description": "mfa user bot"})
    secret = d.users.generate_mfa(u["id"])["secret"]
    d.users.update_user_mfa(u["id"], {"activate": True, "code": totp_at(secret, safe_counter())})
    assert admin.users.get_user(u["id"])["mfa_active"] is True
    assert server.driver(token=pat["token"]).login()["id"] == u["id"]
