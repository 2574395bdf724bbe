"""Post search through mattermostdriver's `posts.search_for_team_posts(team_id, options)`.

alice creates a team with channels `ops` (public: alice, bob) and `vault` (private: alice only);
carol is in the team but not in `ops`; dave is in no team. A fixed corpus of posts is written
once; every test asserts the exact posts (newest first) the driver gets back, and the
PostSearchResults shape (order, posts, matches, ...).

The driver has no method for the all-teams route (`POST /posts/search`); that one goes through
the driver's own `client.make_request`. Error ids come from plain `requests` calls (the
driver's exceptions carry only the message).
"""

import datetime
import time
import uuid

import pytest
from mattermostdriver.exceptions import InvalidOrMissingParameters, NotEnoughPermissions

from helpers import ID_RE, PASSWORD, assert_app_error, raw, unique

INVALID_TERMS = "api.post.search_posts.invalid_terms.app_error"
PERMISSIONS = "api.context.permissions.app_error"
DAY_MS = 86_400_000


class World:
    pass


def post_as(d, channel_id, message, root_id=""):
    body = {"channel_id": channel_id, "message": message}
    if root_id:
        body["root_id"] = root_id
    p = d.posts.create_post(body)
    # No two corpus posts share a create_at, so the expected order is unambiguous.
    time.sleep(0.003)
    return p


@pytest.fixture(scope="module")
def w(server, admin):
    w = World()
    w.server = server
    sfx = uuid.uuid4().hex[:8]
    users = {}
    for name in ("alice", "bob", "carol", "dave"):
        users[name] = admin.users.create_user({
            "email": f"{name}{sfx}@example.com", "username": f"{name}{sfx}", "password": PASSWORD})
    w.u = users
    w.alice, w.bob, w.carol, w.dave = (server.login(users[n]["username"]) for n in ("alice", "bob", "carol", "dave"))

    w.team = w.alice.teams.create_team({"name": unique("search"), "display_name": "Search", "type": "O"})
    w.tid = w.team["id"]
    for n in ("bob", "carol"):
        w.alice.teams.add_user_to_team(w.tid, {"team_id": w.tid, "user_id": users[n]["id"]})
    w.ops = w.alice.channels.create_channel({"team_id": w.tid, "name": "ops", "display_name": "Ops", "type": "O"})
    w.vault = w.alice.channels.create_channel({"team_id": w.tid, "name": "vault", "display_name": "Vault", "type": "P"})
    w.bob.channels.add_user(w.ops["id"], {"user_id": users["bob"]["id"]})
    w.town = w.alice.channels.get_channel_by_name(w.tid, "town-square")
    ops, town, vault = w.ops["id"], w.town["id"], w.vault["id"]

    w.p = {}
    w.p["a1"] = post_as(w.alice, ops, "Deploying the payments service tonight")
    w.p["b1"] = post_as(w.bob, ops, "deploy finished, runbook at https://example.com/runbooks/payments-v2 for details")
    w.p["a2"] = post_as(w.alice, town, "Config lives in conclave.search.trigram from now on")
    w.p["b2"] = post_as(w.bob, town, "明日の会議は十時からです")
    w.p["a3"] = post_as(w.alice, ops, "Release train leaves at noon #release #friday")
    w.p["b3"] = post_as(w.bob, town, "#releasenotes are drafted")
    w.p["a4"] = post_as(w.alice, vault, "deploy the vault sauce")
    w.p["c1"] = post_as(w.carol, town, "the red dragon serves noodles")
    w.p["b4"] = post_as(w.bob, town, "a dragon, red and gold")
    w.p["b6"] = post_as(w.bob, ops, "replying about the rollback", root_id=w.p["a1"]["id"])
    return w


def check_shape(res):
    """The PostSearchResults the driver hands back: the keys a client reads, posts and matches
    keyed exactly by `order`, no deleted posts or system messages, newest first."""
    assert isinstance(res, dict), res
    assert isinstance(res["order"], list), res
    assert isinstance(res["posts"], dict), res
    assert isinstance(res["matches"], dict), res
    assert isinstance(res["next_post_id"], str) and isinstance(res["prev_post_id"], str), res
    assert isinstance(res["has_next"], bool), res
    assert isinstance(res["first_inaccessible_post_time"], int), res
    assert len(set(res["order"])) == len(res["order"]), res["order"]
    assert set(res["posts"]) == set(res["order"]), res
    assert set(res["matches"]) == set(res["order"]), res
    for pid in res["order"]:
        p = res["posts"][pid]
        assert ID_RE.match(pid) and p["id"] == pid
        assert p["delete_at"] == 0, p
        assert not (p.get("type") or "").startswith("system_"), p
        assert isinstance(res["matches"][pid], list)
        assert all(isinstance(m, str) for m in res["matches"][pid])
    times = [res["posts"][pid]["create_at"] for pid in res["order"]]
    assert times == sorted(times, reverse=True), "not newest first"
    return res


def search(d, team_id, terms, **extra):
    options = {"terms": terms, "is_or_search": False, "time_zone_offset": 0,
               "include_deleted_channels": False, "page": 0, "per_page": 60}
    options.update(extra)
    return check_shape(d.posts.search_for_team_posts(team_id, options))


def newest_first(*posts):
    return [p["id"] for p in sorted(posts, key=lambda p: p["create_at"], reverse=True)]


def finds(w, d, terms, expected, **extra):
    """Asserts that `terms` finds exactly `expected` (newest first) in w's team."""
    res = search(d, w.tid, terms, **extra)
    got = [res["posts"][i]["message"] for i in res["order"]]
    assert res["order"] == newest_first(*expected), (terms, extra, got)
    return res


# --- shape ----------------------------------------------------------------------------------------

def test_result_shape_and_matches(w):
    p = w.p
    res = finds(w, w.bob, "payments", [p["a1"], p["b1"]])
    a1 = res["posts"][p["a1"]["id"]]
    assert a1["message"] == p["a1"]["message"]
    assert a1["channel_id"] == w.ops["id"] and a1["user_id"] == w.u["alice"]["id"]
    assert a1["create_at"] == p["a1"]["create_at"]
    # matches: the words to highlight in each post; each occurs in its message.
    for pid in res["order"]:
        assert res["matches"][pid], res["matches"]
        for m in res["matches"][pid]:
            assert m.lower() in res["posts"][pid]["message"].lower(), (m, res["posts"][pid])
    none = search(w.bob, w.tid, "zzzznothinglikethis")
    assert none["order"] == [] and none["posts"] == {} and none["matches"] == {}
    # The driver sends the options as the JSON body; a bare {"terms"} works too.
    bare = check_shape(w.bob.posts.search_for_team_posts(w.tid, {"terms": "payments"}))
    assert bare["order"] == res["order"]


# --- words, phrases, substrings -------------------------------------------------------------------

def test_word_case_insensitive(w):
    p = w.p
    finds(w, w.bob, "deploy", [p["a1"], p["b1"]])
    finds(w, w.bob, "DEPLOY", [p["a1"], p["b1"]])
    finds(w, w.bob, "Deploying", [p["a1"]])
    finds(w, w.bob, "red dragon", [p["c1"], p["b4"]])
    finds(w, w.bob, "dragon noodles", [p["c1"]])
    finds(w, w.bob, "noodles payments", [])
    finds(w, w.bob, "noodles payments", [p["c1"], p["a1"], p["b1"]], is_or_search=True)
    res = finds(w, w.bob, "rollback", [p["b6"]])  # replies are found too
    assert res["posts"][p["b6"]["id"]]["root_id"] == p["a1"]["id"]


def test_substring(w):
    p = w.p
    finds(w, w.bob, "ploy", [p["a1"], p["b1"]])
    finds(w, w.bob, "depl*", [p["a1"], p["b1"]])
    finds(w, w.bob, "example.com/runbooks", [p["b1"]])
    finds(w, w.bob, "payments-v2", [p["b1"]])
    finds(w, w.bob, "conclave.search.trigram", [p["a2"]])
    finds(w, w.bob, "search.trig", [p["a2"]])
    finds(w, w.bob, "会議", [p["b2"]])
    finds(w, w.bob, "会議は十時", [p["b2"]])
    finds(w, w.bob, "会談", [])


def test_phrase(w):
    p = w.p
    finds(w, w.bob, '"red dragon"', [p["c1"]])
    finds(w, w.bob, '"dragon red"', [])
    finds(w, w.bob, '"payments service"', [p["a1"]])
    finds(w, w.bob, '"service payments"', [])


def test_exclusion(w):
    p = w.p
    finds(w, w.bob, "dragon -gold", [p["c1"]])
    finds(w, w.bob, 'dragon -"red and gold"', [p["c1"]])
    finds(w, w.bob, "deploy -runbook", [p["a1"]])
    finds(w, w.bob, "release -#releasenotes", [p["a3"]])


# --- hashtags -------------------------------------------------------------------------------------

def test_hashtag(w):
    p = w.p
    res = finds(w, w.bob, "#release", [p["a3"]])  # not #releasenotes
    assert res["posts"][p["a3"]["id"]]["hashtags"] == "#release #friday"
    assert "#release" in [m.lower() for m in res["matches"][p["a3"]["id"]]], res["matches"]
    finds(w, w.bob, "#RELEASE", [p["a3"]])
    finds(w, w.bob, "#releasenotes", [p["b3"]])
    finds(w, w.bob, "#rel", [])
    finds(w, w.bob, "release", [p["a3"], p["b3"]])  # a plain word is a substring match


# --- from: / in: ----------------------------------------------------------------------------------

def test_from(w):
    p, u = w.p, w.u
    finds(w, w.bob, f"deploy from:{u['bob']['username']}", [p["b1"]])
    finds(w, w.bob, f"deploy from:@{u['alice']['username']}", [p["a1"]])
    finds(w, w.bob, f"dragon from:{u['carol']['username']}", [p["c1"]])
    # from: alone: every post by bob in bob's channels, not his join system messages.
    finds(w, w.bob, f"from:{u['bob']['username']}", [p["b1"], p["b2"], p["b3"], p["b4"], p["b6"]])
    finds(w, w.carol, f"from:{u['carol']['username']}", [p["c1"]])
    finds(w, w.bob, "joined", [])
    finds(w, w.bob, f"from:{unique('nobody')}", [])


def test_in(w):
    p = w.p
    finds(w, w.bob, "deploy in:ops", [p["a1"], p["b1"]])
    finds(w, w.bob, "deploy in:town-square", [])
    finds(w, w.bob, "dragon in:town-square", [p["c1"], p["b4"]])
    finds(w, w.bob, "in:ops", [p["a1"], p["b1"], p["a3"], p["b6"]])
    finds(w, w.bob, "deploy in:vault", [])  # not a member
    finds(w, w.alice, "deploy in:vault", [p["a4"]])


def test_in_direct_channel(w):
    u = w.u
    dm = w.bob.channels.create_direct_message_channel([u["bob"]["id"], u["carol"]["id"]])
    m = post_as(w.bob, dm["id"], "secret handshake with carol")
    finds(w, w.bob, "handshake", [m])  # the team search includes direct channels
    finds(w, w.carol, f"handshake in:@{u['bob']['username']}", [m])
    finds(w, w.bob, f"in:@{u['carol']['username']}", [m])
    finds(w, w.alice, "handshake", [])


# --- who may find what ----------------------------------------------------------------------------

def test_only_member_channels(w):
    p = w.p
    finds(w, w.alice, "deploy", [p["a1"], p["b1"], p["a4"]])
    finds(w, w.bob, "deploy", [p["a1"], p["b1"]])
    finds(w, w.bob, "sauce", [])
    # carol is in the team but not in the public channel ops.
    finds(w, w.carol, "deploy", [])
    finds(w, w.carol, "in:ops", [])
    finds(w, w.carol, "dragon", [p["c1"], p["b4"]])
    # dave is not in the team at all.
    with pytest.raises(NotEnoughPermissions):
        w.dave.posts.search_for_team_posts(w.tid, {"terms": "deploy"})
    assert_app_error(raw(w.server, "POST", f"/teams/{w.tid}/posts/search", token=w.dave.client.token,
                         json={"terms": "deploy"}), 403, PERMISSIONS)


def test_all_teams_route(w):
    u = w.u
    other = w.alice.teams.create_team({"name": unique("search-other"), "display_name": "Other", "type": "O"})
    w.alice.teams.add_user_to_team(other["id"], {"team_id": other["id"], "user_id": u["bob"]["id"]})
    other_town = w.bob.channels.get_channel_by_name(other["id"], "town-square")
    there = post_as(w.bob, other_town["id"], "mango in the other team")
    here = post_as(w.bob, w.town["id"], "mango in the first team")

    r = w.bob.client.make_request("post", "/posts/search", options={"terms": "mango"})
    assert r.status_code == 200 and r.headers.get("Content-Type") == "application/json"
    assert check_shape(r.json())["order"] == newest_first(there, here)
    assert search(w.bob, w.tid, "mango")["order"] == [here["id"]]
    assert search(w.bob, other["id"], "mango")["order"] == [there["id"]]
    carol_all = w.carol.client.make_request("post", "/posts/search", options={"terms": "mango"}).json()
    assert check_shape(carol_all)["order"] == [here["id"]]


# --- dates, pages, edits --------------------------------------------------------------------------

def _day(ms):
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc).strftime("%Y-%m-%d")


def test_dates(w):
    a1 = w.p["a1"]
    d, prev, nxt = _day(a1["create_at"]), _day(a1["create_at"] - DAY_MS), _day(a1["create_at"] + DAY_MS)
    finds(w, w.bob, f"Deploying on:{d}", [a1])
    finds(w, w.bob, f"Deploying on:{prev}", [])
    finds(w, w.bob, f"Deploying after:{prev}", [a1])
    finds(w, w.bob, f"Deploying after:{d}", [])
    finds(w, w.bob, f"Deploying before:{nxt}", [a1])
    finds(w, w.bob, f"Deploying before:{d}", [])
    # time_zone_offset (seconds east of UTC) moves the day boundaries.
    for off in (14 * 3600, -12 * 3600):
        local = a1["create_at"] + off * 1000
        finds(w, w.bob, f"Deploying on:{_day(local)}", [a1], time_zone_offset=off)
        other = _day(local - DAY_MS) if off > 0 else _day(local + DAY_MS)
        finds(w, w.bob, f"Deploying on:{other}", [], time_zone_offset=off)


def test_pages(w):
    kiwis = [post_as(w.bob, w.ops["id"], f"kiwi number {i}") for i in range(5)]
    everything = finds(w, w.bob, "kiwi", kiwis)["order"]
    pages = [search(w.bob, w.tid, "kiwi", per_page=2, page=n)["order"] for n in range(4)]
    assert pages == [everything[0:2], everything[2:4], everything[4:], []], pages


def test_deleted_and_edited_posts(w):
    gone = post_as(w.bob, w.ops["id"], "a walrus sighting")
    finds(w, w.bob, "walrus", [gone])
    w.bob.posts.delete_post(gone["id"])
    finds(w, w.bob, "walrus", [])
    ed = post_as(w.bob, w.ops["id"], "original platypus")
    w.bob.posts.patch_post(ed["id"], {"message": "edited narwhal"})
    finds(w, w.bob, "platypus", [])
    res = finds(w, w.bob, "narwhal", [ed])
    assert res["posts"][ed["id"]]["message"] == "edited narwhal"


def test_non_ascii_case_folding(w):
    p = post_as(w.bob, w.ops["id"], "Über das Öl heute")
    finds(w, w.bob, "über", [p])
    finds(w, w.bob, "ÜBER", [p])
    finds(w, w.bob, "Öl", [p])  # a two-letter word, exactly as written
    finds(w, w.bob, "öl", [p])


def test_non_ascii_hashtag(w):
    p = post_as(w.bob, w.ops["id"], "wieder #Überstunden heute")
    assert p["hashtags"] == "#Überstunden"
    finds(w, w.bob, "Überstunden", [p])  # as a word
    finds(w, w.bob, "#Überstunden", [p])  # as a hashtag, exactly as written
    finds(w, w.bob, "#überstunden", [p])


# --- refused input --------------------------------------------------------------------------------

@pytest.mark.parametrize("terms", ["x" * 10_000, "deploy on:yesterday", "deploy before:2026-02-30"])
def test_invalid_terms(w, terms):
    with pytest.raises(InvalidOrMissingParameters):
        w.bob.posts.search_for_team_posts(w.tid, {"terms": terms})
    assert_app_error(raw(w.server, "POST", f"/teams/{w.tid}/posts/search", token=w.bob.client.token,
                         json={"terms": terms}), 400, INVALID_TERMS)
