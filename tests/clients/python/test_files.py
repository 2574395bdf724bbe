"""Files through mattermostdriver: `files.upload_file(channel_id, files)` (a multipart form with
the `channel_id` field, then the files), `posts.create_post` with `file_ids`,
`posts.get_file_info_for_post`, `files.get_file` / `get_file_thumbnail` / `get_file_preview`
(the driver hands back the raw `requests.Response` for non-JSON bodies), `files.get_file_metadata`
and `files.get_public_file_link`.

alice (the first user, system admin) creates a team with the private channel `vault` (alice and
bob); carol is on the team but not in `vault`; dave is on no team.

Error ids come from plain `requests` calls (the driver's exceptions carry only the message).
"""

import base64
import os
import struct
import zlib

import pytest
from mattermostdriver.exceptions import (
    ContentTooLarge,
    FeatureDisabled,
    InvalidOrMissingParameters,
    NotEnoughPermissions,
    ResourceNotFound,
)

from helpers import ID_RE, PASSWORD, assert_app_error, raw, unique

PERMISSIONS = "api.context.permissions.app_error"
FILE_IDS = "api.post.create_post.file_ids.app_error"
TOO_LARGE = "api.file.upload_file.too_large_detailed.app_error"
FILE_INFO_KEYS = {
    "id", "user_id", "post_id", "channel_id", "create_at", "update_at", "delete_at", "name",
    "extension", "size", "mime_type", "width", "height", "has_preview_image", "mini_preview",
    "remote_id", "archived",
}


# --- images -----------------------------------------------------------------------------------

def png(w, h):
    """A real RGB PNG of w x h (a colour gradient), built by hand."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // w, y * 255 // h, 128)) for x in range(w))
        for y in range(h)
    )
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def jpeg_size(data):
    """(width, height) from a JPEG's SOF header; fails if the bytes are not a JPEG."""
    assert data[:2] == b"\xff\xd8", f"not a JPEG: {data[:8]!r}"
    i = 2
    while i + 9 < len(data):
        assert data[i] == 0xFF, f"bad JPEG marker at {i}"
        marker = data[i + 1]
        (length,) = struct.unpack(">H", data[i + 2:i + 4])
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack(">HH", data[i + 5:i + 9])
            return w, h
        i += 2 + length
    raise AssertionError("JPEG without a SOF header")


PICTURE = png(300, 200)
NOTES = "release notes\nline two: ünïcödé ✓\n".encode()


def check_shape(f):
    assert FILE_INFO_KEYS <= set(f), sorted(FILE_INFO_KEYS - set(f))
    for k in ("path", "thumbnail_path", "preview_path"):
        assert k not in f, f"storage path {k} leaked: {f}"
    assert ID_RE.match(f["id"]), f
    assert f["create_at"] > 0 and f["delete_at"] == 0 and f["archived"] is False, f


# --- world --------------------------------------------------------------------------------------

class World:
    pass


@pytest.fixture(scope="module")
def w(server, admin, first_user):
    w = World()
    w.server = server
    w.alice, w.alice_id = admin, first_user["id"]
    users = {}
    for name in ("bob", "carol", "dave"):
        username = unique(name)
        users[name] = admin.users.create_user({
            "email": f"{username}@example.com", "username": username, "password": PASSWORD,
            "first_name": name.title(), "last_name": "User"})
    w.bob_id, w.carol_id, w.dave_id = (users[n]["id"] for n in ("bob", "carol", "dave"))
    w.bob = server.login(users["bob"]["username"])
    w.carol = server.login(users["carol"]["username"])
    w.dave = server.login(users["dave"]["username"])
    w.team = admin.teams.create_team({"name": unique("share-"), "display_name": "Files", "type": "O"})
    w.tid = w.team["id"]
    for uid in (w.bob_id, w.carol_id):
        admin.teams.add_user_to_team(w.tid, {"team_id": w.tid, "user_id": uid})
    w.vault = admin.channels.create_channel({
        "team_id": w.tid, "name": "vault", "display_name": "Vault", "type": "P"})
    w.vid = w.vault["id"]
    admin.channels.add_user(w.vid, {"user_id": w.bob_id})
    # Steps later tests build on.
    w.upload = admin.files.upload_file(w.vid, [
        ("files", ("Chart.PNG", PICTURE, "image/png")),
        ("files", ("notes.txt", NOTES, "text/plain")),
    ])
    w.picture, w.notes = w.upload["file_infos"]
    return w


def req(w, d, method, path, **kw):
    """Plain HTTP as the driver's user, for statuses, headers and error bodies."""
    return raw(w.server, method, path, token=d.client.token, **kw)


# --- tests ----------------------------------------------------------------------------------------

def test_01_upload_png_and_text_in_one_request(w):
    assert set(w.upload) == {"file_infos", "client_ids"}, w.upload
    assert w.upload["client_ids"] == []
    assert len(w.upload["file_infos"]) == 2
    for f in (w.picture, w.notes):
        check_shape(f)
        assert f["user_id"] == w.alice_id and f["channel_id"] == w.vid and f["post_id"] == ""
        assert f["update_at"] == f["create_at"]
    assert w.picture["id"] != w.notes["id"]

    p = w.picture
    assert (p["name"], p["extension"], p["mime_type"]) == ("Chart.PNG", "png", "image/png")
    assert p["size"] == len(PICTURE)
    assert (p["width"], p["height"]) == (300, 200)
    assert p["has_preview_image"] is True
    mw, mh = jpeg_size(base64.b64decode(p["mini_preview"]))
    assert 0 < mw <= 16 and 0 < mh <= 16, (mw, mh)

    n = w.notes
    assert (n["name"], n["extension"], n["mime_type"]) == ("notes.txt", "txt", "text/plain")
    assert n["size"] == len(NOTES)
    assert (n["width"], n["height"], n["has_preview_image"], n["mini_preview"]) == (0, 0, False, None)


def test_02_upload_status_and_client_ids(w):
    # The same form the driver builds, through its own make_request, to see the status.
    r = w.alice.client.make_request(
        "post", "/files", data={"channel_id": w.vid, "client_ids": ["c-1"]},
        files=[("files", ("one.txt", b"one", "text/plain"))])
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["client_ids"] == ["c-1"]
    assert [f["name"] for f in body["file_infos"]] == ["one.txt"]
    # The raw-body form (`?channel_id=&filename=`), which some integrations use.
    r = req(w, w.alice, "POST", "/files", params={"channel_id": w.vid, "filename": "raw.txt"},
            data=b"raw bytes")
    assert r.status_code == 201, r.text
    f = r.json()["file_infos"][0]
    assert (f["name"], f["size"], f["mime_type"]) == ("raw.txt", 9, "text/plain")
    assert w.alice.files.get_file(f["id"]).content == b"raw bytes"


def test_03_unattached_file_is_the_uploaders_only(w):
    assert w.alice.files.get_file_metadata(w.picture["id"]) == w.picture
    assert w.alice.files.get_file(w.notes["id"]).content == NOTES
    # bob is in the channel, but the file is on no post yet.
    with pytest.raises(NotEnoughPermissions):
        w.bob.files.get_file_metadata(w.picture["id"])
    with pytest.raises(NotEnoughPermissions):
        w.bob.files.get_file(w.picture["id"])
    assert_app_error(req(w, w.bob, "GET", f"/files/{w.picture['id']}"), 403, PERMISSIONS)


def test_04_attach_to_post_metadata_and_post_file_infos(w):
    ids = [w.picture["id"], w.notes["id"]]
    post = w.alice.posts.create_post({"channel_id": w.vid, "message": "chart and notes", "file_ids": ids})
    w.post = post
    assert ID_RE.match(post["id"])
    assert post["file_ids"] == ids

    def check(files, where):
        assert isinstance(files, list) and len(files) == 2, (where, files)
        by_id = {f["id"]: f for f in files}
        assert set(by_id) == set(ids), where
        for orig in (w.picture, w.notes):
            got = by_id[orig["id"]]
            check_shape(got)
            for k in FILE_INFO_KEYS - {"post_id", "update_at"}:
                assert got[k] == orig[k], (where, k, got[k], orig[k])
            assert got["post_id"] == post["id"], where

    check(post["metadata"]["files"], "create_post")
    check(w.alice.posts.get_file_info_for_post(post["id"]), "alice get_file_info_for_post")
    check(w.bob.posts.get_file_info_for_post(post["id"]), "bob get_file_info_for_post")
    got = w.bob.posts.get_post(post["id"])
    assert got["file_ids"] == ids
    check(got["metadata"]["files"], "get_post")
    listed = w.bob.posts.get_posts_for_channel(w.vid)
    assert listed["order"][0] == post["id"]
    check(listed["posts"][post["id"]]["metadata"]["files"], "get_posts_for_channel")
    meta = w.bob.files.get_file_metadata(w.picture["id"])
    assert meta["post_id"] == post["id"] and meta["width"] == 300

    plain = w.alice.posts.create_post({"channel_id": w.vid, "message": "no files"})
    assert "files" not in (plain.get("metadata") or {}), plain


def test_05_download_bytes_and_headers(w):
    for d in (w.alice, w.bob):
        pic = d.files.get_file(w.picture["id"])
        assert pic.status_code == 200
        assert pic.headers["Content-Type"] == "image/png"
        assert pic.headers["Content-Disposition"].startswith("inline")
        assert pic.content == PICTURE
        txt = d.files.get_file(w.notes["id"])
        assert txt.status_code == 200
        assert txt.headers["Content-Type"] == "application/octet-stream"
        assert txt.headers["Content-Disposition"].startswith("attachment")
        assert 'filename="notes.txt"' in txt.headers["Content-Disposition"]
        assert txt.headers["X-Content-Type-Options"] == "nosniff"
        assert txt.content == NOTES
    dl = req(w, w.bob, "GET", f"/files/{w.picture['id']}", params={"download": "1"})
    assert dl.status_code == 200 and dl.headers["Content-Disposition"].startswith("attachment")
    assert dl.content == PICTURE


def test_06_thumbnail_and_preview(w):
    thumb = w.bob.files.get_file_thumbnail(w.picture["id"])
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert jpeg_size(thumb.content) == (120, 80)
    preview = w.bob.files.get_file_preview(w.picture["id"])
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "image/jpeg"
    assert jpeg_size(preview.content) == (300, 200)
    # A text file has neither.
    with pytest.raises(InvalidOrMissingParameters):
        w.bob.files.get_file_thumbnail(w.notes["id"])
    with pytest.raises(InvalidOrMissingParameters):
        w.bob.files.get_file_preview(w.notes["id"])
    assert_app_error(req(w, w.bob, "GET", f"/files/{w.notes['id']}/thumbnail"), 400,
                     "api.file.get_file_thumbnail.no_thumbnail.app_error")


def test_07_non_members_are_refused(w):
    for d in (w.carol, w.dave):
        for fid in (w.picture["id"], w.notes["id"]):
            with pytest.raises(NotEnoughPermissions):
                d.files.get_file(fid)
            with pytest.raises(NotEnoughPermissions):
                d.files.get_file_metadata(fid)
            assert_app_error(req(w, d, "GET", f"/files/{fid}"), 403, PERMISSIONS)
        with pytest.raises(NotEnoughPermissions):
            d.files.get_file_thumbnail(w.picture["id"])
        with pytest.raises(NotEnoughPermissions):
            d.files.get_file_preview(w.picture["id"])
        with pytest.raises(NotEnoughPermissions):
            d.posts.get_file_info_for_post(w.post["id"])
        # Nor may they upload into the channel.
        with pytest.raises(NotEnoughPermissions):
            d.files.upload_file(w.vid, {"files": ("x.txt", b"x", "text/plain")})
    r = raw(w.server, "GET", f"/files/{w.picture['id']}")
    assert r.status_code == 401, r.text


def test_08_public_link_disabled(w):
    with pytest.raises(FeatureDisabled):
        w.alice.files.get_public_file_link(w.picture["id"])
    assert_app_error(req(w, w.bob, "GET", f"/files/{w.picture['id']}/link"), 501,
                     "api.file.get_public_link.disabled.app_error")
    # As upstream (api4 getFileLink), the setting is checked before the file: a caller who
    # cannot read the file gets the same 501 and learns nothing about it.
    with pytest.raises(FeatureDisabled):
        w.carol.files.get_public_file_link(w.picture["id"])
    assert_app_error(req(w, w.carol, "GET", f"/files/{w.picture['id']}/link"), 501,
                     "api.file.get_public_link.disabled.app_error")


def test_09_foreign_or_attached_file_ids_are_refused(w):
    mine = w.alice.files.upload_file(w.vid, {"files": ("a.txt", b"alice only", "text/plain")})["file_infos"][0]
    before = w.alice.posts.get_posts_for_channel(w.vid)["order"]
    with pytest.raises(InvalidOrMissingParameters):
        w.bob.posts.create_post({"channel_id": w.vid, "message": "stolen", "file_ids": [mine["id"]]})
    assert_app_error(req(w, w.bob, "POST", "/posts",
                         json={"channel_id": w.vid, "message": "stolen", "file_ids": [mine["id"]]}),
                     400, FILE_IDS)
    assert_app_error(req(w, w.alice, "POST", "/posts",
                         json={"channel_id": w.vid, "message": "again", "file_ids": [w.picture["id"]]}),
                     400, FILE_IDS)
    assert w.alice.posts.get_posts_for_channel(w.vid)["order"] == before
    assert w.alice.files.get_file_metadata(mine["id"])["post_id"] == ""
    ok = w.alice.posts.create_post({"channel_id": w.vid, "message": "", "file_ids": [mine["id"]]})
    assert ok["file_ids"] == [mine["id"]]
    assert w.bob.files.get_file(mine["id"]).content == b"alice only"


def test_10_deleting_the_post_removes_its_files(w):
    assert w.alice.posts.delete_post(w.post["id"]) == {"status": "OK"}
    for d in (w.alice, w.bob):
        for fid in (w.picture["id"], w.notes["id"]):
            with pytest.raises(ResourceNotFound):
                d.files.get_file(fid)
            with pytest.raises(ResourceNotFound):
                d.files.get_file_metadata(fid)
        with pytest.raises(ResourceNotFound):
            d.files.get_file_thumbnail(w.picture["id"])
        assert req(w, d, "GET", f"/files/{w.picture['id']}").status_code == 404


def test_11_upload_size_limit(make_server):
    srv = make_server(env={"CONCLAVE_FILES_MAX_FILE_SIZE": "2048"}, tag="files-limit")
    anon = srv.driver()
    username = unique("root")
    anon.users.create_user({"email": f"{username}@example.com", "username": username, "password": PASSWORD})
    d = srv.login(username)
    team = d.teams.create_team({"name": unique("limit-"), "display_name": "Limit", "type": "O"})
    town = d.channels.get_channel_by_name(team["id"], "town-square")

    exact = os.urandom(2048)
    f = d.files.upload_file(town["id"], {"files": ("exact.bin", exact)})["file_infos"][0]
    assert f["size"] == 2048
    assert d.files.get_file(f["id"]).content == exact

    for size in (2049, 200 * 1024):
        with pytest.raises(ContentTooLarge):
            d.files.upload_file(town["id"], {"files": ("over.bin", os.urandom(size))})
        r = raw(srv, "POST", "/files", token=d.client.token, data={"channel_id": town["id"]},
                files={"files": ("over.bin", os.urandom(size))})
        assert_app_error(r, 413, TOO_LARGE)
    # The raw-body form has the same limit.
    r = raw(srv, "POST", "/files", token=d.client.token,
            params={"channel_id": town["id"], "filename": "over.bin"}, data=os.urandom(2049))
    assert_app_error(r, 413, TOO_LARGE)
    # Later uploads still work.
    assert d.files.upload_file(town["id"], {"files": ("ok.txt", b"fine")})["file_infos"][0]["size"] == 4
