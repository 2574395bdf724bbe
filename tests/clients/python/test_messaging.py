"""A team's first day, driven through mattermostdriver's own endpoint methods.

alice (the first user, system admin) creates team `first-day`, adds bob and carol, creates a
public channel `release` and a private channel `secret`; then posts, mentions, unreads, threads,
reactions, pins, saved posts, DMs, GMs, team unreads, search, edits/deletes and refused input.

Statuses are read through the driver's own `client.make_request` (the endpoint helpers only
return the parsed body); error ids through plain `requests` calls (the driver's exceptions only
carry the message).
"""

import hashlib
import uuid

import pytest
from mattermostdriver.exceptions import (
    InvalidOrMissingParameters,
    NotEnoughPermissions,
    ResourceNotFound,
)

from helpers import ID_RE, PASSWORD, assert_app_error, raw

PERMISSIONS = "api.context.permissions.app_error"
TEAM_NAME = "first-day"


def call(d, method, path, body=None, params=None):
    """Driver-level request returning (status, parsed body); raises the driver's exceptions."""
    r = d.client.make_request(method, path, options=body, params=params)
    assert r.headers.get("Content-Type") == "application/json", r.headers
    return r.status_code, r.json()


def req(server, d, method, path, **kw):
    """Plain HTTP as the driver's user, for error bodies."""
    return raw(server, method, path, token=d.client.token, **kw)


def roles(s):
    return set(s.split())


class World:
    pass


@pytest.fixture(scope="module")
def w(server, admin, first_user):
    """Steps 1-3 of the day (everything later steps build on); assertions live in the tests."""
    w = World()
    w.server = server
    w.alice_user = first_user
    w.alice = admin
    sfx = uuid.uuid4().hex[:8]
    w.bob_user = admin.users.create_user({
        "email": f"bob{sfx}@example.com", "username": f"bob{sfx}", "password": PASSWORD,
        "first_name": "Bob", "last_name": "Builder"})
    w.carol_user = admin.users.create_user({
        "email": f"carol{sfx}@example.com", "username": f"carol{sfx}", "password": PASSWORD,
        "first_name": "Carol", "last_name": "Danvers"})
    w.bob = server.login(w.bob_user["username"])
    w.carol = server.login(w.carol_user["username"])
    w.alice_id, w.bob_id, w.carol_id = first_user["id"], w.bob_user["id"], w.carol_user["id"]

    # 1. alice creates the team.
    w.team_status, w.team = call(admin, "post", "/teams", {
        "name": TEAM_NAME, "display_name": "First Day", "type": "O"})
    w.tid = w.team["id"]
    # 2. alice adds bob and carol.
    w.add_bob = call(admin, "post", f"/teams/{w.tid}/members", {"team_id": w.tid, "user_id": w.bob_id})
    w.add_carol = call(admin, "post", f"/teams/{w.tid}/members", {"team_id": w.tid, "user_id": w.carol_id})
    # 3. alice creates `release` (public) and `secret` (private).
    w.release_status, w.release = call(admin, "post", "/channels", {
        "team_id": w.tid, "name": "release", "display_name": "Release", "type": "O",
        "purpose": "ship it"})
    w.secret_status, w.secret = call(admin, "post", "/channels", {
        "team_id": w.tid, "name": "secret", "display_name": "Secret", "type": "P"})
    w.rid, w.sid = w.release["id"], w.secret["id"]
    # bob joins `release` himself.
    w.bob_join_status, w.bob_join = call(w.bob, "post", f"/channels/{w.rid}/members", {"user_id": w.bob_id})
    w.town = admin.channels.get_channel_by_name(w.tid, "town-square")
    return w


def post_as(d, channel_id, message, root_id=""):
    body = {"channel_id": channel_id, "message": message}
    if root_id:
        body["root_id"] = root_id
    return d.posts.create_post(body)


# --- 1. team ----------------------------------------------------------------------------------

def test_01_alice_creates_team_with_default_channels(w):
    assert w.team_status == 201
    assert ID_RE.match(w.tid)
    assert w.team["name"] == TEAM_NAME
    assert w.team["display_name"] == "First Day"
    assert w.team["type"] == "O"
    assert w.team["delete_at"] == 0
    assert w.alice.teams.get_team_by_name(TEAM_NAME)["id"] == w.tid
    assert w.tid in [t["id"] for t in w.alice.teams.get_user_teams("me")]

    chans = w.alice.channels.get_channels_for_user("me", w.tid)
    by_name = {c["name"]: c for c in chans}
    for name, display in (("town-square", "Town Square"), ("off-topic", "Off-Topic")):
        assert name in by_name, sorted(by_name)
        assert by_name[name]["type"] == "O"
        assert by_name[name]["team_id"] == w.tid
        assert by_name[name]["display_name"] == display

    member = w.alice.teams.get_team_member(w.tid, w.alice_id)
    assert member["team_id"] == w.tid and member["user_id"] == w.alice_id
    assert {"team_user", "team_admin"} <= roles(member["roles"]), member
    assert member["delete_at"] == 0


# --- 2. members -------------------------------------------------------------------------------

def test_02_bob_and_carol_join_team_and_default_channels(w):
    for (status, member), uid in ((w.add_bob, w.bob_id), (w.add_carol, w.carol_id)):
        assert status == 201
        assert member["team_id"] == w.tid and member["user_id"] == uid
        assert roles(member["roles"]) == {"team_user"}, member
    listed = {m["user_id"] for m in w.alice.teams.get_team_members(w.tid)}
    assert {w.alice_id, w.bob_id, w.carol_id} <= listed
    assert w.alice.teams.get_team_stats(w.tid)["total_member_count"] == 3

    for d, uid in ((w.bob, w.bob_id), (w.carol, w.carol_id)):
        mine = {c["name"] for c in d.channels.get_channels_for_user("me", w.tid)}
        assert {"town-square", "off-topic"} <= mine, mine
        for name in ("town-square", "off-topic"):
            ch = d.channels.get_channel_by_name(w.tid, name)
            cm = d.channels.get_channel_member(ch["id"], "me")
            assert cm["user_id"] == uid and cm["channel_id"] == ch["id"]
            assert "channel_user" in roles(cm["roles"])


# --- 3. channels --------------------------------------------------------------------------------

def test_03_public_and_private_channels(w):
    assert w.release_status == 201 and w.secret_status == 201
    assert w.release["type"] == "O" and w.release["name"] == "release"
    assert w.release["team_id"] == w.tid and w.release["creator_id"] == w.alice_id
    assert w.release["display_name"] == "Release" and w.release["purpose"] == "ship it"
    assert w.secret["type"] == "P" and w.secret["name"] == "secret"
    assert ID_RE.match(w.rid) and ID_RE.match(w.sid) and w.rid != w.sid
    creator = w.alice.channels.get_channel_member(w.sid, w.alice_id)
    assert roles(creator["roles"]) >= {"channel_user", "channel_admin"}, creator

    # bob joined `release` by himself.
    assert w.bob_join_status == 201
    assert w.bob_join["user_id"] == w.bob_id and w.bob_join["channel_id"] == w.rid
    assert w.bob.channels.get_channel(w.rid)["id"] == w.rid
    assert w.bob_id in {m["user_id"] for m in w.alice.channels.get_channel_members(w.rid)}
    assert w.bob.channels.get_channel_by_name(w.tid, "release")["id"] == w.rid

    # bob can neither see nor join `secret`.
    with pytest.raises(NotEnoughPermissions):
        w.bob.channels.get_channel(w.sid)
    assert_app_error(req(w.server, w.bob, "GET", f"/channels/{w.sid}"), 403, PERMISSIONS)
    with pytest.raises(NotEnoughPermissions):
        w.bob.channels.add_user(w.sid, {"user_id": w.bob_id})
    assert_app_error(req(w.server, w.bob, "POST", f"/channels/{w.sid}/members",
                         json={"user_id": w.bob_id}), 403, PERMISSIONS)
    assert "secret" not in {c["name"] for c in w.bob.channels.get_channels_for_user("me", w.tid)}
    assert w.bob_id not in {m["user_id"] for m in w.alice.channels.get_channel_members(w.sid)}
    # Upstream (api4 getChannelByName) hides private channels from non-members with a 404.
    with pytest.raises(ResourceNotFound):
        w.bob.channels.get_channel_by_name(w.tid, "secret")
    assert_app_error(req(w.server, w.bob, "GET", f"/teams/{w.tid}/channels/name/secret"),
                     404, "app.channel.get_by_name.missing.app_error")


# --- 4. mention, unread, view -------------------------------------------------------------------

def test_04_mention_makes_unread_and_view_clears_it(w):
    before = w.bob.channels.get_channel_member(w.rid, "me")
    status, post = call(w.alice, "post", "/posts", {
        "channel_id": w.rid, "message": f"hello @{w.bob_user['username']} #launch"})
    assert status == 201
    assert ID_RE.match(post["id"])
    assert post["user_id"] == w.alice_id and post["channel_id"] == w.rid
    assert post["message"] == f"hello @{w.bob_user['username']} #launch"
    assert post["hashtags"] == "#launch"
    assert post["root_id"] == "" and post["edit_at"] == 0 and post["delete_at"] == 0
    assert post["create_at"] > 0

    cm = w.bob.channels.get_channel_member(w.rid, "me")
    assert cm["mention_count"] == before["mention_count"] + 1 == 1, cm
    ch = w.bob.channels.get_channel(w.rid)
    assert ch["last_post_at"] >= post["create_at"]
    assert ch["total_msg_count"] > cm["msg_count"], (ch["total_msg_count"], cm)
    # It is in the channel's post list, newest first.
    plist = w.bob.posts.get_posts_for_channel(w.rid)
    assert plist["order"][0] == post["id"]
    assert plist["posts"][post["id"]]["message"] == post["message"]

    viewed = w.bob.channels.view_channel("me", {"channel_id": w.rid})
    assert set(viewed) == {"status", "last_viewed_at_times"}, viewed
    assert viewed["status"] == "OK"
    ch = w.bob.channels.get_channel(w.rid)
    assert viewed["last_viewed_at_times"] == {w.rid: ch["last_post_at"]}, (viewed, ch["last_post_at"])
    cm = w.bob.channels.get_channel_member(w.rid, "me")
    assert cm["mention_count"] == 0
    assert cm["msg_count"] == ch["total_msg_count"]
    assert cm["last_viewed_at"] >= post["create_at"]


# --- 5. thread ----------------------------------------------------------------------------------

def test_05_reply_in_thread(w):
    root = post_as(w.alice, w.rid, "thread root")
    reply = post_as(w.bob, w.rid, "a reply from bob", root_id=root["id"])
    assert reply["root_id"] == root["id"] and reply["user_id"] == w.bob_id
    assert reply["channel_id"] == w.rid

    thread = w.bob.posts.get_thread(root["id"])
    assert set(thread["order"]) == {root["id"], reply["id"]}, thread["order"]
    assert set(thread["posts"]) == {root["id"], reply["id"]}
    assert thread["posts"][root["id"]]["reply_count"] == 1
    assert thread["posts"][reply["id"]]["root_id"] == root["id"]
    assert w.bob.posts.get_post(root["id"])["reply_count"] == 1


# --- 6. reactions -------------------------------------------------------------------------------

def test_06_reaction_add_list_remove(w):
    post = post_as(w.alice, w.rid, "react to me")
    assert not post.get("has_reactions")
    status, reaction = call(w.bob, "post", "/reactions", {
        "user_id": w.bob_id, "post_id": post["id"], "emoji_name": "+1"})
    assert status == 200
    assert reaction["user_id"] == w.bob_id and reaction["post_id"] == post["id"]
    assert reaction["emoji_name"] == "+1" and reaction["create_at"] > 0

    # The driver builds this URL as /posts/{id}//reactions (double slash); Mattermost's router
    # cleans the path (301 to /posts/{id}/reactions), which requests follows for a GET.
    listed = w.alice.reactions.get_reactions_of_post(post["id"])
    assert isinstance(listed, list), listed
    assert [(r["user_id"], r["emoji_name"], r["post_id"]) for r in listed] == [(w.bob_id, "+1", post["id"])]
    assert w.alice.posts.get_post(post["id"])["has_reactions"] is True

    assert w.bob.reactions.delete_reaction(w.bob_id, post["id"], "+1") == {"status": "OK"}
    r = req(w.server, w.alice, "GET", f"/posts/{post['id']}/reactions")
    assert r.status_code == 200 and r.json() == [], r.text
    assert not w.alice.posts.get_post(post["id"]).get("has_reactions")


def test_06b_reactions_endpoint_single_slash(w):
    # Same as above through the canonical URL, so a double-slash problem is told apart.
    post = post_as(w.alice, w.rid, "react to me too")
    w.bob.reactions.create_reaction({"user_id": w.bob_id, "post_id": post["id"], "emoji_name": "tada"})
    r = req(w.server, w.alice, "GET", f"/posts/{post['id']}/reactions")
    assert r.status_code == 200, r.text
    assert [(x["user_id"], x["emoji_name"]) for x in r.json()] == [(w.bob_id, "tada")]


# --- 7. pins ------------------------------------------------------------------------------------

def test_07_pin_and_unpin(w):
    post = post_as(w.alice, w.rid, "pin me")
    assert post["is_pinned"] is False
    assert w.alice.posts.pin_post_to_channel(post["id"]) == {"status": "OK"}
    assert w.bob.posts.get_post(post["id"])["is_pinned"] is True
    pinned = w.bob.channels.get_channel_pinned_posts(w.rid)
    assert pinned["order"] == [post["id"]], pinned
    assert pinned["posts"][post["id"]]["is_pinned"] is True
    assert w.bob.channels.get_channel_statistics(w.rid)["pinnedpost_count"] == 1

    assert w.alice.posts.unpin_post_to_channel(post["id"]) == {"status": "OK"}
    assert w.bob.posts.get_post(post["id"])["is_pinned"] is False
    assert post["id"] not in w.bob.channels.get_channel_pinned_posts(w.rid)["order"]
    assert w.bob.channels.get_channel_statistics(w.rid)["pinnedpost_count"] == 0


# --- 8. saved posts -----------------------------------------------------------------------------

def test_08_save_post_as_flagged(w):
    post = post_as(w.alice, w.rid, "save me for later")
    pref = {"user_id": w.bob_id, "category": "flagged_post", "name": post["id"], "value": "true"}
    assert w.bob.preferences.save_user_preferences("me", [pref]) == {"status": "OK"}
    got = w.bob.preferences.get_specific_user_preference("me", "flagged_post", post["id"])
    assert got == pref, got
    flagged = w.bob.posts.get_list_of_flagged_posts("me")
    assert flagged["order"] == [post["id"]], flagged
    assert flagged["posts"][post["id"]]["message"] == "save me for later"
    # alice saved nothing.
    assert w.alice.posts.get_list_of_flagged_posts("me")["order"] == []
    # Unsave.
    assert w.bob.preferences.delete_user_preferences("me", [pref]) == {"status": "OK"}
    assert w.bob.posts.get_list_of_flagged_posts("me")["order"] == []


# --- 9. DM --------------------------------------------------------------------------------------

def test_09_direct_message(w):
    status, dm = call(w.bob, "post", "/channels/direct", [w.bob_id, w.carol_id])
    assert status == 201
    assert dm["type"] == "D"
    assert dm["name"] == "__".join(sorted([w.bob_id, w.carol_id]))
    assert dm["team_id"] == "" and dm["display_name"] == ""
    again = w.bob.channels.create_direct_message_channel([w.bob_id, w.carol_id])
    assert again["id"] == dm["id"]
    # carol asking for the same pair (other order) gets the same channel too.
    assert w.carol.channels.create_direct_message_channel([w.carol_id, w.bob_id])["id"] == dm["id"]

    before = w.carol.channels.get_channel_member(dm["id"], "me")
    msg = post_as(w.bob, dm["id"], "hi carol, no mention needed")
    assert msg["channel_id"] == dm["id"]
    cm = w.carol.channels.get_channel_member(dm["id"], "me")
    assert cm["mention_count"] == before["mention_count"] + 1 == 1, cm
    ch = w.carol.channels.get_channel(dm["id"])
    assert ch["total_msg_count"] - cm["msg_count"] == 1, (ch, cm)
    # Outsider alice is admin, so ask the members list instead.
    assert {m["user_id"] for m in w.alice.channels.get_channel_members(dm["id"])} == {w.bob_id, w.carol_id}
    w.dm = dm


# --- 10. GM -------------------------------------------------------------------------------------

def test_10_group_message(w):
    status, gm = call(w.alice, "post", "/channels/group", [w.bob_id, w.carol_id])
    assert status == 201
    assert gm["type"] == "G" and gm["team_id"] == ""
    names = sorted([w.alice_user["username"], w.bob_user["username"], w.carol_user["username"]])
    assert gm["display_name"] == ", ".join(names)
    ids = sorted([w.alice_id, w.bob_id, w.carol_id])
    assert gm["name"] == hashlib.sha1("".join(ids).encode()).hexdigest()
    members = {m["user_id"] for m in w.bob.channels.get_channel_members(gm["id"])}
    assert members == {w.alice_id, w.bob_id, w.carol_id}
    # Idempotent, whoever asks.
    assert w.carol.channels.create_group_message_channel(
        [w.alice_id, w.bob_id, w.carol_id])["id"] == gm["id"]

    # Two users in total (alice + bob) is not a group.
    with pytest.raises(InvalidOrMissingParameters):
        w.alice.channels.create_group_message_channel([w.bob_id])
    assert_app_error(req(w.server, w.alice, "POST", "/channels/group", json=[w.bob_id]),
                     400, "api.channel.create_group.bad_size.app_error")


# --- 11. team unreads ---------------------------------------------------------------------------

def test_11_team_unreads(w):
    def team_unread(d):
        rows = d.teams.get_team_unreads_for_user("me")
        mine = [r for r in rows if r["team_id"] == w.tid]
        assert len(mine) == 1, rows
        return mine[0]

    before = team_unread(w.carol)
    post = post_as(w.alice, w.town["id"], "good morning, team")
    assert post["channel_id"] == w.town["id"]
    after = team_unread(w.carol)
    assert after["msg_count"] == before["msg_count"] + 1, (before, after)
    assert after["msg_count"] > 0
    # Nothing in the team mentions carol (the DM mention is not a team's).
    assert after["mention_count"] == 0, after
    # Per-team variant agrees.
    single = w.carol.teams.get_unreads_for_team("me", w.tid)
    assert single["team_id"] == w.tid and single["msg_count"] == after["msg_count"]

    # Viewing town-square drops it by exactly that channel's unread messages.
    ts_ch = w.carol.channels.get_channel(w.town["id"])
    ts_cm = w.carol.channels.get_channel_member(w.town["id"], "me")
    w.carol.channels.view_channel("me", {"channel_id": w.town["id"]})
    assert team_unread(w.carol)["msg_count"] == after["msg_count"] - (ts_ch["total_msg_count"] - ts_cm["msg_count"])


# --- 12. search, autocomplete, status -----------------------------------------------------------

def test_12_search_users_and_channels(w):
    found = w.bob.users.search_users({"term": "car"})
    ids = [u["id"] for u in found]
    assert w.carol_id in ids and w.bob_id not in ids, [u["username"] for u in found]
    in_team = w.bob.users.search_users({"term": "car", "team_id": w.tid})
    assert [u["id"] for u in in_team] == [w.carol_id]
    ac = w.bob.users.autocomplete_users({"name": "car", "in_team": w.tid})
    assert [u["id"] for u in ac["users"]] == [w.carol_id], ac

    chans = w.bob.channels.search_channels(w.tid, {"term": "rele"})
    assert [c["id"] for c in chans] == [w.rid], [c["name"] for c in chans]
    assert w.bob.channels.search_channels(w.tid, {"term": "secr"}) == []
    auto = w.bob.channels.autocomplete_channels(w.tid, {"name": "rel"})
    assert [c["id"] for c in auto] == [w.rid], [c["name"] for c in auto]
    assert w.sid not in [c["id"] for c in w.bob.channels.autocomplete_channels(w.tid, {"name": "sec"})]
    # alice, a member of `secret`, gets it from autocomplete (upstream AutocompleteInTeam returns
    # public channels plus the private channels the caller belongs to).
    assert w.sid in [c["id"] for c in w.alice.channels.autocomplete_channels(w.tid, {"name": "sec"})]


def test_12b_status(w):
    st = w.bob.status.update_user_status(w.bob_id, {"user_id": w.bob_id, "status": "dnd"})
    assert st["user_id"] == w.bob_id and st["status"] == "dnd" and st["manual"] is True
    seen = w.carol.status.get_user_status(w.bob_id)
    assert seen["user_id"] == w.bob_id and seen["status"] == "dnd"
    many = w.carol.status.get_user_statuses_by_id([w.bob_id, w.carol_id])
    assert {s["user_id"]: s["status"] for s in many}[w.bob_id] == "dnd"
    # Nobody sets someone else's status.
    with pytest.raises(NotEnoughPermissions):
        w.carol.status.update_user_status(w.bob_id, {"user_id": w.bob_id, "status": "away"})
    back = w.bob.status.update_user_status(w.bob_id, {"user_id": w.bob_id, "status": "online"})
    assert back["status"] == "online"


# --- 13. edit and delete ------------------------------------------------------------------------

def test_13_edit_and_delete(w):
    root = post_as(w.alice, w.rid, "hello again #launch")
    reply = post_as(w.bob, w.rid, "reply to be deleted with its root", root_id=root["id"])

    edited = w.alice.posts.patch_post(root["id"], {"message": "hello again (edited) #launch"})
    assert edited["id"] == root["id"]
    assert edited["message"] == "hello again (edited) #launch"
    assert edited["edit_at"] > 0 and edited["update_at"] >= edited["edit_at"]
    assert edited["hashtags"] == "#launch"

    with pytest.raises(NotEnoughPermissions):
        w.bob.posts.patch_post(root["id"], {"message": "bob was here"})
    assert_app_error(req(w.server, w.bob, "PUT", f"/posts/{root['id']}/patch",
                         json={"message": "bob was here"}), 403, PERMISSIONS)
    with pytest.raises(NotEnoughPermissions):
        w.bob.posts.delete_post(root["id"])
    assert_app_error(req(w.server, w.bob, "DELETE", f"/posts/{root['id']}"), 403, PERMISSIONS)
    assert w.bob.posts.get_post(root["id"])["message"] == "hello again (edited) #launch"

    assert w.alice.posts.delete_post(root["id"]) == {"status": "OK"}
    for pid in (root["id"], reply["id"]):
        with pytest.raises(ResourceNotFound):
            w.bob.posts.get_post(pid)
        assert_app_error(req(w.server, w.bob, "GET", f"/posts/{pid}"), 404)
    with pytest.raises(ResourceNotFound):
        w.bob.posts.get_thread(root["id"])
    order = w.bob.posts.get_posts_for_channel(w.rid)["order"]
    assert root["id"] not in order and reply["id"] not in order


# --- 14. refused input writes nothing ------------------------------------------------------------

def snapshot(d, cid):
    ch = d.channels.get_channel(cid)
    return ch["total_msg_count"], ch["last_post_at"], d.posts.get_posts_for_channel(cid)["order"]


def test_14a_post_to_private_channel_of_others(w):
    snap = snapshot(w.alice, w.sid)
    with pytest.raises(NotEnoughPermissions):
        post_as(w.bob, w.sid, "let me in")
    assert_app_error(req(w.server, w.bob, "POST", "/posts",
                         json={"channel_id": w.sid, "message": "let me in"}), 403, PERMISSIONS)
    assert snapshot(w.alice, w.sid) == snap


def test_14b_message_length(w):
    snap = snapshot(w.alice, w.rid)
    with pytest.raises(InvalidOrMissingParameters):
        post_as(w.alice, w.rid, "x" * 16384)
    # Runes, not bytes: 16384 two-byte characters are refused too ...
    assert_app_error(req(w.server, w.alice, "POST", "/posts",
                         json={"channel_id": w.rid, "message": "é" * 16384}),
                     400, "model.post.is_valid.message_length.app_error")
    assert snapshot(w.alice, w.rid) == snap
    # ... and exactly 16383 of them are fine.
    big = post_as(w.alice, w.rid, "é" * 16383)
    assert big["message"] == "é" * 16383


def test_14c_reply_to_root_in_another_channel(w):
    other_root = post_as(w.alice, w.town["id"], "root in town-square")
    snap = snapshot(w.alice, w.rid)
    with pytest.raises(InvalidOrMissingParameters):
        post_as(w.alice, w.rid, "misplaced reply", root_id=other_root["id"])
    # Mattermost: app.createPost fails with 500 api.post.create_post.channel_root_id.app_error,
    # which CreatePostAsUser turns into a 400 (same id).
    assert_app_error(req(w.server, w.alice, "POST", "/posts",
                         json={"channel_id": w.rid, "message": "misplaced reply",
                               "root_id": other_root["id"]}),
                     400, "api.post.create_post.channel_root_id.app_error")
    assert snapshot(w.alice, w.rid) == snap
    assert w.alice.posts.get_post(other_root["id"])["reply_count"] == 0


def test_14d_post_to_archived_channel(w):
    # Runs last: archives `release` (which may itself add a system message).
    assert w.alice.channels.delete_channel(w.rid) == {"status": "OK"}
    assert w.alice.channels.get_channel(w.rid)["delete_at"] > 0
    snap = snapshot(w.alice, w.rid)
    for d in (w.alice, w.bob):
        with pytest.raises(InvalidOrMissingParameters):
            post_as(d, w.rid, "anyone there?")
        assert_app_error(req(w.server, d, "POST", "/posts",
                             json={"channel_id": w.rid, "message": "anyone there?"}),
                         400, "api.post.create_post.can_not_post_to_deleted.error")
    assert snapshot(w.alice, w.rid) == snap
