"""Fixtures that start a real Conclave server and hand out mattermostdriver clients.

Environment:
  CONCLAVE_BIN          server binary (default: ${CARGO_TARGET_DIR:-<repo>/target}/debug/conclave)
  CONCLAVE_TEST_DB      sqlite (default) | postgres
  CONCLAVE_TEST_PG_URL  PostgreSQL server URL without database
                        (default: postgres://postgres@127.0.0.1:5432)
  CONCLAVE_TEST_LOG_DIR where the server's stderr log is kept (default: a temp dir)
  CONCLAVE_TEST_PID_DIR if set, a file per running server (pid, database) for run.sh's trap
"""

import os
import socket
import subprocess
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import requests
from mattermostdriver import Driver

from helpers import PASSWORD, unique

REPO_ROOT = Path(__file__).resolve().parents[3]


def _server_binary():
    explicit = os.environ.get("CONCLAVE_BIN")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR") or str(REPO_ROOT / "target")
    return Path(target) / "debug" / "conclave"


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _psql(pg_url, sql):
    u = urllib.parse.urlparse(pg_url)
    cmd = [
        "psql", "-v", "ON_ERROR_STOP=1", "-X", "-q",
        "-h", u.hostname or "127.0.0.1",
        "-p", str(u.port or 5432),
        "-U", urllib.parse.unquote(u.username or "postgres"),
        "-d", "postgres",
        "-c", sql,
    ]
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = urllib.parse.unquote(u.password)
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)


class Server:
    def __init__(self, base_url, port, log_path, db):
        self.base_url = base_url  # http://127.0.0.1:PORT
        self.api = base_url + "/api/v4"
        self.port = port
        self.log_path = log_path
        self.db = db

    def log_tail(self, n=60):
        try:
            lines = Path(self.log_path).read_text(errors="replace").splitlines()
        except OSError:
            return "<no log>"
        return "\n".join(lines[-n:])

    def driver(self, **options):
        """A mattermostdriver Driver pointed at this server (not logged in)."""
        opts = {
            "url": "127.0.0.1",
            "scheme": "http",
            "port": self.port,
            "basepath": "/api/v4",
            "request_timeout": 30,
        }
        opts.update(options)
        return Driver(opts)

    def login(self, login_id, password=PASSWORD, mfa_token=None):
        d = self.driver(login_id=login_id, password=password, mfa_token=mfa_token)
        d.login()
        return d


def _start_server(tmp_path_factory, extra_env=None, tag=""):
    """Starts a server on a fresh database; returns (Server, stop). `extra_env` adds server
    settings (CONCLAVE_<SECTION>_<KEY>) for this server only; `tag` names its log file."""
    db = os.environ.get("CONCLAVE_TEST_DB", "sqlite").strip().lower()
    if db not in ("sqlite", "postgres"):
        pytest.fail(f"CONCLAVE_TEST_DB must be sqlite or postgres, got {db!r}")
    binary = _server_binary()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(f"server binary not found or not executable: {binary} (set CONCLAVE_BIN)")

    data_dir = tmp_path_factory.mktemp("conclave-data")
    log_dir = Path(os.environ.get("CONCLAVE_TEST_LOG_DIR") or tmp_path_factory.mktemp("conclave-log"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"server-python-{db}{'-' + tag if tag else ''}.log"

    port = _free_port()
    cmd = [str(binary), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data_dir)]

    dbname = None
    pg_url = os.environ.get("CONCLAVE_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    if db == "postgres":
        dbname = "conclave_pytest_" + uuid.uuid4().hex[:12]
        r = _psql(pg_url, f'CREATE DATABASE "{dbname}"')
        if r.returncode != 0:
            pytest.fail(f"PostgreSQL unreachable / cannot create database at {pg_url}: {r.stderr.strip()}")
        cmd += ["--database-url", f"{pg_url}/{dbname}"]

    env = dict(os.environ)
    env["CONCLAVE_RATE_LIMIT_ENABLE"] = "false"
    env.update(extra_env or {})
    log_file = open(log_path, "wb")
    proc = subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                            stdin=subprocess.DEVNULL)
    srv = Server(f"http://127.0.0.1:{port}", port, log_path, db)
    # Let run.sh's cleanup trap find (and kill / drop) what we started if we die uncleanly.
    pid_dir = os.environ.get("CONCLAVE_TEST_PID_DIR")
    pid_file = None
    if pid_dir:
        Path(pid_dir).mkdir(parents=True, exist_ok=True)
        pid_file = Path(pid_dir) / f"server-{proc.pid}"
        pid_file.write_text(f"{proc.pid}\n{dbname or ''}\n")

    def stop():
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        log_file.close()
        if pid_file is not None:
            pid_file.unlink(missing_ok=True)
        if dbname:
            # The server is gone; drop its database (FORCE in case of stray connections).
            r = _psql(pg_url, f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
            if r.returncode != 0:
                print(f"warning: could not drop database {dbname}: {r.stderr.strip()}")

    deadline = time.monotonic() + 30
    ready = False
    last_err = None
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            r = requests.get(srv.api + "/system/ping", timeout=2)
            if r.status_code == 200:
                ready = True
                break
            last_err = f"HTTP {r.status_code}"
        except requests.RequestException as e:
            last_err = repr(e)
        time.sleep(0.2)
    if not ready:
        code = proc.poll()
        stop()
        pytest.fail(
            f"server did not become ready within 30 s (exit code {code}, last error {last_err}); "
            f"cmd={' '.join(cmd)}\n--- server log tail ---\n{srv.log_tail()}"
        )

    return srv, stop


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    srv, stop = _start_server(tmp_path_factory)
    yield srv
    stop()
    print(f"\nserver log ({srv.db}): {srv.log_path}")


@pytest.fixture
def make_server(tmp_path_factory):
    """Factory for a test's own server with extra settings: make_server(env={...}, tag="x").
    Each is stopped (and its database dropped) when the test ends."""
    stops = []

    def make(env=None, tag=""):
        srv, stop = _start_server(tmp_path_factory, env, tag)
        stops.append(stop)
        return srv

    yield make
    for stop in reversed(stops):
        stop()


@pytest.fixture(scope="session")
def first_user(server):
    """Signs up the very first user anonymously via the driver (open sign-up)."""
    anon = server.driver()
    username = unique("admin")
    created = anon.users.create_user({
        "email": f"{username}@example.com",
        "username": username,
        "password": PASSWORD,
        "first_name": "Ada",
        "last_name": "Admin",
    })
    return created


@pytest.fixture(scope="session")
def admin(server, first_user):
    """A driver logged in (username + password) as the first user, who is system admin."""
    return server.login(first_user["username"])


@pytest.fixture
def new_user(server, admin):
    """Factory: admin creates a fresh regular user; returns (user_dict)."""
    def make(prefix="user", **fields):
        username = unique(prefix)
        body = {
            "email": f"{username}@example.com",
            "username": username,
            "password": PASSWORD,
            "first_name": fields.pop("first_name", "Regular"),
            "last_name": fields.pop("last_name", "User"),
        }
        body.update(fields)
        return admin.users.create_user(body)
    return make
