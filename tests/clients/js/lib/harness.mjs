// Test harness: starts a real Conclave server for the Client4 compatibility tests.
//
// Environment:
//   CONCLAVE_BIN          server binary (default: ${CARGO_TARGET_DIR:-<repo>/target}/debug/conclave)
//   CONCLAVE_TEST_DB      sqlite (default) | postgres
//   CONCLAVE_TEST_PG_URL  PostgreSQL server URL without database (default postgres://postgres@127.0.0.1:5432)
//   CONCLAVE_TEST_LOG_DIR where the server's stderr log is kept (default: a temp dir)
//   CONCLAVE_TEST_PID_DIR if set, a file per running server (pid, database) for run.sh's trap

import {spawn, execFileSync} from 'node:child_process';
import {createRequire} from 'node:module';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const require = createRequire(import.meta.url);
export const {Client4, ClientError} = require('@mattermost/client');

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..', '..', '..');
export const PASSWORD = 'Conclave-Passw0rd!';
export const ID_RE = /^[a-z0-9]{26}$/;

export function serverBinary() {
    if (process.env.CONCLAVE_BIN) {
        return process.env.CONCLAVE_BIN;
    }
    const target = process.env.CARGO_TARGET_DIR || path.join(REPO_ROOT, 'target');
    return path.join(target, 'debug', 'conclave');
}

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.unref();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const {port} = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function psql(pgUrl, sql) {
    const u = new URL(pgUrl);
    const env = {...process.env};
    if (u.password) {
        env.PGPASSWORD = decodeURIComponent(u.password);
    }
    execFileSync('psql', [
        '-v', 'ON_ERROR_STOP=1', '-X', '-q',
        '-h', u.hostname || '127.0.0.1',
        '-p', u.port || '5432',
        '-U', decodeURIComponent(u.username || 'postgres'),
        '-d', 'postgres',
        '-c', sql,
    ], {env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60000});
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts the server and resolves to {base, api, port, db, logPath, stop()}. `env` adds server
// settings (CONCLAVE_<SECTION>_<KEY>=value) for this server only; `tag` names its log file.
export async function startServer({env = {}, tag = ''} = {}) {
    const db = (process.env.CONCLAVE_TEST_DB || 'sqlite').trim().toLowerCase();
    if (db !== 'sqlite' && db !== 'postgres') {
        throw new Error(`CONCLAVE_TEST_DB must be sqlite or postgres, got ${db}`);
    }
    const bin = serverBinary();
    try {
        fs.accessSync(bin, fs.constants.X_OK);
    } catch {
        throw new Error(`server binary not found or not executable: ${bin} (set CONCLAVE_BIN)`);
    }
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-js-data-'));
    const logDir = process.env.CONCLAVE_TEST_LOG_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'conclave-js-log-'));
    fs.mkdirSync(logDir, {recursive: true});
    const logPath = path.join(logDir, `server-js-${db}${tag ? '-' + tag : ''}.log`);
    const port = await freePort();
    const args = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir];

    const pgUrl = (process.env.CONCLAVE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');
    let dbName = null;
    if (db === 'postgres') {
        dbName = 'conclave_jstest_' + crypto.randomBytes(6).toString('hex');
        try {
            psql(pgUrl, `CREATE DATABASE "${dbName}"`);
        } catch (e) {
            throw new Error(`PostgreSQL unreachable / cannot create database at ${pgUrl}: ${e.stderr || e.message}`);
        }
        args.push('--database-url', `${pgUrl}/${dbName}`);
    }

    const logFd = fs.openSync(logPath, 'w');
    const child = spawn(bin, args, {
        env: {...process.env, CONCLAVE_RATE_LIMIT_ENABLE: 'false', ...env},
        stdio: ['ignore', logFd, logFd],
    });
    // Let run.sh's cleanup trap find (and kill / drop) what we started if we die uncleanly.
    let pidFile = null;
    if (process.env.CONCLAVE_TEST_PID_DIR) {
        fs.mkdirSync(process.env.CONCLAVE_TEST_PID_DIR, {recursive: true});
        pidFile = path.join(process.env.CONCLAVE_TEST_PID_DIR, `server-${child.pid}`);
        fs.writeFileSync(pidFile, `${child.pid}\n${dbName || ''}\n`);
    }
    let exited = null;
    child.on('exit', (code, signal) => {
        exited = {code, signal};
    });
    const killOnExit = () => {
        if (exited === null) {
            child.kill('SIGKILL');
        }
    };
    process.on('exit', killOnExit);

    const stop = async () => {
        if (exited === null) {
            child.kill('SIGTERM');
            for (let i = 0; i < 100 && exited === null; i++) {
                await sleep(100);
            }
            if (exited === null) {
                child.kill('SIGKILL');
                for (let i = 0; i < 50 && exited === null; i++) {
                    await sleep(100);
                }
            }
        }
        process.removeListener('exit', killOnExit);
        try {
            fs.closeSync(logFd);
        } catch {
            // already closed
        }
        fs.rmSync(dataDir, {recursive: true, force: true});
        if (pidFile) {
            fs.rmSync(pidFile, {force: true});
        }
        if (dbName) {
            try {
                psql(pgUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
            } catch (e) {
                console.error(`warning: could not drop database ${dbName}: ${e.stderr || e.message}`);
            }
        }
    };

    const base = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30000;
    let lastErr = '';
    while (Date.now() < deadline && exited === null) {
        try {
            const r = await fetch(`${base}/api/v4/system/ping`);
            await r.arrayBuffer();
            if (r.status === 200) {
                return {base, api: `${base}/api/v4`, port, db, logPath, stop};
            }
            lastErr = `HTTP ${r.status}`;
        } catch (e) {
            lastErr = String(e.cause || e);
        }
        await sleep(200);
    }
    await stop();
    const tail = fs.existsSync(logPath) ? fs.readFileSync(logPath, 'utf8').split('\n').slice(-60).join('\n') : '';
    throw new Error(`server did not become ready within 30 s (exit ${JSON.stringify(exited)}, last error ${lastErr}); ` +
        `cmd=${bin} ${args.join(' ')}\n--- server log tail ---\n${tail}`);
}

export function unique(prefix) {
    return prefix + crypto.randomBytes(5).toString('hex');
}

// A fresh Client4 pointed at the server (no token).
export function client(srv) {
    const c = new Client4();
    c.setUrl(srv.base);
    return c;
}

export async function loggedIn(srv, loginId, password = PASSWORD, mfa = '') {
    const c = client(srv);
    await c.login(loginId, password, mfa);
    return c;
}

// Plain fetch for asserting on status codes, headers and bodies.
export async function raw(srv, method, pathAndQuery, {token, body, headers = {}} = {}) {
    const h = {...headers};
    if (token) {
        h.Authorization = `Bearer ${token}`;
    }
    const init = {method, headers: h};
    if (body !== undefined) {
        h['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const res = await fetch(srv.api + pathAndQuery, init);
    const text = await res.text();
    let json;
    try {
        json = JSON.parse(text);
    } catch {
        json = undefined;
    }
    return {status: res.status, headers: res.headers, text, json, res};
}

// --- TOTP (RFC 6238), SHA1, 30 s, 6 digits ------------------------------------------------------

function base32Decode(s) {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
    const clean = s.toUpperCase().replace(/=+$/, '');
    let bits = 0;
    let value = 0;
    const out = [];
    for (const ch of clean) {
        const idx = alphabet.indexOf(ch);
        if (idx < 0) {
            throw new Error(`invalid base32 character ${ch}`);
        }
        value = (value << 5) | idx;
        bits += 5;
        if (bits >= 8) {
            out.push((value >>> (bits - 8)) & 0xff);
            bits -= 8;
        }
    }
    return Buffer.from(out);
}

export function totpAt(secret, counter) {
    const key = base32Decode(secret);
    const msg = Buffer.alloc(8);
    msg.writeBigUInt64BE(BigInt(counter));
    const mac = crypto.createHmac('sha1', key).update(msg).digest();
    const off = mac[mac.length - 1] & 0x0f;
    const code = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
    return String(code).padStart(6, '0');
}

export const totpCounter = () => Math.floor(Date.now() / 30000);

// Current counter, waiting out the last `marginMs` of a window so the code cannot expire in flight.
export async function safeCounter(marginMs = 3000) {
    const left = 30000 - (Date.now() % 30000);
    if (left < marginMs) {
        await sleep(left + 200);
    }
    return totpCounter();
}

export async function waitNextCounter(counter) {
    while (totpCounter() <= counter) {
        await sleep(250);
    }
    return safeCounter();
}

export function wrongCode(secret, counter) {
    const valid = new Set();
    for (let c = counter - 3; c <= counter + 3; c++) {
        valid.add(totpAt(secret, c));
    }
    let n = Number(totpAt(secret, counter));
    for (;;) {
        n = (n + 1) % 1000000;
        const code = String(n).padStart(6, '0');
        if (!valid.has(code)) {
            return code;
        }
    }
}
