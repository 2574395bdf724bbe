"""Helpers shared by the mattermostdriver compatibility tests (no pytest fixtures here)."""

import base64
import hashlib
import hmac
import re
import struct
import time
import uuid

PASSWORD = "Conclave-Passw0rd!"
ID_RE = re.compile(r"^[a-z0-9]{26}$")


def unique(prefix):
    return f"{prefix}{uuid.uuid4().hex[:10]}"


# --- TOTP (RFC 6238 / RFC 4226), SHA1, 30 s step, 6 digits -------------------------------------

def totp_at(secret_b32, counter, digits=6):
    s = secret_b32.strip().replace(" ", "").upper()
    key = base64.b32decode(s + "=" * (-len(s) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % (10 ** digits)
    return f"{code:0{digits}d}"


def totp_counter(now=None):
    return int((time.time() if now is None else now) // 30)


def safe_counter(margin=3.0):
    """Current TOTP counter, first waiting out the last `margin` seconds of a window so the
    code cannot roll over between computing and the server checking it."""
    now = time.time()
    if 30 - (now % 30) < margin:
        time.sleep(30 - (now % 30) + 0.2)
    return totp_counter()


def wait_next_counter(counter):
    """Sleep until the TOTP counter is past `counter` (so a fresh, never-used code exists)."""
    while totp_counter() <= counter:
        time.sleep(0.25)
    return safe_counter()


def raw(server, method, path, token=None, **kw):
    """A plain `requests` call (the driver's own HTTP library) for asserting on status codes,
    headers and error bodies, which the driver's exceptions do not expose."""
    import requests
    headers = kw.pop("headers", {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, server.api + path, headers=headers, timeout=30, **kw)


def assert_app_error(resp, status, error_id=None):
    """Assert a Mattermost AppError response: exact JSON content type, the status, and the
    standard body fields; `error_id` (if given) must match `id` exactly."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    assert resp.headers.get("Content-Type") == "application/json", resp.headers.get("Content-Type")
    body = resp.json()
    assert isinstance(body, dict), body
    for key in ("id", "message", "request_id", "status_code"):
        assert key in body, f"error body lacks {key!r}: {body}"
    assert isinstance(body["id"], str) and body["id"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert body["status_code"] == status, body
    assert ID_RE.match(body["request_id"]), body
    assert resp.headers.get("X-Request-Id") == body["request_id"], (resp.headers, body)
    if error_id is not None:
        assert body["id"] == error_id, body
    return body
