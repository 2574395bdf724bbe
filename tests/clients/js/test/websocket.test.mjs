// The WebSocket (`/api/v4/websocket`), driven through @mattermost/client's WebSocketClient: the
// same class the Mattermost web and desktop apps use, with its own authentication challenge,
// ping, sequence checking and reconnect/resume logic (connection_id + sequence_number).
//
// Node has no browser WebSocket, so the `ws` package stands in for it (globalThis.WebSocket, as
// the client reads WebSocket.OPEN), created through the client's `newWebSocketFn` hook so that
// every raw frame on every underlying socket is recorded as well: the client's listeners only
// see events that passed its sequence check, the raw log shows what the server really sent.
//
// alice (first user, system admin) creates a team and the public channel `sockets` with bob and
// carol in it; dave is on the team but not in the channel.

import {describe, it, before, after, afterEach} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {createRequire} from 'node:module';

import {ID_RE, PASSWORD, client, loggedIn, startServer} from '../lib/harness.mjs';

const require = createRequire(import.meta.url);
const {WebSocketClient} = require('@mattermost/client');
const {WebSocket: WS} = await import('ws');

// What the client expects from a browser: a global WebSocket (for WebSocket.OPEN) and CloseEvent
// (built on a sequence mismatch or a ping timeout; Node 20 has neither).
globalThis.WebSocket = WS;
if (typeof globalThis.CloseEvent === 'undefined') {
    globalThis.CloseEvent = class CloseEvent extends Event {
        constructor(type, init = {}) {
            super(type);
            this.code = init.code ?? 0;
            this.reason = init.reason ?? '';
            this.wasClean = Boolean(init.wasClean);
        }
    };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// How long the client waits before reconnecting after an unexpected close (its default is 3 s
// plus up to 2 s of jitter); long enough that the posts of the drop test are certainly made
// while it is down, short enough to keep the test quick.
const RETRY_MS = 1500;
const JITTER_MS = 200;

let srv;
let alice; let bob; let carol; let dave; // Client4
let aliceU; let bobU; let carolU; let daveU;
let team; let chan;
let wsUrl;
const opened = [];

before(async () => {
    srv = await startServer({tag: 'websocket'});
    wsUrl = srv.base.replace(/^http/, 'ws') + '/api/v4/websocket';
    const sfx = crypto.randomBytes(4).toString('hex');
    const anon = client(srv);
    aliceU = await anon.createUser({email: `alice${sfx}@example.com`, username: `alice${sfx}`, password: PASSWORD, first_name: 'Alice', last_name: 'Admin'});
    alice = await loggedIn(srv, aliceU.username);
    const mk = (name, first) => alice.createUser({email: `${name}${sfx}@example.com`, username: `${name}${sfx}`, password: PASSWORD, first_name: first, last_name: 'User'});
    bobU = await mk('bob', 'Bob');
    carolU = await mk('carol', 'Carol');
    daveU = await mk('dave', 'Dave');
    bob = await loggedIn(srv, bobU.username);
    carol = await loggedIn(srv, carolU.username);
    dave = await loggedIn(srv, daveU.username);
    team = await alice.createTeam({name: `sockets${sfx}`, display_name: 'Sockets', type: 'O'});
    for (const u of [bobU, carolU, daveU]) {
        await alice.addToTeam(team.id, u.id);
    }
    chan = await alice.createChannel({team_id: team.id, name: 'sockets', display_name: 'Sockets', type: 'O'});
    await bob.addToChannel(bobU.id, chan.id);
    await carol.addToChannel(carolU.id, chan.id);
});

afterEach(() => {
    while (opened.length) {
        const rec = opened.pop();
        rec.client.close();
        // close() only closes an OPEN socket; one still connecting is dropped too.
        for (const s of rec.sockets) {
            if (s.ws.readyState !== WS.CLOSED) {
                s.ws.terminate();
            }
        }
    }
});

after(async () => {
    if (srv) {
        await srv.stop();
    }
});

// A WebSocketClient for the Client4 `c`, with everything it reports recorded. `wsOptions` go to
// the ws constructor (e.g. headers, as a browser sends its cookies).
function socketFor(c, label, wsOptions = undefined) {
    const rec = {
        label,
        sockets: [], // {url, ws} per underlying connection, in order
        frames: [], // {socket, msg}: every frame the server sent, parsed
        events: [], // what the client passed to its message listeners
        reconnects: 0,
        missed: 0,
        closes: 0,
        ofType: (t) => rec.events.filter((e) => e.event === t),
        framesOn: (n) => rec.frames.filter((f) => f.socket === n).map((f) => f.msg),
        diag: () => `${label}: sockets=${JSON.stringify(rec.sockets.map((s) => s.url))} ` +
            `reconnects=${rec.reconnects} missed=${rec.missed} closes=${rec.closes}\n` +
            rec.frames.map((f) => `  [${f.socket}] ${JSON.stringify(f.msg).slice(0, 300)}`).join('\n'),
    };
    rec.client = new WebSocketClient({
        newWebSocketFn: (url) => {
            const ws = new WS(url, wsOptions);
            const n = rec.sockets.length;
            rec.sockets.push({url, ws});
            ws.on('message', (data) => rec.frames.push({socket: n, msg: JSON.parse(String(data))}));
            return ws;
        },
        minWebSocketRetryTime: RETRY_MS,
        reconnectJitterRange: JITTER_MS,
    });
    rec.client.addMessageListener((m) => rec.events.push(m));
    rec.client.addReconnectListener(() => rec.reconnects++);
    rec.client.addMissedMessageListener(() => rec.missed++);
    rec.client.addCloseListener(() => rec.closes++);
    rec.token = c.getToken();
    opened.push(rec);
    return rec;
}

async function waitFor(what, pred, rec, ms = 10000) {
    const end = Date.now() + ms;
    for (;;) {
        const v = pred();
        if (v) {
            return v;
        }
        if (Date.now() > end) {
            throw new Error(`timed out after ${ms} ms waiting for ${what}\n${rec ? rec.diag() : ''}`);
        }
        await sleep(20);
    }
}

// Connects and waits for hello; returns it.
async function connect(c, label) {
    const rec = socketFor(c, label);
    rec.client.initialize(wsUrl, rec.token);
    const hello = await waitFor(`${label}'s hello`, () => rec.ofType('hello')[0], rec);
    return {rec, hello};
}

// The event stream the client accepted is numbered 0, 1, 2, ... with no gap and no repeat.
function assertContiguous(rec) {
    const seqs = rec.events.map((e) => e.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i), `${rec.label} seqs ${seqs}\n${rec.diag()}`);
}

const postedIds = (rec) => rec.ofType('posted').map((e) => JSON.parse(e.data.post).id);

describe('WebSocketClient (@mattermost/client)', () => {
    it('authenticates by challenge, gets hello (seq 0), pong, then `posted` events with seq + 1', async () => {
        const {rec, hello} = await connect(alice, 'alice');
        const {rec: daveRec} = await connect(dave, 'dave');

        // The handshake as the client did it: challenge (seq 1) answered OK; its first ping
        // (seq 2) answered with a pong; hello is event seq 0 for alice herself.
        const url = new URL(rec.sockets[0].url);
        assert.equal(url.searchParams.get('connection_id'), '');
        assert.equal(url.searchParams.get('sequence_number'), '0');
        const authReply = await waitFor('the challenge reply', () => rec.framesOn(0).find((m) => m.seq_reply === 1), rec);
        assert.deepEqual(authReply && {status: authReply.status, seq_reply: authReply.seq_reply}, {status: 'OK', seq_reply: 1}, rec.diag());
        const pong = await waitFor('pong reply', () => rec.framesOn(0).find((m) => m.seq_reply === 2), rec);
        assert.equal(pong.status, 'OK');
        assert.equal(pong.data.text, 'pong');
        await waitFor('client to see the pong', () => rec.client.waitingForPong === false, rec);

        assert.equal(hello.event, 'hello');
        assert.equal(hello.seq, 0);
        assert.match(hello.data.connection_id, ID_RE);
        assert.equal(typeof hello.data.server_version, 'string');
        assert.ok(hello.data.server_version.length > 0);
        assert.equal(hello.broadcast.user_id, aliceU.id);
        assert.equal(rec.client.connectionId, hello.data.connection_id, 'client stored the connection id');
        assert.notEqual(daveRec.ofType('hello')[0].data.connection_id, hello.data.connection_id);

        // bob posts twice in `sockets`; alice (a member) gets both, dave (not a member) neither.
        const p1 = await bob.createPost({channel_id: chan.id, message: 'hello sockets'});
        const p2 = await bob.createPost({channel_id: chan.id, message: 'second one'});
        const got = await waitFor('two posted events', () => (rec.ofType('posted').length >= 2 ? rec.ofType('posted') : null), rec);
        assert.equal(got.length, 2, rec.diag());
        for (const [ev, p] of [[got[0], p1], [got[1], p2]]) {
            assert.equal(typeof ev.data.post, 'string', 'data.post is a JSON string');
            const post = JSON.parse(ev.data.post);
            assert.equal(post.id, p.id);
            assert.equal(post.message, p.message);
            assert.equal(post.channel_id, chan.id);
            assert.equal(post.user_id, bobU.id);
            assert.equal(post.create_at, p.create_at);
            assert.equal(ev.data.channel_type, 'O');
            assert.equal(ev.data.channel_name, 'sockets');
            assert.equal(ev.data.channel_display_name, 'Sockets');
            assert.equal(ev.data.sender_name, `@${bobU.username}`);
            assert.equal(ev.data.team_id, team.id);
            assert.equal(ev.broadcast.channel_id, chan.id);
        }
        assert.equal(got[1].seq, got[0].seq + 1, 'back-to-back events are numbered one apart');
        assertContiguous(rec);
        assert.equal(rec.frames.filter((f) => f.msg.event === 'hello').length, 1);
        assert.equal(rec.reconnects + rec.missed + rec.closes, 0, rec.diag());
        assert.equal(rec.sockets.length, 1);

        // dave: still connected and numbered, but no `posted` from a channel he is not in.
        // (A post in town-square, where dave is, is the barrier: events arrive in order.)
        const town = await alice.getChannelByName(team.id, 'town-square');
        const pt = await alice.createPost({channel_id: town.id, message: 'barrier'});
        await waitFor('dave sees the town-square post', () => postedIds(daveRec).includes(pt.id), daveRec);
        assert.deepEqual(postedIds(daveRec), [pt.id], daveRec.diag());
        assertContiguous(daveRec);
    });

    it('a dropped socket resumes: every missed event replayed in order, no duplicate, no gap, no resync', async () => {
        const {rec, hello} = await connect(carol, 'carol');
        const connId = hello.data.connection_id;
        const p0 = await bob.createPost({channel_id: chan.id, message: 'before the drop'});
        await waitFor('the first post', () => postedIds(rec).includes(p0.id), rec);

        const expected = [p0.id];
        // Round 1 posts at once, while the server may not yet have noticed the socket is gone
        // (events may be written into the dead socket); round 2 after the client has seen the
        // close (the server has too, by then, or is about to).
        for (const round of [1, 2]) {
            const socketsBefore = rec.sockets.length;
            const reconnectsBefore = rec.reconnects;
            const closesBefore = rec.closes;
            const nextSeq = rec.client.serverSequence;
            assert.equal(nextSeq, rec.events.at(-1).seq + 1);

            // Cut the TCP connection under the client, which takes it for a network failure.
            rec.client.conn.terminate();
            if (round === 2) {
                await waitFor('the client to notice the close', () => rec.closes > closesBefore, rec);
            }
            const missed = [];
            for (let i = 1; i <= 3; i++) {
                missed.push(await bob.createPost({channel_id: chan.id, message: `round ${round} missed ${i}`}));
            }
            // The setup held: all three posts were made while the client was disconnected.
            assert.equal(rec.sockets.length, socketsBefore, 'the client reconnected before the posts were made; raise RETRY_MS');
            assert.equal(rec.reconnects, reconnectsBefore);
            expected.push(...missed.map((p) => p.id));

            await waitFor(`round ${round}: the three missed posts`, () => {
                // A resync (hello with a new connection id) will never bring them: fail now.
                assert.equal(rec.missed, 0, `round ${round}: missed-messages (resync) listener called\n${rec.diag()}`);
                return missed.every((p) => postedIds(rec).includes(p.id));
            }, rec, 15000);

            // The client reconnected by itself, once, asking to resume where it left off.
            assert.equal(rec.sockets.length, socketsBefore + 1, rec.diag());
            assert.equal(rec.reconnects, reconnectsBefore + 1, rec.diag());
            assert.equal(rec.closes, closesBefore + 1, rec.diag());
            const url = new URL(rec.sockets.at(-1).url);
            assert.equal(url.searchParams.get('connection_id'), connId);
            assert.equal(url.searchParams.get('sequence_number'), String(nextSeq));

            // The server resumed: no hello on the new socket, the first event is the next seq.
            const rawNew = rec.framesOn(socketsBefore);
            assert.equal(rawNew.filter((m) => m.event === 'hello').length, 0, `round ${round}: hello on resume\n${rec.diag()}`);
            const firstEvent = rawNew.find((m) => m.event !== undefined);
            assert.equal(firstEvent.seq, nextSeq, rec.diag());
            const reply = await waitFor('the new challenge reply', () => rec.framesOn(socketsBefore).find((m) => m.seq_reply === 1), rec);
            assert.equal(reply.status, 'OK', 'challenge on the new socket answered');
            assert.equal(rec.missed, 0, `round ${round}: missed-messages (resync) listener called\n${rec.diag()}`);
            assert.equal(rec.client.connectionId, connId);
        }

        // Every post exactly once and in order, and the accepted stream has no gap or repeat.
        assert.deepEqual(postedIds(rec), expected, rec.diag());
        assertContiguous(rec);
        // Nothing the client rejected either: every event frame the server sent was accepted.
        const rawEvents = rec.frames.filter((f) => f.msg.event !== undefined).map((f) => f.msg.seq);
        assert.deepEqual(rawEvents, rec.events.map((e) => e.seq), rec.diag());
        const ids = rec.events.map((e) => `${e.event}:${e.seq}`);
        assert.equal(new Set(ids).size, ids.length);

        // And the resumed socket is live: a new post still arrives.
        const after = await bob.createPost({channel_id: chan.id, message: 'after both drops'});
        await waitFor('a post after resuming', () => postedIds(rec).includes(after.id), rec);
        assertContiguous(rec);
        assert.equal(rec.missed, 0);
    });

    it('userTyping reaches the other members as `typing`, not the typer or a non-member', async () => {
        const {rec: a} = await connect(alice, 'alice');
        const {rec: b} = await connect(bob, 'bob');
        const {rec: d} = await connect(dave, 'dave');

        const reply = await new Promise((resolve) => a.client.userTyping(chan.id, '', resolve));
        assert.equal(reply.status, 'OK', JSON.stringify(reply));
        const typing = await waitFor('bob gets typing', () => b.ofType('typing')[0], b);
        assert.equal(typing.data.user_id, aliceU.id);
        assert.equal(typing.data.parent_id, '');
        assert.equal(typing.broadcast.channel_id, chan.id);
        assert.equal(typing.broadcast.omit_users?.[aliceU.id], true, JSON.stringify(typing.broadcast));

        // In a thread: parent_id is carried through.
        const root = await bob.createPost({channel_id: chan.id, message: 'a thread'});
        await waitFor('alice sees the root', () => postedIds(a).includes(root.id), a);
        const reply2 = await new Promise((resolve) => a.client.userTyping(chan.id, root.id, resolve));
        assert.equal(reply2.status, 'OK', JSON.stringify(reply2));
        const inThread = await waitFor('bob gets thread typing', () => b.ofType('typing')[1], b);
        assert.equal(inThread.data.parent_id, root.id);
        assert.equal(inThread.data.user_id, aliceU.id);

        // Barrier: a later event on every socket. Events arrive in order, so anything
        // addressed to alice or dave before it would have arrived by now.
        const town = await alice.getChannelByName(team.id, 'town-square');
        const barrier = await bob.createPost({channel_id: town.id, message: 'barrier'});
        for (const r of [a, b, d]) {
            await waitFor(`${r.label} sees the barrier`, () => postedIds(r).includes(barrier.id), r);
        }
        assert.equal(a.ofType('typing').length, 0, `the typer got her own typing\n${a.diag()}`);
        assert.equal(d.ofType('typing').length, 0, `a non-member got typing\n${d.diag()}`);
        assert.equal(b.ofType('typing').length, 2, b.diag());
        for (const r of [a, b, d]) {
            assertContiguous(r);
        }
    });

    it('authenticates by the MMAUTHTOKEN cookie (as browsers do), with no challenge sent', async () => {
        const rec = socketFor(bob, 'bob-cookie', {headers: {Cookie: `MMAUTHTOKEN=${bob.getToken()}`}});
        rec.client.initialize(wsUrl, ''); // no token: the client sends no authentication_challenge
        const hello = await waitFor('hello', () => rec.ofType('hello')[0], rec);
        assert.equal(hello.seq, 0);
        assert.equal(hello.broadcast.user_id, bobU.id);
        const p = await alice.createPost({channel_id: chan.id, message: 'to the cookie socket'});
        await waitFor('posted', () => postedIds(rec).includes(p.id), rec);
        // Its only request was the ping (seq 1 now that no challenge took it).
        await waitFor('the pong', () => rec.framesOn(0).find((m) => m.seq_reply === 1), rec);
        const replies = rec.framesOn(0).filter((m) => m.seq_reply !== undefined);
        assert.deepEqual(replies.map((m) => [m.seq_reply, m.status, m.data?.text]), [[1, 'OK', 'pong']], rec.diag());
        assertContiguous(rec);
    });

    it('getStatuses / getStatusesByIds / userUpdateActiveStatus answer through the client callbacks', async () => {
        const sfx = crypto.randomBytes(4).toString('hex');
        const erin = await alice.createUser({email: `erin${sfx}@example.com`, username: `erin${sfx}`, password: PASSWORD, first_name: 'Erin', last_name: 'Never'});
        const {rec: a} = await connect(alice, 'alice');
        const ask = (fn, ...args) => new Promise((resolve) => a.client[fn](...args, resolve));

        const byIds = await ask('getStatusesByIds', [aliceU.id, erin.id]);
        assert.equal(byIds.status, 'OK', JSON.stringify(byIds));
        assert.deepEqual(byIds.data, {[aliceU.id]: 'online', [erin.id]: 'offline'});

        const all = await ask('getStatuses');
        assert.equal(all.status, 'OK', JSON.stringify(all));
        assert.equal(all.data[aliceU.id], 'online', JSON.stringify(all.data));
        assert.ok(!(erin.id in all.data), 'get_statuses lists only users who are not offline');

        const active = await ask('userUpdateActiveStatus', true, false);
        assert.equal(active.status, 'OK', JSON.stringify(active));
        assert.equal((await alice.getStatus(aliceU.id)).status, 'online');
        assertContiguous(a);
    });
});

// The other side of resuming: when the server no longer holds every missed event, it answers
// the resume with a fresh hello and a new connection id, and the client resyncs.
describe('WebSocketClient resync when the server cannot replay (replay_events = 2)', () => {
    let srv2; let url2; let admin2; let poster; let listener; let chan2;

    before(async () => {
        srv2 = await startServer({env: {CONCLAVE_REALTIME_REPLAY_EVENTS: '2'}, tag: 'websocket-replay'});
        url2 = srv2.base.replace(/^http/, 'ws') + '/api/v4/websocket';
        const sfx = crypto.randomBytes(4).toString('hex');
        const au = await client(srv2).createUser({email: `root${sfx}@example.com`, username: `root${sfx}`, password: PASSWORD});
        admin2 = await loggedIn(srv2, au.username);
        const lu = await admin2.createUser({email: `lis${sfx}@example.com`, username: `lis${sfx}`, password: PASSWORD});
        const t = await admin2.createTeam({name: `replay${sfx}`, display_name: 'Replay', type: 'O'});
        await admin2.addToTeam(t.id, lu.id);
        chan2 = await admin2.createChannel({team_id: t.id, name: 'replay', display_name: 'Replay', type: 'O'});
        await admin2.addToChannel(lu.id, chan2.id);
        poster = admin2;
        listener = await loggedIn(srv2, lu.username);
    });

    after(async () => {
        if (srv2) {
            await srv2.stop();
        }
    });

    it('more missed events than the server keeps: fresh hello, new connection id, missed-messages listener called', async () => {
        const rec = socketFor(listener, 'listener');
        rec.client.initialize(url2, rec.token);
        const hello = await waitFor('hello', () => rec.ofType('hello')[0], rec);
        const oldId = hello.data.connection_id;
        const p0 = await poster.createPost({channel_id: chan2.id, message: 'before'});
        await waitFor('the first post', () => postedIds(rec).includes(p0.id), rec);
        const nextSeq = rec.client.serverSequence;

        rec.client.conn.terminate();
        const missed = [];
        for (let i = 1; i <= 4; i++) {
            missed.push(await poster.createPost({channel_id: chan2.id, message: `missed ${i}`}));
        }
        assert.equal(rec.sockets.length, 1, 'the client reconnected before the posts were made; raise RETRY_MS');
        await waitFor('a second hello', () => rec.ofType('hello')[1], rec, 15000);

        const url = new URL(rec.sockets[1].url);
        assert.equal(url.searchParams.get('connection_id'), oldId);
        assert.equal(url.searchParams.get('sequence_number'), String(nextSeq));
        const rawNew = rec.framesOn(1).filter((m) => m.event !== undefined);
        assert.equal(rawNew[0].event, 'hello', rec.diag());
        assert.equal(rawNew[0].seq, 0);
        const newId = rawNew[0].data.connection_id;
        assert.match(newId, ID_RE);
        assert.notEqual(newId, oldId);
        assert.equal(rec.missed, 1, rec.diag());
        assert.equal(rec.client.connectionId, newId);
        // Not replayed: the client is told to refetch instead.
        for (const p of missed) {
            assert.ok(!postedIds(rec).includes(p.id), `missed post ${p.id} replayed on a fresh connection\n${rec.diag()}`);
        }

        // The new connection is numbered from 0 and live.
        const p5 = await poster.createPost({channel_id: chan2.id, message: 'after'});
        await waitFor('a post on the new connection', () => postedIds(rec).includes(p5.id), rec);
        const fresh = rec.framesOn(1).filter((m) => m.event !== undefined).map((m) => m.seq);
        assert.deepEqual(fresh, fresh.map((_, i) => i), rec.diag());
        assert.equal(rec.reconnects, 1);
        assert.equal(rec.missed, 1);
    });
});
