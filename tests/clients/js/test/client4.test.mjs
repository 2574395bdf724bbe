// Compatibility tests: the real @mattermost/client Client4 against a real Conclave server.
// Run with `node --test` from tests/clients/js (see ../run.sh).

import {describe, it, before, after} from 'node:test';
import assert from 'node:assert/strict';

import {
    Client4, ClientError, ID_RE, PASSWORD,
    client, loggedIn, raw, safeCounter, startServer, totpAt, unique, waitNextCounter, wrongCode,
} from '../lib/harness.mjs';

const INVALID_CREDENTIALS = 'api.user.login.invalid_credentials_email_username';
const MFA_REQUIRED = 'mfa.validate_token.authenticate.app_error';
const MFA_BAD_CODE = 'api.user.check_user_mfa.bad_code.app_error';
const SESSION_EXPIRED = 'api.context.session_expired.app_error';

let srv;
let firstUser; // created by anonymous sign-up
let admin; // Client4 logged in as firstUser

async function rejectsWith(promise, {status, id} = {}) {
    await assert.rejects(promise, (e) => {
        assert.ok(e instanceof ClientError, `expected ClientError, got ${e && e.constructor && e.constructor.name}: ${e}`);
        assert.equal(typeof e.message, 'string');
        assert.ok(e.message.length > 0, 'ClientError.message (server "message") must be non-empty');
        if (status !== undefined) {
            assert.equal(e.status_code, status, `status_code: ${JSON.stringify(e)}`);
        }
        if (id !== undefined) {
            assert.equal(e.server_error_id, id, `server_error_id: ${JSON.stringify(e)}`);
        }
        return true;
    });
}

function assertAppError(r, status, id) {
    assert.equal(r.status, status, r.text);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.ok(r.json && typeof r.json === 'object', r.text);
    for (const k of ['id', 'message', 'request_id', 'status_code']) {
        assert.ok(k in r.json, `error body lacks ${k}: ${r.text}`);
    }
    assert.ok(r.json.id.length > 0);
    assert.ok(r.json.message.length > 0);
    assert.equal(r.json.status_code, status);
    assert.match(r.json.request_id, ID_RE);
    assert.equal(r.headers.get('x-request-id'), r.json.request_id);
    if (id !== undefined) {
        assert.equal(r.json.id, id);
    }
    return r.json;
}

async function newUser(prefix = 'user', extra = {}) {
    const username = unique(prefix);
    return admin.createUser({
        email: `${username}@example.com`,
        username,
        password: PASSWORD,
        first_name: 'Regular',
        last_name: 'User',
        ...extra,
    });
}

before(async () => {
    try {
        srv = await startServer({tag: 'client4'});
    } catch (e) {
        console.error(`SETUP FAILED: ${e.message}`);
        throw e;
    }
    const anon = client(srv);
    const username = unique('admin');
    firstUser = await anon.createUser({
        email: `${username}@example.com`,
        username,
        password: PASSWORD,
        first_name: 'Ada',
        last_name: 'Admin',
    });
    admin = await loggedIn(srv, username);
});

after(async () => {
    if (srv) {
        await srv.stop();
    }
});

describe('system', () => {
    it('ping works anonymously and parses as JSON', async () => {
        const c = client(srv);
        const res = await c.ping();
        assert.equal(typeof res, 'object', `ping body was not parsed as JSON (Content-Type?): ${res}`);
        assert.equal(res.status, 'OK');
        assert.ok(c.getServerVersion(), 'Client4 should have picked up X-Version-Id');
    });

    it('client config (format=old) and license', async () => {
        const c = client(srv);
        // @mattermost/client 11.x has no getClientConfigOld; getClientConfig sends ?format=old.
        const cfg = await c.getClientConfig();
        assert.equal(typeof cfg, 'object');
        assert.ok(cfg.DiagnosticId, 'DiagnosticId must be non-empty');
        assert.ok(cfg.Version);
        for (const [k, v] of Object.entries(cfg)) {
            assert.equal(typeof v, 'string', `config value ${k} must be a string`);
        }
        const lic = await c.getClientLicenseOld();
        assert.equal(lic.IsLicensed, 'false');
    });

    it('X-Version-Id and X-Request-Id headers; exact application/json', async () => {
        const r = await raw(srv, 'GET', '/users/me', {token: admin.getToken()});
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.match(r.headers.get('x-request-id') || '', ID_RE);
        const v = r.headers.get('x-version-id') || '';
        const m = v.match(/^(\d+)\.(\d+)\.(\d+)(\.|$)/);
        assert.ok(m, `X-Version-Id: ${v}`);
        const [maj, min, pat] = m.slice(1, 4).map(Number);
        assert.ok(maj > 9 || (maj === 9 && (min > 11 || (min === 11 && pat >= 0))), `X-Version-Id ${v} < 9.11.0`);
        assert.equal(admin.getServerVersion(), v, 'Client4.serverVersion mirrors X-Version-Id');
    });

    it('404 error shape on unknown user and unknown route', async () => {
        const missing = 'a'.repeat(26);
        await rejectsWith(admin.getUser(missing), {status: 404});
        assertAppError(await raw(srv, 'GET', `/users/${missing}`, {token: admin.getToken()}), 404);
        assertAppError(await raw(srv, 'GET', '/no_such_route/at_all', {token: admin.getToken()}), 404);
    });
});

describe('sign-up and login', () => {
    it('first user became system admin', () => {
        assert.match(firstUser.id, ID_RE);
        assert.deepEqual(new Set(firstUser.roles.split(' ')), new Set(['system_admin', 'system_user']));
        assert.equal(firstUser.delete_at, 0);
        assert.ok(!firstUser.password);
    });

    it('open sign-up is closed after the first user', async () => {
        const name = unique('late');
        await rejectsWith(client(srv).createUser({email: `${name}@example.com`, username: name, password: PASSWORD}), {status: 403});
        await rejectsWith(admin.getUserByUsername(name), {status: 404});
    });

    it('login stores the Token header as bearer token and getMe works', async () => {
        const c = client(srv);
        assert.equal(c.getToken(), '');
        const profile = await c.login(firstUser.username, PASSWORD);
        assert.equal(profile.id, firstUser.id);
        assert.match(c.getToken(), ID_RE, 'Client4 reads the Token response header');
        const me = await c.getMe();
        assert.equal(me.id, firstUser.id);
        assert.equal(me.email, firstUser.email);
    });

    it('login with email, any case', async () => {
        const c = client(srv);
        const profile = await c.login(firstUser.email.toUpperCase(), PASSWORD);
        assert.equal(profile.id, firstUser.id);
    });

    it('XHR login sets MMAUTHTOKEN/MMUSERID/MMCSRF cookies; cookie auth + CSRF rules', async () => {
        const res = await fetch(`${srv.api}/users/login`, {
            method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-Requested-With': 'XMLHttpRequest'},
            body: JSON.stringify({login_id: firstUser.username, password: PASSWORD, token: '', deviceId: ''}),
        });
        assert.equal(res.status, 200);
        const token = res.headers.get('token');
        assert.match(token || '', ID_RE);
        const cookies = Object.fromEntries(res.headers.getSetCookie().map((c) => {
            const [kv] = c.split(';');
            const i = kv.indexOf('=');
            return [kv.slice(0, i).trim(), kv.slice(i + 1).trim()];
        }));
        assert.equal(cookies.MMAUTHTOKEN, token);
        assert.equal(cookies.MMUSERID, firstUser.id);
        assert.ok(cookies.MMCSRF, 'MMCSRF cookie');
        const cookie = `MMAUTHTOKEN=${cookies.MMAUTHTOKEN}; MMUSERID=${cookies.MMUSERID}; MMCSRF=${cookies.MMCSRF}`;

        const get = await raw(srv, 'GET', '/users/me', {headers: {Cookie: cookie}});
        assert.equal(get.status, 200, get.text);
        assert.equal(get.json.id, firstUser.id);
        // Non-GET with cookie auth but neither X-CSRF-Token nor X-Requested-With -> 401.
        const bad = await raw(srv, 'POST', '/users/ids', {headers: {Cookie: cookie}, body: [firstUser.id]});
        assertAppError(bad, 401, SESSION_EXPIRED);
        const withCsrf = await raw(srv, 'POST', '/users/ids', {headers: {Cookie: cookie, 'X-CSRF-Token': cookies.MMCSRF}, body: [firstUser.id]});
        assert.equal(withCsrf.status, 200, withCsrf.text);
        const withXhr = await raw(srv, 'POST', '/users/ids', {headers: {Cookie: cookie, 'X-Requested-With': 'XMLHttpRequest'}, body: [firstUser.id]});
        assert.equal(withXhr.status, 200, withXhr.text);
    });

    it('loginById and checkUserMfa', async () => {
        const c = client(srv);
        const profile = await c.loginById(firstUser.id, PASSWORD);
        assert.equal(profile.id, firstUser.id);
        assert.deepEqual(await c.checkUserMfa(firstUser.username), {mfa_required: false});
    });

    it('wrong password -> ClientError invalid_credentials', async () => {
        const c = client(srv);
        await rejectsWith(c.login(firstUser.username, 'wrong-password'), {status: 401, id: INVALID_CREDENTIALS});
        assert.equal(c.getToken(), '');
        await rejectsWith(c.login(unique('ghost'), PASSWORD), {status: 401, id: INVALID_CREDENTIALS});
    });

    it('unauthenticated getMe -> 401 session_expired', async () => {
        await rejectsWith(client(srv).getMe(), {status: 401, id: SESSION_EXPIRED});
    });

    it('logout clears the token and kills the session', async () => {
        const c = await loggedIn(srv, firstUser.username);
        const token = c.getToken();
        const res = await c.logout(); // Client4 returns the (already consumed) fetch Response
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-type'), 'application/json');
        assert.equal(c.getToken(), '');
        const stale = client(srv);
        stale.setToken(token);
        await rejectsWith(stale.getMe(), {status: 401});
    });
});

describe('users', () => {
    it('admin creates a second user who can log in', async () => {
        const u = await newUser('second', {first_name: 'Grace', last_name: 'Hopper', nickname: 'amazing'});
        assert.match(u.id, ID_RE);
        assert.equal(u.roles, 'system_user');
        assert.equal(u.nickname, 'amazing');
        const c = await loggedIn(srv, u.username);
        const me = await c.getMe();
        assert.equal(me.id, u.id);
        assert.ok(!me.roles.split(' ').includes('system_admin'));
        // ...but cannot create users.
        const name = unique('nope');
        await rejectsWith(c.createUser({email: `${name}@example.com`, username: name, password: PASSWORD}), {status: 403});
    });

    it('get by id, username, email; profiles by ids and usernames', async () => {
        const a = await newUser('lookupa');
        const b = await newUser('lookupb');
        assert.equal((await admin.getUser(a.id)).username, a.username);
        assert.equal((await admin.getUserByUsername(a.username)).id, a.id);
        assert.equal((await admin.getUserByEmail(a.email)).id, a.id);
        const byIds = await admin.getProfilesByIds([a.id, b.id]);
        assert.deepEqual(new Set(byIds.map((x) => x.id)), new Set([a.id, b.id]));
        const byNames = await admin.getProfilesByUsernames([a.username, b.username]);
        assert.deepEqual(new Set(byNames.map((x) => x.username)), new Set([a.username, b.username]));
        const page = await admin.getProfiles(0, 200);
        assert.ok(page.some((x) => x.id === a.id));
    });

    it('patchMe and patchUser', async () => {
        const u = await newUser('patch');
        const p = await admin.patchUser({id: u.id, nickname: 'nick1', position: 'Engineer'});
        assert.equal(p.nickname, 'nick1');
        assert.equal(p.position, 'Engineer');
        assert.equal(p.first_name, 'Regular', 'patch must not clear unspecified fields');
        const c = await loggedIn(srv, u.username);
        const mine = await c.patchMe({first_name: 'Selfie'});
        assert.equal(mine.first_name, 'Selfie');
        assert.equal(mine.nickname, 'nick1');
        await rejectsWith(c.patchUser({id: firstUser.id, nickname: 'pwned'}), {status: 403});
        assert.notEqual((await admin.getMe()).nickname, 'pwned');
    });

    it('searchUsers and autocompleteUsers', async () => {
        const tag = unique('srch');
        const u = await newUser(tag);
        const found = await admin.searchUsers(tag, {});
        assert.ok(Array.isArray(found));
        assert.ok(found.some((x) => x.id === u.id));
        assert.deepEqual(await admin.searchUsers(unique('zzznomatch'), {}), []);
        const ac = await admin.autocompleteUsers(tag);
        assert.ok(Array.isArray(ac.users), JSON.stringify(ac));
        assert.ok(ac.users.some((x) => x.id === u.id));
        const none = await admin.autocompleteUsers(unique('zzznomatch'));
        assert.deepEqual(none.users, []);
    });

    it('updateUserRoles', async () => {
        const u = await newUser('roles');
        const res = await admin.updateUserRoles(u.id, 'system_user system_user_access_token');
        assert.deepEqual(res, {status: 'OK'});
        assert.deepEqual(new Set((await admin.getUser(u.id)).roles.split(' ')), new Set(['system_user', 'system_user_access_token']));
    });

    it('updateUserActive deactivates (sessions revoked, login refused) and reactivates', async () => {
        const u = await newUser('inactive');
        const c = await loggedIn(srv, u.username);
        assert.deepEqual(await admin.updateUserActive(u.id, false), {status: 'OK'});
        assert.ok((await admin.getUser(u.id)).delete_at > 0);
        await rejectsWith(c.getMe(), {status: 401});
        await rejectsWith(client(srv).login(u.username, PASSWORD), {status: 401, id: 'api.user.login.inactive.app_error'});
        assert.deepEqual(await admin.updateUserActive(u.id, true), {status: 'OK'});
        assert.equal((await admin.getUser(u.id)).delete_at, 0);
        assert.equal((await (await loggedIn(srv, u.username)).getMe()).id, u.id);
    });

    it('updateUserPassword', async () => {
        const u = await newUser('pw');
        const c = await loggedIn(srv, u.username);
        const newPw = PASSWORD + '-new';
        await rejectsWith(c.updateUserPassword(u.id, 'wrong-current', newPw));
        await loggedIn(srv, u.username, PASSWORD); // unchanged
        assert.deepEqual(await c.updateUserPassword(u.id, PASSWORD, newPw), {status: 'OK'});
        await rejectsWith(client(srv).login(u.username, PASSWORD), {status: 401, id: INVALID_CREDENTIALS});
        assert.equal((await (await loggedIn(srv, u.username, newPw)).getMe()).id, u.id);
    });
});

describe('sessions', () => {
    it('getSessions lists sessions without tokens', async () => {
        const u = await newUser('sess');
        const c1 = await loggedIn(srv, u.username);
        const c2 = await loggedIn(srv, u.username);
        assert.notEqual(c1.getToken(), c2.getToken());
        const sessions = await c1.getSessions(u.id);
        assert.ok(sessions.length >= 2, JSON.stringify(sessions));
        for (const s of sessions) {
            assert.match(s.id, ID_RE);
            assert.equal(s.user_id, u.id);
            assert.ok(!s.token, `session listing leaks token: ${JSON.stringify(s)}`);
            assert.notEqual(s.id, c1.getToken());
            assert.notEqual(s.id, c2.getToken());
        }
    });

    it('revokeSession kills exactly that session', async () => {
        const u = await newUser('revone');
        const keeper = await loggedIn(srv, u.username);
        const before = new Set((await keeper.getSessions(u.id)).map((s) => s.id));
        const victim = await loggedIn(srv, u.username);
        const added = (await keeper.getSessions(u.id)).map((s) => s.id).filter((id) => !before.has(id));
        assert.equal(added.length, 1);
        assert.equal((await victim.getMe()).id, u.id);
        assert.deepEqual(await keeper.revokeSession(u.id, added[0]), {status: 'OK'});
        await rejectsWith(victim.getMe(), {status: 401});
        assert.equal((await keeper.getMe()).id, u.id);
        assert.ok(!(await keeper.getSessions(u.id)).some((s) => s.id === added[0]));
    });

    it('revokeAllSessionsForUser kills all, including the caller', async () => {
        const u = await newUser('revall');
        const cs = [await loggedIn(srv, u.username), await loggedIn(srv, u.username)];
        assert.deepEqual(await cs[0].revokeAllSessionsForUser(u.id), {status: 'OK'});
        for (const c of cs) {
            await rejectsWith(c.getMe(), {status: 401});
        }
        const fresh = await loggedIn(srv, u.username);
        assert.equal((await fresh.getSessions(u.id)).length, 1);
    });

    it('other users cannot see or revoke my sessions', async () => {
        const a = await newUser('sessa');
        const b = await newUser('sessb');
        const ca = await loggedIn(srv, a.username);
        const cb = await loggedIn(srv, b.username);
        await rejectsWith(cb.getSessions(a.id), {status: 403});
        const sid = (await ca.getSessions(a.id))[0].id;
        await rejectsWith(cb.revokeSession(a.id, sid), {status: 403});
        assert.equal((await ca.getMe()).id, a.id);
    });
});

describe('personal access tokens', () => {
    it('create / list / disable / enable / revoke, and use as bearer token', async () => {
        const pat = await admin.createUserAccessToken(firstUser.id, 'bot token');
        assert.match(pat.id, ID_RE);
        assert.match(pat.token, ID_RE);
        assert.equal(pat.user_id, firstUser.id);
        assert.equal(pat.description, 'bot token');

        const bot = client(srv);
        bot.setToken(pat.token);
        assert.equal((await bot.getMe()).id, firstUser.id);

        const listed = (await admin.getUserAccessTokensForUser(firstUser.id)).filter((t) => t.id === pat.id);
        assert.equal(listed.length, 1);
        assert.ok(!listed[0].token, 'listing must not include the secret');
        assert.equal(listed[0].is_active, true);
        const single = await admin.getUserAccessToken(pat.id);
        assert.equal(single.id, pat.id);
        assert.ok(!single.token);

        assert.deepEqual(await admin.disableUserAccessToken(pat.id), {status: 'OK'});
        assert.equal((await admin.getUserAccessToken(pat.id)).is_active, false);
        await rejectsWith(bot.getMe(), {status: 401});

        assert.deepEqual(await admin.enableUserAccessToken(pat.id), {status: 'OK'});
        assert.equal((await admin.getUserAccessToken(pat.id)).is_active, true);
        assert.equal((await bot.getMe()).id, firstUser.id);

        assert.deepEqual(await admin.revokeUserAccessToken(pat.id), {status: 'OK'});
        await rejectsWith(bot.getMe(), {status: 401});
        assert.ok(!(await admin.getUserAccessTokensForUser(firstUser.id)).some((t) => t.id === pat.id));
    });

    it('admin lists all tokens (getUserAccessTokens)', async () => {
        const pat = await admin.createUserAccessToken(firstUser.id, 'listed for admin');
        try {
            const all = await admin.getUserAccessTokens(0, 200);
            assert.ok(Array.isArray(all), JSON.stringify(all));
            const mine = all.filter((t) => t.id === pat.id);
            assert.equal(mine.length, 1);
            assert.ok(!mine[0].token, 'listing must not include the secret');
            assert.equal(mine[0].user_id, firstUser.id);
        } finally {
            await admin.revokeUserAccessToken(pat.id);
        }
    });

    it('regular user needs system_user_access_token role', async () => {
        const u = await newUser('patuser');
        const c = await loggedIn(srv, u.username);
        await rejectsWith(c.createUserAccessToken(u.id, 'not yet'), {status: 403});
        await admin.updateUserRoles(u.id, 'system_user system_user_access_token');
        const pat = await c.createUserAccessToken(u.id, 'now allowed');
        assert.equal(pat.user_id, u.id);
        const bot = client(srv);
        bot.setToken(pat.token);
        assert.equal((await bot.getMe()).username, u.username);
        assert.deepEqual((await c.getUserAccessTokensForUser(u.id)).map((t) => t.id), [pat.id]);
        await rejectsWith(c.createUserAccessToken(firstUser.id, 'for someone else'), {status: 403});
    });
});

describe('MFA', () => {
    it('generate, activate, login requires code, wrong code rejected, correct code accepted', async () => {
        const u = await newUser('mfa');
        const c = await loggedIn(srv, u.username);
        const gen = await c.generateMfaSecret(u.id);
        assert.match(gen.secret, /^[A-Z2-7]+$/, 'unpadded RFC 4648 base32');
        const png = Buffer.from(gen.qr_code, 'base64');
        assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'qr_code is a PNG');

        await rejectsWith(c.updateUserMfa(u.id, true, wrongCode(gen.secret, await safeCounter())));
        assert.ok(!(await c.getMe()).mfa_active);

        let counter = await safeCounter();
        assert.deepEqual(await c.updateUserMfa(u.id, true, totpAt(gen.secret, counter)), {status: 'OK'});
        assert.equal((await c.getMe()).mfa_active, true);
        assert.deepEqual(await client(srv).checkUserMfa(u.username), {mfa_required: true});

        // Client4.login sends token: '' when no code is given.
        await rejectsWith(client(srv).login(u.username, PASSWORD), {status: 401, id: MFA_REQUIRED});
        await rejectsWith(client(srv).login(u.username, PASSWORD, wrongCode(gen.secret, await safeCounter())), {status: 401, id: MFA_BAD_CODE});
        await rejectsWith(client(srv).login(u.username, 'wrong-password', totpAt(gen.secret, await safeCounter())), {status: 401, id: INVALID_CREDENTIALS});

        counter = await waitNextCounter(counter); // a code never used before
        const m = client(srv);
        const me = await m.login(u.username, PASSWORD, totpAt(gen.secret, counter));
        assert.equal(me.id, u.id);
        assert.match(m.getToken(), ID_RE);
        assert.equal((await m.getMe()).mfa_active, true);
        assert.ok(!me.mfa_secret);

        assert.deepEqual(await m.updateUserMfa(u.id, false), {status: 'OK'});
        const plain = await loggedIn(srv, u.username);
        assert.ok(!(await plain.getMe()).mfa_active);
    });
});
