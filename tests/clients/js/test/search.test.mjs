// Post search, driven through @mattermost/client's Client4 (searchPostsWithParams / searchPosts).
//
// alice (first user, system admin) creates team `search-day` and channels `ops` (public: alice,
// bob), `vault` (private: alice only); carol is in the team but not in `ops`; dave is in no
// team at all. A fixed corpus of posts is written once; every test asserts the exact set and
// order (newest first) of what the client gets back, and the PostSearchResults shape.

import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {ClientError, ID_RE, PASSWORD, client, loggedIn, raw, startServer} from '../lib/harness.mjs';

const INVALID_TERMS = 'api.post.search_posts.invalid_terms.app_error';
const PERMISSIONS = 'api.context.permissions.app_error';

async function rejectsWith(promise, {status, id} = {}) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof ClientError, `expected ClientError, got ${e && e.constructor && e.constructor.name}: ${e}`);
        assert.ok(typeof e.message === 'string' && e.message.length > 0);
        if (status !== undefined) {
            assert.equal(e.status_code, status, `status_code: ${JSON.stringify(e)}`);
        }
        if (id !== undefined) {
            assert.equal(e.server_error_id, id, `server_error_id: ${JSON.stringify(e)}`);
        }
        return true;
    });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const day = (ms) => new Date(ms).toISOString().slice(0, 10);
const DAY_MS = 86400000;

let srv;
let alice; let bob; let carol; let dave; // Client4 instances
let aliceU; let bobU; let carolU; let daveU; // users
let team; let ops; let vault; let town;
const P = {}; // the corpus, by name

// Creates a post and waits a little so that no two corpus posts share a create_at (the
// expected order of results is then unambiguous).
async function post(c, channel, message, extra = {}) {
    const p = await c.createPost({channel_id: channel.id, message, ...extra});
    await sleep(3);
    return p;
}

// Checks the PostSearchResults shape the client receives, and that `order` is newest first.
function checkShape(res) {
    assert.equal(typeof res, 'object');
    assert.ok(Array.isArray(res.order), `order: ${JSON.stringify(res)}`);
    assert.equal(typeof res.posts, 'object');
    assert.ok(res.posts !== null && !Array.isArray(res.posts));
    assert.equal(typeof res.matches, 'object');
    assert.ok(res.matches !== null && !Array.isArray(res.matches), `matches: ${JSON.stringify(res.matches)}`);
    assert.equal(typeof res.next_post_id, 'string');
    assert.equal(typeof res.prev_post_id, 'string');
    assert.equal(typeof res.has_next, 'boolean');
    assert.equal(typeof res.first_inaccessible_post_time, 'number');
    assert.equal(new Set(res.order).size, res.order.length, 'order has duplicates');
    assert.deepEqual([...res.order].sort(), Object.keys(res.posts).sort(), 'posts keys != order');
    assert.deepEqual([...res.order].sort(), Object.keys(res.matches).sort(), 'matches keys != order');
    for (const id of res.order) {
        const p = res.posts[id];
        assert.match(id, ID_RE);
        assert.equal(p.id, id);
        assert.equal(p.delete_at, 0);
        assert.ok(!p.type || !p.type.startsWith('system_'), `system message in results: ${JSON.stringify(p)}`);
        assert.ok(Array.isArray(res.matches[id]));
        for (const m of res.matches[id]) {
            assert.equal(typeof m, 'string');
        }
    }
    for (let i = 1; i < res.order.length; i++) {
        assert.ok(res.posts[res.order[i - 1]].create_at >= res.posts[res.order[i]].create_at, 'not newest first');
    }
    return res;
}

const ids = (...posts) => posts.sort((a, b) => b.create_at - a.create_at).map((p) => p.id);
const names = (res) => res.order.map((id) => Object.keys(P).find((k) => P[k].id === id) || res.posts[id].message);

async function search(c, terms, extra = {}, teamId = team.id) {
    return checkShape(await c.searchPostsWithParams(teamId, {
        terms, is_or_search: false, time_zone_offset: 0, include_deleted_channels: false, page: 0, per_page: 60, ...extra,
    }));
}

// Asserts that `terms` finds exactly `expected` (newest first) for client `c`.
async function finds(c, terms, expected, extra = {}, teamId = team.id) {
    const res = await search(c, terms, extra, teamId);
    assert.deepEqual(res.order, ids(...expected), `search ${JSON.stringify(terms)} ${JSON.stringify(extra)} found ${JSON.stringify(names(res))}`);
    return res;
}

before(async () => {
    srv = await startServer({tag: 'search'});
    const anon = client(srv);
    const sfx = crypto.randomBytes(4).toString('hex');
    aliceU = await anon.createUser({email: `alice${sfx}@example.com`, username: `alice${sfx}`, password: PASSWORD});
    alice = await loggedIn(srv, aliceU.username);
    const mk = (n) => alice.createUser({email: `${n}${sfx}@example.com`, username: `${n}${sfx}`, password: PASSWORD});
    [bobU, carolU, daveU] = [await mk('bob'), await mk('carol'), await mk('dave')];
    bob = await loggedIn(srv, bobU.username);
    carol = await loggedIn(srv, carolU.username);
    dave = await loggedIn(srv, daveU.username);

    team = await alice.createTeam({name: 'search-day', display_name: 'Search Day', type: 'O'});
    await alice.addToTeam(team.id, bobU.id);
    await alice.addToTeam(team.id, carolU.id);
    ops = await alice.createChannel({team_id: team.id, name: 'ops', display_name: 'Ops', type: 'O'});
    vault = await alice.createChannel({team_id: team.id, name: 'vault', display_name: 'Vault', type: 'P'});
    await bob.addToChannel(bobU.id, ops.id);
    town = await alice.getChannelByName(team.id, 'town-square');

    P.a1 = await post(alice, ops, 'Deploying the payments service tonight');
    P.b1 = await post(bob, ops, 'deploy finished, runbook at https://example.com/runbooks/payments-v2 for details');
    P.a2 = await post(alice, town, 'Config lives in conclave.search.trigram from now on');
    P.b2 = await post(bob, town, '明日の会議は十時からです');
    P.a3 = await post(alice, ops, 'Release train leaves at noon #release #friday');
    P.b3 = await post(bob, town, '#releasenotes are drafted');
    P.a4 = await post(alice, vault, 'deploy the vault sauce');
    P.c1 = await post(carol, town, 'the red dragon serves noodles');
    P.b4 = await post(bob, town, 'a dragon, red and gold');
    P.a5 = await post(alice, town, 'promo code 50%_off today');
    P.b5 = await post(bob, town, 'promo for 500 offices');
    P.b6 = await post(bob, ops, 'replying about the rollback', {root_id: P.a1.id});
});

after(async () => {
    if (srv) {
        await srv.stop();
    }
});

describe('post search through Client4', () => {
    it('the request Client4 sends and the PostSearchResults it gets back', async () => {
        // searchPosts(teamId, terms, isOrSearch) posts {terms, is_or_search} to the team route.
        const res = checkShape(await bob.searchPosts(team.id, 'payments', false));
        assert.deepEqual(res.order, ids(P.b1, P.a1));
        assert.equal(res.posts[P.a1.id].message, P.a1.message);
        assert.equal(res.posts[P.a1.id].channel_id, ops.id);
        assert.equal(res.posts[P.a1.id].user_id, aliceU.id);
        assert.equal(res.posts[P.a1.id].create_at, P.a1.create_at);
        assert.equal(res.posts[P.b1.id].user_id, bobU.id);
        // matches: per post, the search words to highlight; each occurs in the message.
        for (const id of res.order) {
            assert.ok(res.matches[id].length > 0, JSON.stringify(res.matches));
            for (const m of res.matches[id]) {
                assert.ok(res.posts[id].message.toLowerCase().includes(m.toLowerCase()), `${m} not in ${res.posts[id].message}`);
            }
        }
        // Nothing found: the same shape, empty.
        const none = await search(bob, 'zzzznothinglikethis');
        assert.deepEqual(none.order, []);
        assert.deepEqual(none.posts, {});
        assert.deepEqual(none.matches, {});
    });

    it('a word, case-insensitively, and as a substring of longer words', async () => {
        await finds(bob, 'deploy', [P.a1, P.b1]); // "Deploying", "deploy"
        await finds(bob, 'DEPLOY', [P.a1, P.b1]);
        await finds(bob, 'Deploying', [P.a1]);
        await finds(bob, 'ploy', [P.a1, P.b1]); // partial word
        await finds(bob, 'depl*', [P.a1, P.b1]); // prefix
        await finds(bob, 'rollback', [P.b6]); // replies are found too
        const reply = (await search(bob, 'rollback')).posts[P.b6.id];
        assert.equal(reply.root_id, P.a1.id);
    });

    it('every word must match unless is_or_search', async () => {
        await finds(bob, 'red dragon', [P.c1, P.b4]);
        await finds(bob, 'dragon noodles', [P.c1]);
        await finds(bob, 'noodles payments', []);
        await finds(bob, 'noodles payments', [P.c1, P.a1, P.b1], {is_or_search: true});
        const res = checkShape(await bob.searchPosts(team.id, 'noodles gold', true));
        assert.deepEqual(res.order, ids(P.c1, P.b4));
    });

    it('an exact phrase', async () => {
        await finds(bob, '"red dragon"', [P.c1]);
        await finds(bob, '"dragon red"', []);
        await finds(bob, '"payments service"', [P.a1]);
        await finds(bob, '"the payments service tonight"', [P.a1]);
        await finds(bob, '"service payments"', []);
    });

    it('a URL, a part of a URL, and dotted names', async () => {
        await finds(bob, 'https://example.com/runbooks/payments-v2', [P.b1]);
        await finds(bob, 'example.com/runbooks', [P.b1]);
        await finds(bob, 'payments-v2', [P.b1]);
        await finds(bob, 'conclave.search.trigram', [P.a2]);
        await finds(bob, 'search.trig', [P.a2]);
        await finds(bob, 'conclave.search.other', []);
    });

    it('CJK text by substring', async () => {
        await finds(bob, '会議', [P.b2]);
        await finds(bob, '十時', [P.b2]);
        await finds(bob, '会議は十時', [P.b2]);
        await finds(bob, '明日の会議は十時からです', [P.b2]);
        await finds(bob, '会談', []);
    });

    it('SQL wildcard characters match literally', async () => {
        await finds(bob, '50%_off', [P.a5]);
        await finds(bob, 'promo', [P.a5, P.b5]);
        await finds(bob, '%', [P.a5]);
        await finds(bob, '_', [P.a5]);
    });

    it('a hashtag matches that exact hashtag, case-insensitively', async () => {
        const res = await finds(bob, '#release', [P.a3]); // not #releasenotes
        assert.ok(res.matches[P.a3.id].some((m) => m.toLowerCase() === '#release'), JSON.stringify(res.matches));
        assert.equal(res.posts[P.a3.id].hashtags, '#release #friday');
        await finds(bob, '#Release', [P.a3]);
        await finds(bob, '#releasenotes', [P.b3]);
        await finds(bob, '#friday', [P.a3]);
        await finds(bob, '#rel', []);
        await finds(bob, 'release', [P.a3, P.b3]); // a plain word is a substring match
    });

    it('excluded words, phrases and hashtags', async () => {
        await finds(bob, 'dragon -gold', [P.c1]);
        await finds(bob, 'deploy -runbook', [P.a1]);
        await finds(bob, 'dragon -"red and gold"', [P.c1]);
        await finds(bob, 'release -#releasenotes', [P.a3]);
        await finds(bob, 'noodles gold -serves', [P.b4], {is_or_search: true});
    });

    it('from: restricts to posts by that user (never system messages)', async () => {
        await finds(bob, `deploy from:${bobU.username}`, [P.b1]);
        await finds(bob, `deploy from:${aliceU.username}`, [P.a1]);
        await finds(bob, `deploy from:@${aliceU.username}`, [P.a1]);
        await finds(bob, `dragon from:${carolU.username}`, [P.c1]);
        // from: alone: every post by bob in bob's channels. Bob's join system messages are not.
        await finds(bob, `from:${bobU.username}`, [P.b1, P.b2, P.b3, P.b4, P.b5, P.b6]);
        await finds(carol, `from:${carolU.username}`, [P.c1]);
        await finds(bob, 'joined', []);
        await finds(bob, `from:nosuchuser${crypto.randomBytes(3).toString('hex')}`, []);
    });

    it('in: restricts to one channel', async () => {
        await finds(bob, 'deploy in:ops', [P.a1, P.b1]);
        await finds(bob, 'deploy in:town-square', []);
        await finds(bob, 'dragon in:town-square', [P.c1, P.b4]);
        await finds(bob, 'in:ops', [P.a1, P.b1, P.a3, P.b6]);
        await finds(bob, `in:ops from:${bobU.username}`, [P.b1, P.b6]);
        // Not a member of vault: nothing, even naming it.
        await finds(bob, 'deploy in:vault', []);
        await finds(alice, 'deploy in:vault', [P.a4]);
    });

    it('only channels the searcher is a member of', async () => {
        await finds(alice, 'deploy', [P.a1, P.b1, P.a4]);
        await finds(bob, 'deploy', [P.a1, P.b1]); // not vault
        await finds(bob, 'sauce', []);
        // carol is in the team but not in ops (a public channel): ops posts are not hers to find.
        await finds(carol, 'deploy', []);
        await finds(carol, 'payments', []);
        await finds(carol, 'in:ops', []);
        await finds(carol, 'dragon', [P.c1, P.b4]);
        // dave is in no team: the team search is refused.
        await rejectsWith(dave.searchPosts(team.id, 'deploy', false), {status: 403, id: PERMISSIONS});
        // A team that does not exist is refused too (upstream says 403 before looking; 404 is
        // as good for a client).
        await assert.rejects(bob.searchPosts('a'.repeat(26), 'deploy', false), (e) => {
            assert.ok(e instanceof ClientError);
            assert.ok([403, 404].includes(e.status_code), JSON.stringify(e));
            return true;
        });
    });

    it('on:, before:, after: by the post date in the searcher\'s time zone', async () => {
        const d = day(P.a1.create_at);
        const prev = day(P.a1.create_at - DAY_MS);
        const next = day(P.a1.create_at + DAY_MS);
        assert.ok((await search(bob, `payments on:${d}`)).order.includes(P.a1.id));
        await finds(bob, `payments on:${prev}`, []);
        await finds(bob, `payments on:${next}`, []);
        assert.ok((await search(bob, `payments after:${prev}`)).order.includes(P.a1.id));
        await finds(bob, `payments after:${d}`, []);
        assert.ok((await search(bob, `payments before:${next}`)).order.includes(P.a1.id));
        await finds(bob, `payments before:${d}`, []);
        // time_zone_offset (seconds east of UTC) moves the day boundaries.
        for (const off of [14 * 3600, -12 * 3600]) {
            const local = day(P.a1.create_at + off * 1000);
            const res = await search(bob, `Deploying on:${local}`, {time_zone_offset: off});
            assert.deepEqual(res.order, [P.a1.id], `offset ${off}, on:${local}`);
            const other = off > 0 ? day(P.a1.create_at + off * 1000 - DAY_MS) : day(P.a1.create_at + off * 1000 + DAY_MS);
            await finds(bob, `Deploying on:${other}`, [], {time_zone_offset: off});
        }
    });

    it('pages with page/per_page, newest first', async () => {
        const kiwis = [];
        for (let i = 0; i < 5; i++) {
            kiwis.push(await post(bob, ops, `kiwi number ${i}`));
        }
        const all = await finds(bob, 'kiwi', kiwis);
        const p0 = await search(bob, 'kiwi', {per_page: 2, page: 0});
        const p1 = await search(bob, 'kiwi', {per_page: 2, page: 1});
        const p2 = await search(bob, 'kiwi', {per_page: 2, page: 2});
        const p3 = await search(bob, 'kiwi', {per_page: 2, page: 3});
        assert.deepEqual(p0.order, all.order.slice(0, 2));
        assert.deepEqual(p1.order, all.order.slice(2, 4));
        assert.deepEqual(p2.order, all.order.slice(4));
        assert.deepEqual(p3.order, []);
    });

    it('deleted posts never match; edited posts match their new text', async () => {
        const gone = await post(bob, ops, 'a walrus sighting');
        await finds(bob, 'walrus', [gone]);
        await bob.deletePost(gone.id);
        await finds(bob, 'walrus', []);
        await finds(alice, 'walrus', []);

        const ed = await post(bob, ops, 'original platypus');
        await finds(bob, 'platypus', [ed]);
        const edited = await bob.patchPost({id: ed.id, message: 'edited narwhal'});
        assert.equal(edited.message, 'edited narwhal');
        await finds(bob, 'platypus', []);
        const res = await finds(bob, 'narwhal', [ed]);
        assert.equal(res.posts[ed.id].message, 'edited narwhal');
        assert.ok(res.posts[ed.id].edit_at > 0);
    });

    it('direct messages: found from the team search, and with in:@user', async () => {
        const dm = await bob.createDirectChannel([bobU.id, carolU.id]);
        const m = await post(bob, dm, 'secret handshake with carol');
        await finds(bob, 'handshake', [m]);
        await finds(carol, 'handshake', [m]);
        await finds(alice, 'handshake', []); // admin, but not in the DM
        await finds(carol, `handshake in:@${bobU.username}`, [m]);
        await finds(bob, `in:@${carolU.username}`, [m]);
        await finds(bob, `handshake in:@${aliceU.username}`, []);
        await finds(bob, 'handshake in:ops', []);
    });

    it('all teams (searchPostsWithParams with no team) vs one team', async () => {
        const other = await alice.createTeam({name: 'search-other', display_name: 'Search Other', type: 'O'});
        await alice.addToTeam(other.id, bobU.id);
        const otherTown = await bob.getChannelByName(other.id, 'town-square');
        const there = await post(bob, otherTown, 'mango in the other team');
        const here = await post(bob, town, 'mango in the first team');
        await finds(bob, 'mango', [there, here], {}, '');
        await finds(bob, 'mango', [here], {}, team.id);
        await finds(bob, 'mango', [there], {}, other.id);
        // carol is not in the other team.
        await finds(carol, 'mango', [here], {}, '');
        await rejectsWith(carol.searchPosts(other.id, 'mango', false), {status: 403, id: PERMISSIONS});
        // dave, in no team, finds nothing anywhere.
        await finds(dave, 'mango', [], {}, '');
        // in: across teams: the channel of that name in any of the searcher's teams.
        await finds(bob, 'mango in:town-square', [there, here], {}, '');
    });

    it('archived channels only with include_deleted_channels', async () => {
        const old = await alice.createChannel({team_id: team.id, name: 'old-news', display_name: 'Old News', type: 'O'});
        await bob.addToChannel(bobU.id, old.id);
        const p = await post(bob, old, 'stale lychee');
        await finds(bob, 'lychee', [p]);
        assert.deepEqual(await alice.deleteChannel(old.id), {status: 'OK'});
        await finds(bob, 'lychee', []);
        await finds(bob, 'lychee', [p], {include_deleted_channels: true});
    });

    it('non-ASCII letters fold case like ASCII ones, in short words too', async () => {
        const p = await post(bob, ops, 'Über das Öl: ÆRØ Straße');
        await finds(bob, 'über', [p]);
        await finds(bob, 'ÜBER', [p]);
        await finds(bob, 'æRø', [p]);
        await finds(bob, 'straße', [p]);
        // Two-letter words: exactly as written, and in another case.
        await finds(bob, 'Öl', [p]);
        await finds(bob, 'öl', [p]);
        await finds(bob, 'ÖL', [p]);
    });

    it('hashtags with non-ASCII letters', async () => {
        const p = await post(bob, ops, 'wieder #Überstunden heute');
        assert.equal(p.hashtags, '#Überstunden');
        await finds(bob, 'Überstunden', [p]); // as a word
        await finds(bob, '#Überstunden', [p]); // exactly as written
        await finds(bob, '#überstunden', [p]);
        await finds(bob, '#Über', []);
    });

    it('refused input: too long, a bad date', async () => {
        await rejectsWith(bob.searchPosts(team.id, 'x'.repeat(10000), false), {status: 400, id: INVALID_TERMS});
        await rejectsWith(bob.searchPosts(team.id, 'deploy on:yesterday', false), {status: 400, id: INVALID_TERMS});
        await rejectsWith(bob.searchPosts(team.id, 'deploy before:2026-02-30', false), {status: 400, id: INVALID_TERMS});
        await rejectsWith(bob.searchPostsWithParams('', {terms: 'x'.repeat(10000)}), {status: 400, id: INVALID_TERMS});
        // The raw error body has the standard AppError shape.
        const r = await raw(srv, 'POST', `/teams/${team.id}/posts/search`, {token: bob.getToken(), body: {terms: 'after:someday'}});
        assert.equal(r.status, 400);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.json.id, INVALID_TERMS);
        assert.equal(r.json.status_code, 400);
        assert.match(r.json.request_id, ID_RE);
        // Without a session: 401.
        await rejectsWith(client(srv).searchPosts(team.id, 'deploy', false), {status: 401});
    });

    it('a user who leaves a channel no longer finds its posts', async () => {
        await finds(bob, 'deploy', [P.a1, P.b1]);
        await bob.removeFromChannel(bobU.id, ops.id);
        await finds(bob, 'deploy', []);
        await finds(bob, 'deploy in:ops', []);
        await finds(alice, 'deploy in:ops', [P.a1, P.b1]); // still there for alice
    });
});
