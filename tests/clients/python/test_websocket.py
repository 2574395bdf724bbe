"""The WebSocket (`/api/v4/websocket`), driven through mattermostdriver's own `init_websocket`.

The driver connects with the `websockets` library, sends `authentication_challenge` with its
token, waits for `hello` with seq 0, then hands every frame to the event handler until
`disconnect()`; while idle it sends an unsolicited pong every `timeout` seconds. It blocks its
event loop, so each listener runs it in a thread with a loop of its own. The driver never closes
its connection itself, so its `websocket_kw_args` option hands `websockets.connect` a connection
class that records each connection, and the listener closes them once the driver has returned.
"""

import asyncio
import base64
import json
import os
import socket
import struct
import threading
import time
import uuid

import pytest

from websockets.asyncio.client import ClientConnection

from helpers import ID_RE, PASSWORD

# The driver's `timeout` option: idle seconds between its keepalive pongs, and so also the
# longest a listener takes to notice disconnect().
WS_IDLE = 1


class Listener:
    """mattermostdriver's websocket in a thread; every frame it gets, parsed, in `frames`."""

    def __init__(self, driver, label):
        self.driver = driver
        self.label = label
        self.frames = []
        self.cond = threading.Condition()
        self.error = None
        self.connections = []  # every websockets connection the driver opened
        conns = self.connections

        class Recorded(ClientConnection):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                conns.append(self)

        driver.options["websocket_kw_args"] = {"create_connection": Recorded}
        self.thread = threading.Thread(target=self._run, name=f"ws-{label}", daemon=True)

    def _run(self):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self.driver.init_websocket(self._handle)
        except BaseException as e:  # surfaced by wait_for / stop
            self.error = e
        finally:
            # The driver returns without closing its connection: close it (a close frame, as a
            # client leaving would send), then end whatever it left running.
            for conn in self.connections:
                loop.run_until_complete(conn.close())
            pending = asyncio.all_tasks(loop)
            for t in pending:
                t.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    async def _handle(self, message):
        msg = json.loads(message)
        with self.cond:
            self.frames.append(msg)
            self.cond.notify_all()

    @property
    def events(self):
        with self.cond:
            return [f for f in self.frames if "event" in f]

    def of_type(self, name):
        return [e for e in self.events if e["event"] == name]

    def diag(self):
        with self.cond:
            lines = [json.dumps(f)[:300] for f in self.frames]
        return f"{self.label}: alive={self.thread.is_alive()} error={self.error!r}\n  " + "\n  ".join(lines)

    def wait_for(self, what, pred, timeout=10):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for f in self.frames:
                    if pred(f):
                        return f
                left = deadline - time.monotonic()
                if left <= 0 or self.error is not None:
                    break
                self.cond.wait(min(left, 0.2))
        pytest.fail(f"timed out after {timeout} s waiting for {what}\n{self.diag()}")

    def start(self):
        self.thread.start()
        return self.wait_for("hello", lambda e: e.get("event") == "hello")

    def posted(self, post_id, timeout=10):
        return self.wait_for(
            f"posted {post_id}",
            lambda e: e.get("event") == "posted" and json.loads(e["data"]["post"])["id"] == post_id,
            timeout)

    def assert_contiguous(self):
        seqs = [e["seq"] for e in self.events]
        assert seqs == list(range(len(seqs))), f"seqs {seqs}\n{self.diag()}"

    def stop(self):
        self.driver.disconnect()
        self.thread.join(WS_IDLE + 10)
        assert not self.thread.is_alive(), f"websocket thread still running after disconnect()\n{self.diag()}"
        assert self.error is None, self.diag()


@pytest.fixture
def listeners():
    started = []

    def listen(driver, label):
        lst = Listener(driver, label)
        started.append(lst)
        return lst

    yield listen
    for lst in started:
        if lst.thread.is_alive():
            lst.driver.disconnect()
    for lst in started:
        lst.thread.join(WS_IDLE + 10)


def login(server, username):
    d = server.driver(login_id=username, password=PASSWORD, timeout=WS_IDLE)
    d.login()
    return d


class World:
    pass


def make_world(server, admin_driver, admin_user):
    """alice (admin) creates a team and the public channel `sockets` with bob in it; dave is on
    the team only."""
    w = World()
    w.alice, w.alice_user = admin_driver, admin_user
    sfx = uuid.uuid4().hex[:8]
    users = {}
    for name in ("bob", "dave"):
        users[name] = admin_driver.users.create_user({
            "email": f"{name}{sfx}@example.com", "username": f"{name}{sfx}", "password": PASSWORD,
            "first_name": name.title(), "last_name": "User"})
    w.bob_user, w.dave_user = users["bob"], users["dave"]
    w.team = admin_driver.teams.create_team({"name": f"sockets{sfx}", "display_name": "Sockets", "type": "O"})
    for u in users.values():
        admin_driver.teams.add_user_to_team(w.team["id"], {"team_id": w.team["id"], "user_id": u["id"]})
    w.chan = admin_driver.channels.create_channel({
        "team_id": w.team["id"], "name": "sockets", "display_name": "Sockets", "type": "O"})
    admin_driver.channels.add_user(w.chan["id"], {"user_id": w.bob_user["id"]})
    w.town = admin_driver.channels.get_channel_by_name(w.team["id"], "town-square")
    return w


@pytest.fixture(scope="module")
def w(server, admin, first_user):
    return make_world(server, admin, first_user)


def test_hello_then_posted_with_mattermost_fields(server, w, listeners):
    bob = listeners(login(server, w.bob_user["username"]), "bob")
    dave = listeners(login(server, w.dave_user["username"]), "dave")
    hello = bob.start()
    dave_hello = dave.start()

    assert hello["seq"] == 0
    assert ID_RE.match(hello["data"]["connection_id"]), hello
    assert isinstance(hello["data"]["server_version"], str) and hello["data"]["server_version"]
    assert hello["broadcast"]["user_id"] == w.bob_user["id"]
    assert dave_hello["data"]["connection_id"] != hello["data"]["connection_id"]
    # The driver's challenge (seq 1) was answered (before or after hello).
    reply = bob.wait_for("the challenge's reply", lambda f: "seq_reply" in f)
    assert (reply["seq_reply"], reply["status"]) == (1, "OK"), bob.diag()

    post = w.alice.posts.create_post({"channel_id": w.chan["id"], "message": "hello from the driver"})
    ev = bob.posted(post["id"])
    assert isinstance(ev["data"]["post"], str), "data.post is a JSON string"
    p = json.loads(ev["data"]["post"])
    assert p["id"] == post["id"]
    assert p["message"] == "hello from the driver"
    assert p["channel_id"] == w.chan["id"]
    assert p["user_id"] == w.alice_user["id"]
    assert p["create_at"] == post["create_at"]
    assert ev["data"]["channel_type"] == "O"
    assert ev["data"]["channel_name"] == "sockets"
    assert ev["data"]["channel_display_name"] == "Sockets"
    assert ev["data"]["sender_name"] == "@" + w.alice_user["username"]
    assert ev["data"]["team_id"] == w.team["id"]
    assert ev["broadcast"]["channel_id"] == w.chan["id"]

    # Edit, react, delete: Mattermost's events, each carrying the JSON-string object.
    w.alice.posts.patch_post(post["id"], {"message": "edited"})
    ev = bob.wait_for("post_edited", lambda e: e.get("event") == "post_edited")
    edited = json.loads(ev["data"]["post"])
    assert (edited["id"], edited["message"]) == (post["id"], "edited")
    assert edited["edit_at"] > 0
    assert ev["broadcast"]["channel_id"] == w.chan["id"]

    w.alice.reactions.create_reaction({"user_id": w.alice_user["id"], "post_id": post["id"], "emoji_name": "tada"})
    ev = bob.wait_for("reaction_added", lambda e: e.get("event") == "reaction_added")
    reaction = json.loads(ev["data"]["reaction"])
    assert (reaction["user_id"], reaction["post_id"], reaction["emoji_name"]) == (w.alice_user["id"], post["id"], "tada")
    assert ev["broadcast"]["channel_id"] == w.chan["id"]

    w.alice.posts.delete_post(post["id"])
    ev = bob.wait_for("post_deleted", lambda e: e.get("event") == "post_deleted")
    assert json.loads(ev["data"]["post"])["id"] == post["id"]
    assert ev["broadcast"]["channel_id"] == w.chan["id"]

    # dave is not in `sockets`: none of that reached him. A town-square post is the barrier
    # (events arrive in order).
    barrier = w.alice.posts.create_post({"channel_id": w.town["id"], "message": "barrier"})
    dave.posted(barrier["id"])
    bob.posted(barrier["id"])
    names = {e["event"] for e in dave.events}
    assert not names & {"post_edited", "reaction_added", "post_deleted"}, dave.diag()
    assert [json.loads(e["data"]["post"])["id"] for e in dave.of_type("posted")] == [barrier["id"]], dave.diag()

    for lst in (bob, dave):
        lst.assert_contiguous()
        assert len(lst.of_type("hello")) == 1
    bob.stop()
    dave.stop()


# --- keepalive ----------------------------------------------------------------------------------

def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError
        buf += chunk
    return buf


def silent_socket_lifetime(server, token, limit=15):
    """Control for the keepalive test: a bare WebSocket (plain TCP, Bearer token) that never
    answers pings. Returns (seconds until the server's close frame, ping frames seen, close code)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=limit)
    try:
        key = base64.b64encode(os.urandom(16)).decode()
        sock.sendall((
            f"GET /api/v4/websocket HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += _recv_exact(sock, 1)
        status_line = head.split(b"\r\n", 1)[0]
        assert b" 101 " in status_line, head
        start = time.monotonic()
        pings = 0
        while True:
            b0, b1 = _recv_exact(sock, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", _recv_exact(sock, 2))[0]
            elif n == 127:
                n = struct.unpack(">Q", _recv_exact(sock, 8))[0]
            payload = _recv_exact(sock, n)
            opcode = b0 & 0x0F
            if opcode == 0x9:
                pings += 1
            elif opcode == 0x8:
                code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else None
                return time.monotonic() - start, pings, code
    finally:
        sock.close()


def test_driver_keepalive_outlives_server_read_timeout(make_server, listeners):
    """With the server pinging every second and closing sockets silent for 3 s, the driver's
    connection (the websockets library answers pings; the driver adds unsolicited pongs when
    idle) is still the same, live connection after 6 idle seconds."""
    srv = make_server(env={
        "CONCLAVE_REALTIME_PING_INTERVAL_SECS": "1",
        "CONCLAVE_REALTIME_READ_TIMEOUT_SECS": "3",
    }, tag="keepalive")
    anon = srv.driver()
    sfx = uuid.uuid4().hex[:8]
    admin_user = anon.users.create_user({
        "email": f"alice{sfx}@example.com", "username": f"alice{sfx}", "password": PASSWORD,
        "first_name": "Alice", "last_name": "Admin"})
    world = make_world(srv, srv.login(admin_user["username"]), admin_user)

    # The control: these settings are in force; a socket that stays silent is pinged, then closed.
    lifetime, pings, code = silent_socket_lifetime(srv, world.alice.client.token)
    assert 2 <= lifetime <= 6, lifetime
    assert pings >= 2, pings
    assert code == 1001, code

    bob = listeners(login(srv, world.bob_user["username"]), "bob")
    hello = bob.start()
    first = world.alice.posts.create_post({"channel_id": world.chan["id"], "message": "before the wait"})
    bob.posted(first["id"])

    time.sleep(6)
    assert bob.thread.is_alive(), f"the driver's websocket loop ended (connection closed)\n{bob.diag()}"
    later = world.alice.posts.create_post({"channel_id": world.chan["id"], "message": "after the wait"})
    ev = bob.posted(later["id"])
    assert json.loads(ev["data"]["post"])["message"] == "after the wait"
    # Same connection throughout: one hello (the driver does not reconnect: keepalive=False).
    assert bob.of_type("hello") == [hello], bob.diag()
    assert len(bob.connections) == 1
    bob.assert_contiguous()
    bob.stop()
