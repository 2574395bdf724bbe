// A team's first day, driven through @mattermost/client's Client4 methods.
//
// alice (the first user, system admin) creates team `first-day`, adds bob and carol, creates a
// public channel `release` and a private channel `secret`; then posts, mentions, unreads,
// threads, reactions, pins, saved posts, DMs, GMs, team unreads, search, edits/deletes and
// refused input. Client4 hides HTTP statuses of successful calls, so a thin wrapper around the
// global fetch (which Client4 uses) records the last response's status.

import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import {ClientError, ID_RE, PASSWORD, client, loggedIn, raw, startServer} from '../lib/harness.mjs';

const PERMISSIONS = 'api.context.permissions.app_error';
const TEAM_NAME = 'first-day';

// --- status recorder -----------------------------------------------------------------------------
let lastStatus = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
    const res = await realFetch(...args);
    lastStatus = res.status;
    return res;
};

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

const roles = (s) => new Set(s.split(' ').filter(Boolean));
const sorted = (a) => [...a].sort();

let srv;
let alice; let bob; let carol; // Client4 instances
let aliceU; let bobU; let carolU; // users
let team; let release; let secret; let town;
const status = {};

async function snapshot(c, channelId) {
    const ch = await c.getChannel(channelId);
    const posts = await c.getPosts(channelId);
    return {total: ch.total_msg_count, last: ch.last_post_at, order: posts.order};
}

before(async () => {
    srv = await startServer({tag: 'messaging'});
    const anon = client(srv);
    const sfx = crypto.randomBytes(4).toString('hex');
    aliceU = await anon.createUser({email: `alice${sfx}@example.com`, username: `alice${sfx}`, password: PASSWORD, first_name: 'Alice', last_name: 'Admin'});
    alice = await loggedIn(srv, aliceU.username);
    bobU = await alice.createUser({email: `bob${sfx}@example.com`, username: `bob${sfx}`, password: PASSWORD, first_name: 'Bob', last_name: 'Builder'});
    carolU = await alice.createUser({email: `carol${sfx}@example.com`, username: `carol${sfx}`, password: PASSWORD, first_name: 'Carol', last_name: 'Danvers'});
    bob = await loggedIn(srv, bobU.username);
    carol = await loggedIn(srv, carolU.username);

    // 1. alice creates the team.
    team = await alice.createTeam({name: TEAM_NAME, display_name: 'First Day', type: 'O'});
    status.team = lastStatus;
    // 2. alice adds bob and carol.
    status.addBob = [await alice.addToTeam(team.id, bobU.id), lastStatus];
    status.addCarol = [await alice.addToTeam(team.id, carolU.id), lastStatus];
    // 3. alice creates `release` (public) and `secret` (private); bob joins `release`.
    release = await alice.createChannel({team_id: team.id, name: 'release', display_name: 'Release', type: 'O', purpose: 'ship it'});
    status.release = lastStatus;
    secret = await alice.createChannel({team_id: team.id, name: 'secret', display_name: 'Secret', type: 'P'});
    status.secret = lastStatus;
    status.bobJoin = [await bob.addToChannel(bobU.id, release.id), lastStatus];
    town = await alice.getChannelByName(team.id, 'town-square');
});

after(async () => {
    globalThis.fetch = realFetch;
    if (srv) {
        await srv.stop();
    }
});

describe("a team's first day", () => {
    it('1. alice creates the team; it has town-square and off-topic; alice is team admin', async () => {
        assert.equal(status.team, 201);
        assert.match(team.id, ID_RE);
        assert.equal(team.name, TEAM_NAME);
        assert.equal(team.display_name, 'First Day');
        assert.equal(team.type, 'O');
        assert.equal(team.delete_at, 0);
        assert.equal((await alice.getTeamByName(TEAM_NAME)).id, team.id);
        assert.ok((await alice.getMyTeams()).some((t) => t.id === team.id));

        const chans = await alice.getMyChannels(team.id);
        const byName = Object.fromEntries(chans.map((c) => [c.name, c]));
        for (const [name, display] of [['town-square', 'Town Square'], ['off-topic', 'Off-Topic']]) {
            assert.ok(byName[name], `${name} in ${Object.keys(byName)}`);
            assert.equal(byName[name].type, 'O');
            assert.equal(byName[name].team_id, team.id);
            assert.equal(byName[name].display_name, display);
        }
        const m = await alice.getTeamMember(team.id, aliceU.id);
        assert.equal(m.team_id, team.id);
        assert.equal(m.user_id, aliceU.id);
        assert.ok(roles(m.roles).has('team_admin') && roles(m.roles).has('team_user'), m.roles);
    });

    it('2. bob and carol are added and auto-joined to the default channels', async () => {
        for (const [[member, st], u] of [[status.addBob, bobU], [status.addCarol, carolU]]) {
            assert.equal(st, 201);
            assert.equal(member.team_id, team.id);
            assert.equal(member.user_id, u.id);
            assert.deepEqual(roles(member.roles), new Set(['team_user']));
        }
        const ids = new Set((await alice.getTeamMembers(team.id)).map((m) => m.user_id));
        for (const u of [aliceU, bobU, carolU]) {
            assert.ok(ids.has(u.id));
        }
        assert.equal((await alice.getTeamStats(team.id)).total_member_count, 3);
        for (const [c, u] of [[bob, bobU], [carol, carolU]]) {
            const names = new Set((await c.getMyChannels(team.id)).map((ch) => ch.name));
            assert.ok(names.has('town-square') && names.has('off-topic'), [...names].join());
            for (const name of ['town-square', 'off-topic']) {
                const ch = await c.getChannelByName(team.id, name);
                const cm = await c.getMyChannelMember(ch.id);
                assert.equal(cm.user_id, u.id);
                assert.equal(cm.channel_id, ch.id);
                assert.ok(roles(cm.roles).has('channel_user'));
            }
        }
    });

    it('3. public `release`, private `secret`; bob joins release, cannot see or join secret', async () => {
        assert.equal(status.release, 201);
        assert.equal(status.secret, 201);
        assert.equal(release.type, 'O');
        assert.equal(release.name, 'release');
        assert.equal(release.team_id, team.id);
        assert.equal(release.creator_id, aliceU.id);
        assert.equal(release.purpose, 'ship it');
        assert.equal(secret.type, 'P');
        assert.equal(secret.name, 'secret');
        const creator = await alice.getChannelMember(secret.id, aliceU.id);
        assert.ok(roles(creator.roles).has('channel_admin'), creator.roles);

        const [joined, st] = status.bobJoin;
        assert.equal(st, 201);
        assert.equal(joined.user_id, bobU.id);
        assert.equal(joined.channel_id, release.id);
        assert.equal((await bob.getChannel(release.id)).id, release.id);
        assert.equal((await bob.getChannelByName(team.id, 'release')).id, release.id);
        assert.ok((await alice.getChannelMembers(release.id)).some((m) => m.user_id === bobU.id));

        await rejectsWith(bob.getChannel(secret.id), {status: 403, id: PERMISSIONS});
        await rejectsWith(bob.addToChannel(bobU.id, secret.id), {status: 403, id: PERMISSIONS});
        assert.ok(!(await bob.getMyChannels(team.id)).some((c) => c.id === secret.id));
        assert.ok(!(await alice.getChannelMembers(secret.id)).some((m) => m.user_id === bobU.id));
        // Upstream (api4 getChannelByName) hides private channels from non-members with a 404.
        await rejectsWith(bob.getChannelByName(team.id, 'secret'), {status: 404, id: 'app.channel.get_by_name.missing.app_error'});
    });

    it('4. a mention makes bob unread; viewing the channel clears it', async () => {
        const before = await bob.getMyChannelMember(release.id);
        const message = `hello @${bobU.username} #launch`;
        const post = await alice.createPost({channel_id: release.id, message});
        assert.equal(lastStatus, 201);
        assert.match(post.id, ID_RE);
        assert.equal(post.user_id, aliceU.id);
        assert.equal(post.channel_id, release.id);
        assert.equal(post.message, message);
        assert.equal(post.hashtags, '#launch');
        assert.equal(post.root_id, '');
        assert.equal(post.edit_at, 0);

        let cm = await bob.getMyChannelMember(release.id);
        assert.equal(cm.mention_count, before.mention_count + 1);
        assert.equal(cm.mention_count, 1);
        let ch = await bob.getChannel(release.id);
        assert.ok(ch.total_msg_count > cm.msg_count, `${ch.total_msg_count} > ${cm.msg_count}`);
        assert.ok(ch.last_post_at >= post.create_at);
        const list = await bob.getPosts(release.id);
        assert.equal(list.order[0], post.id);
        assert.equal(list.posts[post.id].message, message);

        const viewed = await bob.viewMyChannel(release.id);
        assert.deepEqual(Object.keys(viewed).sort(), ['last_viewed_at_times', 'status']);
        assert.equal(viewed.status, 'OK');
        ch = await bob.getChannel(release.id);
        assert.deepEqual(viewed.last_viewed_at_times, {[release.id]: ch.last_post_at});
        cm = await bob.getMyChannelMember(release.id);
        assert.equal(cm.mention_count, 0);
        assert.equal(cm.msg_count, ch.total_msg_count);
        assert.ok(cm.last_viewed_at >= post.create_at);
    });

    it('5. bob replies in the thread', async () => {
        const root = await alice.createPost({channel_id: release.id, message: 'thread root'});
        const reply = await bob.createPost({channel_id: release.id, message: 'a reply from bob', root_id: root.id});
        assert.equal(reply.root_id, root.id);
        assert.equal(reply.user_id, bobU.id);
        const thread = await bob.getPostThread(root.id);
        assert.deepEqual(sorted(thread.order), sorted([root.id, reply.id]));
        assert.deepEqual(sorted(Object.keys(thread.posts)), sorted([root.id, reply.id]));
        assert.equal(thread.posts[root.id].reply_count, 1);
        assert.equal(thread.posts[reply.id].root_id, root.id);
        assert.equal((await bob.getPost(root.id)).reply_count, 1);
    });

    it('6. bob reacts +1, the reaction is listed, has_reactions flips, bob removes it', async () => {
        const post = await alice.createPost({channel_id: release.id, message: 'react to me'});
        assert.ok(!post.has_reactions);
        const reaction = await bob.addReaction(bobU.id, post.id, '+1');
        assert.equal(lastStatus, 200);
        assert.equal(reaction.user_id, bobU.id);
        assert.equal(reaction.post_id, post.id);
        assert.equal(reaction.emoji_name, '+1');
        assert.ok(reaction.create_at > 0);
        const listed = await alice.getReactionsForPost(post.id);
        assert.deepEqual(listed.map((r) => [r.user_id, r.post_id, r.emoji_name]), [[bobU.id, post.id, '+1']]);
        assert.equal((await alice.getPost(post.id)).has_reactions, true);

        assert.deepEqual(await bob.removeReaction(bobU.id, post.id, '+1'), {status: 'OK'});
        assert.deepEqual(await alice.getReactionsForPost(post.id), []);
        assert.ok(!(await alice.getPost(post.id)).has_reactions);
    });

    it('7. alice pins and unpins', async () => {
        const post = await alice.createPost({channel_id: release.id, message: 'pin me'});
        assert.equal(post.is_pinned, false);
        assert.deepEqual(await alice.pinPost(post.id), {status: 'OK'});
        assert.equal((await bob.getPost(post.id)).is_pinned, true);
        const pinned = await bob.getPinnedPosts(release.id);
        assert.deepEqual(pinned.order, [post.id]);
        assert.equal(pinned.posts[post.id].is_pinned, true);
        assert.equal((await bob.getChannelStats(release.id)).pinnedpost_count, 1);

        assert.deepEqual(await alice.unpinPost(post.id), {status: 'OK'});
        assert.equal((await bob.getPost(post.id)).is_pinned, false);
        assert.ok(!(await bob.getPinnedPosts(release.id)).order.includes(post.id));
        assert.equal((await bob.getChannelStats(release.id)).pinnedpost_count, 0);
    });

    it('8. bob saves a post (flagged_post preference)', async () => {
        const post = await alice.createPost({channel_id: release.id, message: 'save me for later'});
        const pref = {user_id: bobU.id, category: 'flagged_post', name: post.id, value: 'true'};
        assert.deepEqual(await bob.savePreferences('me', [pref]), {status: 'OK'});
        const mine = (await bob.getMyPreferences()).filter((p) => p.category === 'flagged_post');
        assert.deepEqual(mine, [pref]);
        const flagged = await bob.getFlaggedPosts('me');
        assert.deepEqual(flagged.order, [post.id]);
        assert.equal(flagged.posts[post.id].message, 'save me for later');
        assert.deepEqual((await alice.getFlaggedPosts('me')).order, []);
        assert.deepEqual(await bob.deletePreferences('me', [pref]), {status: 'OK'});
        assert.deepEqual((await bob.getFlaggedPosts('me')).order, []);
    });

    it('9. bob DMs carol; every DM message is a mention', async () => {
        const dm = await bob.createDirectChannel([bobU.id, carolU.id]);
        assert.equal(lastStatus, 201);
        assert.equal(dm.type, 'D');
        assert.equal(dm.name, sorted([bobU.id, carolU.id]).join('__'));
        assert.equal(dm.team_id, '');
        assert.equal(dm.display_name, '');
        assert.equal((await bob.createDirectChannel([bobU.id, carolU.id])).id, dm.id);
        assert.equal((await carol.createDirectChannel([carolU.id, bobU.id])).id, dm.id);

        const before = await carol.getMyChannelMember(dm.id);
        const msg = await bob.createPost({channel_id: dm.id, message: 'hi carol, no mention needed'});
        assert.equal(msg.channel_id, dm.id);
        const cm = await carol.getMyChannelMember(dm.id);
        assert.equal(cm.mention_count, before.mention_count + 1);
        assert.equal(cm.mention_count, 1);
        const ch = await carol.getChannel(dm.id);
        assert.equal(ch.total_msg_count - cm.msg_count, 1);
        assert.deepEqual(sorted((await alice.getChannelMembers(dm.id)).map((m) => m.user_id)), sorted([bobU.id, carolU.id]));
    });

    it('10. alice creates a group with bob and carol; two users is not a group', async () => {
        const gm = await alice.createGroupChannel([bobU.id, carolU.id]);
        assert.equal(lastStatus, 201);
        assert.equal(gm.type, 'G');
        assert.equal(gm.team_id, '');
        assert.equal(gm.display_name, sorted([aliceU.username, bobU.username, carolU.username]).join(', '));
        const ids = sorted([aliceU.id, bobU.id, carolU.id]);
        assert.equal(gm.name, crypto.createHash('sha1').update(ids.join('')).digest('hex'));
        assert.deepEqual(sorted((await bob.getChannelMembers(gm.id)).map((m) => m.user_id)), ids);
        assert.equal((await carol.createGroupChannel([aliceU.id, bobU.id, carolU.id])).id, gm.id);

        await rejectsWith(alice.createGroupChannel([bobU.id]), {status: 400, id: 'api.channel.create_group.bad_size.app_error'});
    });

    it("11. alice's town-square post shows up in carol's team unreads", async () => {
        const teamUnread = async () => {
            const rows = (await carol.getMyTeamUnreads()).filter((r) => r.team_id === team.id);
            assert.equal(rows.length, 1);
            return rows[0];
        };
        const before = await teamUnread();
        const post = await alice.createPost({channel_id: town.id, message: 'good morning, team'});
        assert.equal(post.channel_id, town.id);
        const after = await teamUnread();
        assert.equal(after.msg_count, before.msg_count + 1);
        assert.ok(after.msg_count > 0);
        assert.equal(after.mention_count, 0, 'the DM mention is not a team mention');

        const ch = await carol.getChannel(town.id);
        const cm = await carol.getMyChannelMember(town.id);
        await carol.viewMyChannel(town.id);
        assert.equal((await teamUnread()).msg_count, after.msg_count - (ch.total_msg_count - cm.msg_count));
    });

    it('12. search and autocomplete users and channels', async () => {
        const found = await bob.searchUsers('car', {});
        assert.ok(found.some((u) => u.id === carolU.id));
        assert.ok(!found.some((u) => u.id === bobU.id));
        assert.deepEqual((await bob.searchUsers('car', {team_id: team.id})).map((u) => u.id), [carolU.id]);
        const ac = await bob.autocompleteUsers('car', team.id);
        assert.deepEqual(ac.users.map((u) => u.id), [carolU.id]);

        assert.deepEqual((await bob.searchChannels(team.id, 'rele')).map((c) => c.id), [release.id]);
        assert.deepEqual(await bob.searchChannels(team.id, 'secr'), []);
        assert.deepEqual((await bob.autocompleteChannels(team.id, 'rel')).map((c) => c.id), [release.id]);
        assert.ok(!(await bob.autocompleteChannels(team.id, 'sec')).some((c) => c.id === secret.id));
        // Upstream AutocompleteInTeam: public channels plus the caller's private channels.
        const mine = await alice.autocompleteChannels(team.id, 'sec');
        assert.ok(mine.some((c) => c.id === secret.id), `alice's autocomplete 'sec' lacks her private channel: ${JSON.stringify(mine.map((c) => c.name))}`);
    });

    it('12b. statuses', async () => {
        const st = await bob.updateStatus({user_id: bobU.id, status: 'dnd'});
        assert.equal(st.user_id, bobU.id);
        assert.equal(st.status, 'dnd');
        assert.equal(st.manual, true);
        assert.equal((await carol.getStatus(bobU.id)).status, 'dnd');
        const many = await carol.getStatusesByIds([bobU.id, carolU.id]);
        assert.equal(many.find((s) => s.user_id === bobU.id).status, 'dnd');
        await rejectsWith(carol.updateStatus({user_id: bobU.id, status: 'away'}), {status: 403});
        assert.equal((await bob.updateStatus({user_id: bobU.id, status: 'online'})).status, 'online');
    });

    it('13. alice edits; bob may neither edit nor delete; deleting the root removes the thread', async () => {
        const root = await alice.createPost({channel_id: release.id, message: 'hello again #launch'});
        const reply = await bob.createPost({channel_id: release.id, message: 'reply to be deleted with its root', root_id: root.id});

        const edited = await alice.patchPost({id: root.id, message: 'hello again (edited) #launch'});
        assert.equal(edited.id, root.id);
        assert.equal(edited.message, 'hello again (edited) #launch');
        assert.ok(edited.edit_at > 0);
        assert.equal(edited.hashtags, '#launch');

        await rejectsWith(bob.patchPost({id: root.id, message: 'bob was here'}), {status: 403, id: PERMISSIONS});
        await rejectsWith(bob.deletePost(root.id), {status: 403, id: PERMISSIONS});
        assert.equal((await bob.getPost(root.id)).message, 'hello again (edited) #launch');

        assert.deepEqual(await alice.deletePost(root.id), {status: 'OK'});
        await rejectsWith(bob.getPost(root.id), {status: 404});
        await rejectsWith(bob.getPost(reply.id), {status: 404});
        await rejectsWith(bob.getPostThread(root.id), {status: 404});
        const order = (await bob.getPosts(release.id)).order;
        assert.ok(!order.includes(root.id) && !order.includes(reply.id));
    });

    it('14a. bob cannot post into secret (nothing written)', async () => {
        const snap = await snapshot(alice, secret.id);
        await rejectsWith(bob.createPost({channel_id: secret.id, message: 'let me in'}), {status: 403, id: PERMISSIONS});
        assert.deepEqual(await snapshot(alice, secret.id), snap);
    });

    it('14b. 16384 characters is too long, 16383 is fine', async () => {
        const snap = await snapshot(alice, release.id);
        const ID = 'model.post.is_valid.message_length.app_error';
        await rejectsWith(alice.createPost({channel_id: release.id, message: 'x'.repeat(16384)}), {status: 400, id: ID});
        await rejectsWith(alice.createPost({channel_id: release.id, message: 'é'.repeat(16384)}), {status: 400, id: ID});
        assert.deepEqual(await snapshot(alice, release.id), snap);
        const big = await alice.createPost({channel_id: release.id, message: 'é'.repeat(16383)});
        assert.equal(big.message, 'é'.repeat(16383));
    });

    it('14c. a reply whose root is in another channel is refused (nothing written)', async () => {
        const otherRoot = await alice.createPost({channel_id: town.id, message: 'root in town-square'});
        const snap = await snapshot(alice, release.id);
        // Mattermost: app.createPost -> api.post.create_post.channel_root_id.app_error (500),
        // turned into a 400 by CreatePostAsUser.
        await rejectsWith(alice.createPost({channel_id: release.id, message: 'misplaced reply', root_id: otherRoot.id}),
            {status: 400, id: 'api.post.create_post.channel_root_id.app_error'});
        assert.deepEqual(await snapshot(alice, release.id), snap);
        assert.equal((await alice.getPost(otherRoot.id)).reply_count, 0);
    });

    it('14d. nobody posts into an archived channel (nothing written)', async () => {
        assert.deepEqual(await alice.deleteChannel(release.id), {status: 'OK'});
        assert.ok((await alice.getChannel(release.id)).delete_at > 0);
        const snap = await snapshot(alice, release.id);
        for (const c of [alice, bob]) {
            await rejectsWith(c.createPost({channel_id: release.id, message: 'anyone there?'}),
                {status: 400, id: 'api.post.create_post.can_not_post_to_deleted.error'});
        }
        assert.deepEqual(await snapshot(alice, release.id), snap);
        // The raw error body has the standard AppError shape.
        const r = await raw(srv, 'POST', '/posts', {token: alice.getToken(), body: {channel_id: release.id, message: 'x'}});
        assert.equal(r.status, 400);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.equal(r.json.id, 'api.post.create_post.can_not_post_to_deleted.error');
        assert.match(r.json.request_id, ID_RE);
    });
});
