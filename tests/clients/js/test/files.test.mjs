// Files, driven through @mattermost/client's Client4 the way the web app does it: uploadFile
// with a FormData (channel_id, client_ids, then the files), createPost with file_ids, the
// FileInfos of a post, the file / thumbnail / preview URLs fetched with the client's own
// headers, and the public link.
//
// alice (first user, system admin) creates team `file-day` with the private channel `vault`
// (alice and bob) and the public channel `lobby` (alice and bob); carol is on the team but in
// neither channel; dave is on no team at all.
//
// Refused uploads are sent several times over: fetch streams a FormData body, so a server that
// answers and closes the connection before it has read the body makes fetch fail (EPIPE)
// instead of handing the client the answer, but only some of the time.

import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

import {ClientError, ID_RE, PASSWORD, client, loggedIn, startServer} from '../lib/harness.mjs';

const PERMISSIONS = 'api.context.permissions.app_error';
const FILE_IDS = 'api.post.create_post.file_ids.app_error';
const TOO_LARGE = 'api.file.upload_file.too_large_detailed.app_error';
const FILE_INFO_KEYS = ['id', 'user_id', 'post_id', 'channel_id', 'create_at', 'update_at', 'delete_at',
    'name', 'extension', 'size', 'mime_type', 'width', 'height', 'has_preview_image', 'mini_preview',
    'remote_id', 'archived'];

// --- status recorder (Client4 hides the status of successful calls) -----------------------------
let lastStatus = 0;
const realFetch = globalThis.fetch;
globalThis.fetch = async (...args) => {
    const res = await realFetch(...args);
    lastStatus = res.status;
    return res;
};

// A refused upload must be answered (status and error id), never cut off mid-request: repeated,
// because a server that closes the connection while the client is still sending the body makes
// fetch fail with EPIPE/ECONNRESET only some of the time.
async function refusedEveryTime(times, call, expected) {
    for (let i = 0; i < times; i++) {
        await rejectsWith(call(), expected);
    }
}

async function rejectsWith(promise, {status, id} = {}) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof ClientError, `expected ClientError, got ${e && e.constructor && e.constructor.name}: ${e}` +
            (e && e.cause ? ` (cause: ${e.cause.code || ''} ${e.cause.message || e.cause})` : ''));
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

// --- images ---------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({length: 256}, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) {
        c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    return c >>> 0;
});

function crc32(buf) {
    let c = 0xffffffff;
    for (const b of buf) {
        c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    }
    return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
}

// A real RGB PNG of w×h (a colour gradient), built by hand.
function png(w, h) {
    const ihdr = Buffer.alloc(13);
    ihdr.writeUInt32BE(w, 0);
    ihdr.writeUInt32BE(h, 4);
    ihdr[8] = 8; // bit depth
    ihdr[9] = 2; // colour type: RGB
    const rows = [];
    for (let y = 0; y < h; y++) {
        const row = Buffer.alloc(1 + w * 3);
        for (let x = 0; x < w; x++) {
            row[1 + x * 3] = (x * 255 / w) | 0;
            row[2 + x * 3] = (y * 255 / h) | 0;
            row[3 + x * 3] = 128;
        }
        rows.push(row);
    }
    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', ihdr),
        chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
        chunk('IEND', Buffer.alloc(0)),
    ]);
}

// The width and height in a JPEG's SOF header (throws if the bytes are not a JPEG).
function jpegSize(buf) {
    assert.ok(buf.length > 4 && buf[0] === 0xff && buf[1] === 0xd8, `not a JPEG (starts ${buf.subarray(0, 4).toString('hex')})`);
    let i = 2;
    while (i + 9 < buf.length) {
        assert.equal(buf[i], 0xff, `bad JPEG marker at ${i}`);
        const marker = buf[i + 1];
        const len = buf.readUInt16BE(i + 2);
        if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
            return {height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7)};
        }
        i += 2 + len;
    }
    throw new Error('JPEG without a SOF header');
}

// --- world ----------------------------------------------------------------------------------------

let srv;
let alice; let bob; let carol; let dave; // Client4 instances
let aliceU; let bobU; let carolU; let daveU;
let team; let vault; let lobby;

const PICTURE = png(300, 200);
const NOTES = Buffer.from('release notes\nline two: ünïcödé ✓\n', 'utf8');

function form(channelId, files, clientIds = []) {
    const fd = new FormData();
    fd.append('channel_id', channelId);
    for (const id of clientIds) {
        fd.append('client_ids', id);
    }
    for (const [name, bytes, type] of files) {
        fd.append('files', new Blob([bytes], {type}), name);
    }
    return fd;
}

// GET a file URL the way the apps do (the client's own headers: bearer token, X-Requested-With).
async function get(c, url) {
    const res = await fetch(url, c.getOptions({method: 'get'}));
    const body = Buffer.from(await res.arrayBuffer());
    let json;
    if (res.headers.get('content-type') === 'application/json') {
        json = JSON.parse(body.toString('utf8'));
    }
    return {status: res.status, headers: res.headers, body, json};
}

const fileInfo = (c, id) => c.doFetch(`${c.getFileRoute(id)}/info`, {method: 'get'});

async function snapshot(c, channelId) {
    const ch = await c.getChannel(channelId);
    const posts = await c.getPosts(channelId);
    return {total: ch.total_msg_count, last: ch.last_post_at, order: posts.order};
}

before(async () => {
    srv = await startServer({tag: 'files'});
    const sfx = crypto.randomBytes(4).toString('hex');
    aliceU = await client(srv).createUser({email: `alice${sfx}@example.com`, username: `alice${sfx}`, password: PASSWORD, first_name: 'Alice', last_name: 'Admin'});
    alice = await loggedIn(srv, aliceU.username);
    const mk = (name) => alice.createUser({email: `${name}${sfx}@example.com`, username: `${name}${sfx}`, password: PASSWORD, first_name: name, last_name: 'User'});
    bobU = await mk('bob');
    carolU = await mk('carol');
    daveU = await mk('dave');
    bob = await loggedIn(srv, bobU.username);
    carol = await loggedIn(srv, carolU.username);
    dave = await loggedIn(srv, daveU.username);

    team = await alice.createTeam({name: 'file-day', display_name: 'File Day', type: 'O'});
    await alice.addToTeam(team.id, bobU.id);
    await alice.addToTeam(team.id, carolU.id);
    vault = await alice.createChannel({team_id: team.id, name: 'vault', display_name: 'Vault', type: 'P'});
    await alice.addToChannel(bobU.id, vault.id);
    lobby = await alice.createChannel({team_id: team.id, name: 'lobby', display_name: 'Lobby', type: 'O'});
    await alice.addToChannel(bobU.id, lobby.id);
});

after(async () => {
    globalThis.fetch = realFetch;
    if (srv) {
        await srv.stop();
    }
});

function checkInfoShape(f) {
    for (const k of FILE_INFO_KEYS) {
        assert.ok(k in f, `FileInfo lacks ${k}: ${JSON.stringify(f)}`);
    }
    for (const k of ['path', 'thumbnail_path', 'preview_path']) {
        assert.ok(!(k in f), `storage path ${k} leaked: ${JSON.stringify(f)}`);
    }
    assert.match(f.id, ID_RE);
    assert.equal(typeof f.create_at, 'number');
    assert.ok(f.create_at > 0);
    assert.equal(f.delete_at, 0);
    assert.equal(f.archived, false);
}

describe('files through Client4', () => {
    let up; let pictureInfo; let notesInfo; let post;

    it('1. uploadFile: a PNG and a text file in one FormData, with client ids', async () => {
        const before = Date.now();
        up = await alice.uploadFile(form(vault.id, [['Chart.PNG', PICTURE, 'image/png'], ['notes.txt', NOTES, 'text/plain']], ['cid-png', 'cid-txt']));
        assert.equal(lastStatus, 201);
        assert.deepEqual(Object.keys(up).sort(), ['client_ids', 'file_infos']);
        assert.deepEqual(up.client_ids, ['cid-png', 'cid-txt']);
        assert.equal(up.file_infos.length, 2);
        [pictureInfo, notesInfo] = up.file_infos;
        for (const f of up.file_infos) {
            checkInfoShape(f);
            assert.equal(f.user_id, aliceU.id);
            assert.equal(f.channel_id, vault.id);
            assert.equal(f.post_id, '');
            assert.ok(f.create_at >= before - 5000 && f.create_at <= Date.now() + 5000, `create_at ${f.create_at}`);
            assert.equal(f.update_at, f.create_at);
        }
        assert.notEqual(pictureInfo.id, notesInfo.id);

        assert.equal(pictureInfo.name, 'Chart.PNG');
        assert.equal(pictureInfo.extension, 'png');
        assert.equal(pictureInfo.mime_type, 'image/png');
        assert.equal(pictureInfo.size, PICTURE.length);
        assert.equal(pictureInfo.width, 300);
        assert.equal(pictureInfo.height, 200);
        assert.equal(pictureInfo.has_preview_image, true);
        assert.equal(typeof pictureInfo.mini_preview, 'string');
        const mini = jpegSize(Buffer.from(pictureInfo.mini_preview, 'base64'));
        assert.ok(Math.max(mini.width, mini.height) <= 16 && mini.width > 0 && mini.height > 0, JSON.stringify(mini));

        assert.equal(notesInfo.name, 'notes.txt');
        assert.equal(notesInfo.extension, 'txt');
        assert.equal(notesInfo.mime_type, 'text/plain');
        assert.equal(notesInfo.size, NOTES.length);
        assert.equal(notesInfo.width, 0);
        assert.equal(notesInfo.height, 0);
        assert.equal(notesInfo.has_preview_image, false);
        assert.equal(notesInfo.mini_preview, null);
    });

    it('2. before it is attached, only the uploader can see a file', async () => {
        assert.deepEqual(await fileInfo(alice, pictureInfo.id), pictureInfo);
        const mine = await get(alice, alice.getFileUrl(notesInfo.id));
        assert.equal(mine.status, 200);
        assert.deepEqual(mine.body, NOTES);
        // bob is in the channel, but the file is not on any post yet.
        await rejectsWith(fileInfo(bob, pictureInfo.id), {status: 403, id: PERMISSIONS});
        for (const url of [bob.getFileUrl(pictureInfo.id), bob.getFileThumbnailUrl(pictureInfo.id), bob.getFilePreviewUrl(pictureInfo.id)]) {
            const r = await get(bob, url);
            assert.equal(r.status, 403, url);
            assert.equal(r.json.id, PERMISSIONS);
        }
    });

    it('3. createPost with file_ids attaches both; metadata.files and getFileInfosForPost list them', async () => {
        post = await alice.createPost({channel_id: vault.id, message: 'the chart and the notes', file_ids: [pictureInfo.id, notesInfo.id]});
        assert.equal(lastStatus, 201);
        assert.match(post.id, ID_RE);
        assert.deepEqual(post.file_ids, [pictureInfo.id, notesInfo.id]);
        const byId = (files) => Object.fromEntries(files.map((f) => [f.id, f]));
        const expect = (f) => ({...f, post_id: post.id});
        const check = (files, where) => {
            assert.ok(Array.isArray(files), `${where}: ${JSON.stringify(files)}`);
            assert.equal(files.length, 2, where);
            const m = byId(files);
            for (const f of [pictureInfo, notesInfo]) {
                assert.ok(m[f.id], `${where} lacks ${f.id}`);
                const got = m[f.id];
                checkInfoShape(got);
                const want = expect(f);
                for (const k of FILE_INFO_KEYS.filter((x) => x !== 'update_at')) {
                    assert.deepEqual(got[k], want[k], `${where}: ${k}`);
                }
            }
        };
        check(post.metadata && post.metadata.files, 'createPost response');
        check(await alice.getFileInfosForPost(post.id), 'alice getFileInfosForPost');
        check(await bob.getFileInfosForPost(post.id), 'bob getFileInfosForPost');
        const got = await bob.getPost(post.id);
        assert.deepEqual(got.file_ids, [pictureInfo.id, notesInfo.id]);
        check(got.metadata.files, 'getPost');
        const list = await bob.getPosts(vault.id);
        assert.equal(list.order[0], post.id);
        check(list.posts[post.id].metadata.files, 'getPosts');
        assert.equal((await fileInfo(bob, notesInfo.id)).post_id, post.id);

        // A post without files carries no metadata.files.
        const plain = await alice.createPost({channel_id: vault.id, message: 'no files here'});
        assert.ok(!plain.metadata || !plain.metadata.files, JSON.stringify(plain.metadata));
        assert.ok(!(await bob.getPost(plain.id)).metadata?.files);
    });

    it('4. downloads: same bytes; the PNG inline, the text file as an attachment', async () => {
        for (const c of [alice, bob]) {
            const pic = await get(c, c.getFileUrl(pictureInfo.id));
            assert.equal(pic.status, 200);
            assert.equal(pic.headers.get('content-type'), 'image/png');
            assert.match(pic.headers.get('content-disposition'), /^inline/);
            assert.deepEqual(pic.body, PICTURE);

            const txt = await get(c, c.getFileUrl(notesInfo.id));
            assert.equal(txt.status, 200);
            assert.equal(txt.headers.get('content-type'), 'application/octet-stream');
            assert.match(txt.headers.get('content-disposition'), /^attachment;.*filename="notes\.txt"/);
            assert.equal(txt.headers.get('x-content-type-options'), 'nosniff');
            assert.deepEqual(txt.body, NOTES);
        }
        // The client's timestamp cache-buster does not change what is served.
        const stamped = await get(bob, bob.getFileUrl(pictureInfo.id, 12345));
        assert.equal(stamped.status, 200);
        assert.deepEqual(stamped.body, PICTURE);
        // ?download=1 forces an attachment even for an image.
        const dl = await get(bob, `${bob.getFileUrl(pictureInfo.id)}?download=1`);
        assert.equal(dl.status, 200);
        assert.match(dl.headers.get('content-disposition'), /^attachment/);
        assert.deepEqual(dl.body, PICTURE);
    });

    it('5. thumbnail and preview are JPEGs of the right size; a text file has neither', async () => {
        const thumb = await get(bob, bob.getFileThumbnailUrl(pictureInfo.id));
        assert.equal(thumb.status, 200);
        assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
        assert.deepEqual(jpegSize(thumb.body), {width: 120, height: 80});
        const preview = await get(bob, bob.getFilePreviewUrl(pictureInfo.id));
        assert.equal(preview.status, 200);
        assert.equal(preview.headers.get('content-type'), 'image/jpeg');
        assert.deepEqual(jpegSize(preview.body), {width: 300, height: 200});

        for (const url of [bob.getFileThumbnailUrl(notesInfo.id), bob.getFilePreviewUrl(notesInfo.id)]) {
            const r = await get(bob, url);
            assert.equal(r.status, 400, url);
            assert.equal(r.json.id, 'api.file.get_file_thumbnail.no_thumbnail.app_error');
        }
    });

    it('6. carol (team, not in the private channel) and dave (no team) are refused with 403', async () => {
        for (const c of [carol, dave]) {
            for (const id of [pictureInfo.id, notesInfo.id]) {
                await rejectsWith(fileInfo(c, id), {status: 403, id: PERMISSIONS});
                const r = await get(c, c.getFileUrl(id));
                assert.equal(r.status, 403);
                assert.equal(r.json.id, PERMISSIONS);
            }
            for (const url of [c.getFileThumbnailUrl(pictureInfo.id), c.getFilePreviewUrl(pictureInfo.id)]) {
                assert.equal((await get(c, url)).status, 403, url);
            }
            await rejectsWith(c.getFileInfosForPost(post.id), {status: 403});
        }
        // Without a session at all: 401.
        const anon = await realFetch(alice.getFileUrl(pictureInfo.id));
        assert.equal(anon.status, 401);
        await anon.arrayBuffer();
    });

    it('7. a file in a public channel: channel members and team members can read it, others cannot', async () => {
        const {file_infos: [f]} = await alice.uploadFile(form(lobby.id, [['lobby.txt', Buffer.from('for everyone'), 'text/plain']]));
        const p = await alice.createPost({channel_id: lobby.id, message: 'open file', file_ids: [f.id]});
        assert.deepEqual(p.file_ids, [f.id]);
        const byBob = await get(bob, bob.getFileUrl(f.id));
        assert.equal(byBob.status, 200);
        assert.equal(byBob.body.toString(), 'for everyone');
        // Mattermost: read_public_channel lets team members read public channels they have not joined.
        const byCarol = await get(carol, carol.getFileUrl(f.id));
        assert.equal(byCarol.status, 200, byCarol.body.toString());
        assert.equal(byCarol.body.toString(), 'for everyone');
        const byDave = await get(dave, dave.getFileUrl(f.id));
        assert.equal(byDave.status, 403);
    });

    it('8. getFilePublicLink: public links are disabled (501)', async () => {
        await rejectsWith(alice.getFilePublicLink(pictureInfo.id), {status: 501, id: 'api.file.get_public_link.disabled.app_error'});
        await rejectsWith(bob.getFilePublicLink(pictureInfo.id), {status: 501, id: 'api.file.get_public_link.disabled.app_error'});
        // As upstream (api4 getFileLink), the setting is checked before the file: a caller who
        // cannot read the file gets the same 501 and learns nothing about it.
        await rejectsWith(carol.getFilePublicLink(pictureInfo.id), {status: 501, id: 'api.file.get_public_link.disabled.app_error'});
    });

    it("9. file_ids that are not the poster's own unattached uploads to that channel are refused (nothing written)", async () => {
        const {file_infos: [mine]} = await alice.uploadFile(form(vault.id, [['a.txt', Buffer.from('alice only'), 'text/plain']]));
        const {file_infos: [elsewhere]} = await alice.uploadFile(form(lobby.id, [['b.txt', Buffer.from('lobby file'), 'text/plain']]));
        const snap = await snapshot(alice, vault.id);
        // bob posting alice's upload.
        await rejectsWith(bob.createPost({channel_id: vault.id, message: 'stolen', file_ids: [mine.id]}), {status: 400, id: FILE_IDS});
        // alice re-attaching files already on a post.
        await rejectsWith(alice.createPost({channel_id: vault.id, message: 'again', file_ids: [pictureInfo.id]}), {status: 400, id: FILE_IDS});
        // alice attaching a file uploaded to another channel.
        await rejectsWith(alice.createPost({channel_id: vault.id, message: 'wrong channel', file_ids: [elsewhere.id]}), {status: 400, id: FILE_IDS});
        // A good file next to a bad one: nothing is attached.
        await rejectsWith(alice.createPost({channel_id: vault.id, message: 'mixed', file_ids: [mine.id, elsewhere.id]}), {status: 400, id: FILE_IDS});
        assert.deepEqual(await snapshot(alice, vault.id), snap);
        assert.equal((await fileInfo(alice, mine.id)).post_id, '');
        assert.equal((await fileInfo(alice, elsewhere.id)).post_id, '');
        assert.deepEqual(await alice.getFileInfosForPost(post.id).then((fs) => fs.map((x) => x.id).sort()), [pictureInfo.id, notesInfo.id].sort());
        // The unattached file is still usable by its owner afterwards.
        const ok = await alice.createPost({channel_id: vault.id, message: '', file_ids: [mine.id]});
        assert.deepEqual(ok.file_ids, [mine.id]);
        assert.equal((await fileInfo(bob, mine.id)).post_id, ok.id);
    });

    it('10a. uploading needs permission to post in the channel', async () => {
        await rejectsWith(carol.uploadFile(form(vault.id, [['x.txt', Buffer.from('x'), 'text/plain']])), {status: 403, id: PERMISSIONS});
        await rejectsWith(dave.uploadFile(form(lobby.id, [['x.txt', Buffer.from('x'), 'text/plain']])), {status: 403, id: PERMISSIONS});
    });

    it('10b. ten files in one upload are fine; eleven are refused (400, every time)', async () => {
        const eleven = Array.from({length: 11}, (_, i) => [`f${i}.txt`, Buffer.from(`file ${i}`), 'text/plain']);
        await refusedEveryTime(5, () => alice.uploadFile(form(vault.id, eleven)), {status: 400, id: 'api.file.upload_file.too_many_files.app_error'});
        const ten = await alice.uploadFile(form(vault.id, eleven.slice(0, 10)));
        assert.equal(ten.file_infos.length, 10);
        assert.deepEqual(ten.file_infos.map((f) => f.name), eleven.slice(0, 10).map(([n]) => n));
    });

    it('10c. uploading without a session is refused with 401 (every time)', async () => {
        await refusedEveryTime(5, () => client(srv).uploadFile(form(lobby.id, [['x.txt', Buffer.from('x'), 'text/plain']])),
            {status: 401, id: 'api.context.session_expired.app_error'});
    });

    it('11. deleting the post makes its files 404', async () => {
        assert.deepEqual(await alice.deletePost(post.id), {status: 'OK'});
        for (const c of [alice, bob]) {
            for (const id of [pictureInfo.id, notesInfo.id]) {
                await rejectsWith(fileInfo(c, id), {status: 404});
                const r = await get(c, c.getFileUrl(id));
                assert.equal(r.status, 404);
            }
            assert.equal((await get(c, c.getFileThumbnailUrl(pictureInfo.id))).status, 404);
            await rejectsWith(c.getFileInfosForPost(post.id), {status: 404});
        }
    });
});

describe('upload size limit (max_file_size = 2048)', () => {
    let srv2; let admin2; let chan2;

    before(async () => {
        srv2 = await startServer({env: {CONCLAVE_FILES_MAX_FILE_SIZE: '2048'}, tag: 'files-limit'});
        const sfx = crypto.randomBytes(4).toString('hex');
        const u = await client(srv2).createUser({email: `root${sfx}@example.com`, username: `root${sfx}`, password: PASSWORD});
        admin2 = await loggedIn(srv2, u.username);
        const t = await admin2.createTeam({name: `limit${sfx}`, display_name: 'Limit', type: 'O'});
        chan2 = await admin2.getChannelByName(t.id, 'town-square');
    });

    after(async () => {
        if (srv2) {
            await srv2.stop();
        }
    });

    it('a file of exactly the limit is accepted', async () => {
        const exact = crypto.randomBytes(2048);
        const ok = await admin2.uploadFile(form(chan2.id, [['exact.bin', exact, 'application/octet-stream']]));
        assert.equal(lastStatus, 201);
        assert.equal(ok.file_infos[0].size, 2048);
        assert.deepEqual((await get(admin2, admin2.getFileUrl(ok.file_infos[0].id))).body, exact);
    });

    it('one byte more, or far more, is refused with 413 every time (never a cut-off connection)', async () => {
        await refusedEveryTime(5, () => admin2.uploadFile(form(chan2.id, [['over.bin', crypto.randomBytes(2049), 'application/octet-stream']])), {status: 413, id: TOO_LARGE});
        // Far over the limit (100x, still well within what the server reads of a request body).
        await refusedEveryTime(5, () => admin2.uploadFile(form(chan2.id, [['big.bin', crypto.randomBytes(200 << 10), 'application/octet-stream']])), {status: 413, id: TOO_LARGE});
        // A small file next to an oversized one: the request is refused as a whole.
        await refusedEveryTime(3, () => admin2.uploadFile(form(chan2.id, [['small.bin', crypto.randomBytes(10), 'application/octet-stream'], ['over.bin', crypto.randomBytes(4096), 'application/octet-stream']])),
            {status: 413, id: TOO_LARGE});
        // The limit did not break later uploads.
        const after = await admin2.uploadFile(form(chan2.id, [['after.txt', Buffer.from('still fine'), 'text/plain']]));
        assert.equal(after.file_infos[0].size, 10);
    });
});
