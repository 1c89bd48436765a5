// What the two emulated apps (android.js, ios.js) share: the command line,
// TAP-like output, raw HTTP requests with exactly the headers given, the
// push socket on the pinned "ws" package, and the whole app flow. Each app
// file supplies a profile (its SDK's wire behaviour, see README.md) and
// calls run(profile).
//
// Output: "ok N - ..." / "not ok N - ..." lines, "#" diagnostics, a final
// "1..N"; exit status 0 when every check passed, 1 when one failed, 2 on a
// usage or internal error.
'use strict';

const http = require('node:http');
const https = require('node:https');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const WebSocket = require('ws');

const USAGE = `usage: node APP.js --base URL --login L --password P --camera ID
    --from-us US --to-us US --empty-from-us US --empty-to-us US
    [--idle S] [--timeout S] [--dup-wait S] [--save DIR]
  times are UTC microseconds; --empty-* is a range with no footage;
  --idle S stays idle after subscribing so the SDK's own ping timers fire.`;

function parseArgs(argv) {
	const o = { idle: 0, timeout: 60, dupWait: 3 };
	const num = (k) => (v) => {
		const n = Number(v);
		if (!Number.isFinite(n))
			throw new Error(`${k} wants a number, got '${v}'`);
		o[k] = n;
	};
	const values = {
		'--base': (v) => { o.base = v.replace(/\/+$/, ''); },
		'--login': (v) => { o.login = v; },
		'--password': (v) => { o.password = v; },
		'--camera': num('camera'),
		'--from-us': num('fromUs'),
		'--to-us': num('toUs'),
		'--empty-from-us': num('emptyFromUs'),
		'--empty-to-us': num('emptyToUs'),
		'--idle': num('idle'),
		'--timeout': num('timeout'),
		'--dup-wait': num('dupWait'),
		'--save': (v) => { o.save = v; },
	};
	for (let i = 2; i < argv.length; i++) {
		if (values[argv[i]] && i + 1 < argv.length)
			values[argv[i]](argv[++i]);
		else
			throw new Error(`unknown argument '${argv[i]}'\n${USAGE}`);
	}
	for (const k of ['base', 'login', 'password', 'camera', 'fromUs', 'toUs',
	    'emptyFromUs', 'emptyToUs'])
		if (o[k] === undefined)
			throw new Error(`missing --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}\n${USAGE}`);
	return o;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- TAP-like output

class Tap {
	constructor(name) {
		this.name = name;
		this.n = 0;
		this.failed = 0;
	}

	out(line) { process.stdout.write(line + '\n'); }

	note(msg) {
		for (const l of String(msg).split('\n'))
			this.out('# ' + l);
	}

	ok(cond, desc, diag) {
		this.n++;
		if (cond) {
			this.out(`ok ${this.n} - ${desc}`);
			return true;
		}
		this.failed++;
		this.out(`not ok ${this.n} - ${desc}`);
		if (diag !== undefined && diag !== '')
			for (const l of String(diag).split('\n'))
				this.out('#   ' + l);
		return false;
	}

	done() {
		this.out(`1..${this.n}`);
		this.note(`${this.name}: ${this.n - this.failed} passed, ${this.failed} failed`);
		return this.failed === 0 ? 0 : 1;
	}
}

// --- HTTP with exactly the given headers (node:http adds Host and
// Connection only; Content-Length is set here when there is a body).

function request(method, url, headers, body) {
	return new Promise((resolve) => {
		const u = new URL(url);
		const mod = u.protocol === 'https:' ? https : http;
		const h = Object.assign({}, headers);
		let payload = null;
		if (body !== undefined && body !== null) {
			payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
			h['Content-Length'] = String(payload.length);
		}
		const req = mod.request(u, { method, headers: h, agent: false }, (res) => {
			const chunks = [];
			res.on('data', (c) => chunks.push(c));
			res.on('end', () => {
				let buf = Buffer.concat(chunks);
				// The SDKs' HTTP stacks ask for gzip and undo it themselves.
				const enc = res.headers['content-encoding'];
				try {
					if (enc === 'gzip')
						buf = zlib.gunzipSync(buf);
					else if (enc === 'deflate')
						buf = zlib.inflateSync(buf);
					else if (enc === 'br')
						buf = zlib.brotliDecompressSync(buf);
				} catch (e) { /* keep the bytes as they came */ }
				let json;
				try { json = JSON.parse(buf.toString('utf8')); } catch (e) { json = undefined; }
				resolve({ status: res.statusCode, headers: res.headers, body: buf, json });
			});
			res.on('error', (e) => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message }));
		});
		req.on('error', (e) => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), error: e.message }));
		req.setTimeout(30000, () => req.destroy(new Error('timed out after 30 s')));
		if (payload)
			req.write(payload);
		req.end();
	});
}

// A response in one line for diagnostics.
function show(r) {
	if (r.status === 0)
		return `no answer: ${r.error}`;
	let text = r.body.toString('utf8');
	if (text.length > 300)
		text = text.slice(0, 300) + '...';
	return `HTTP ${r.status} ${r.headers['content-type'] || '(no Content-Type)'}: ${text}`;
}

// --- JSON shape checks (what a strict decoder would refuse)

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);
const isIntArray = (v) => Array.isArray(v) && v.every(isInt);

// The id of a download named by a /downloads/{id}/file URL.
function linkDownloadId(url) {
	const m = typeof url === 'string' ? /\/downloads\/(\d+)\/file/.exec(url) : null;
	return m ? Number(m[1]) : null;
}

// An MP4 starts with a box whose type is ftyp.
function isMp4(buf) {
	return buf.length > 8 && buf.toString('latin1', 4, 8) === 'ftyp';
}

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

// --- The push socket

// One WebSocket with every frame kept: {t, text, msg} in this.frames.
// The SDK's own timers (profile.activityMs / pongMs / wsPingMs) run as in
// the SDK: idle for activityMs -> the SDK's ping text; nothing back within
// pongMs -> the SDK would drop the connection and reconnect (counted).
class PushSocket {
	constructor(profile, url, protocols, tap) {
		this.p = profile;
		this.tap = tap;
		this.url = url;
		this.frames = [];
		this.closed = null;
		this.opened = false;
		this.idlePings = 0;
		this.idlePongs = 0;
		this.awaitingPong = false;
		this.idlePongTimeouts = 0;
		this.wsPings = 0;
		this.wsPongs = 0;
		this.wsLost = 0;
		this.lastHeard = Date.now();
		this.ws = new WebSocket(url, protocols, {
			perMessageDeflate: false,
			headers: profile.wsHeaders || {},
			handshakeTimeout: 10000,
			followRedirects: false,
		});
		this.ws.on('upgrade', (res) => { this.upgrade = res; });
		this.ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
		this.ws.on('pong', () => { this.wsPongs++; this.lastHeard = Date.now(); });
		this.ws.on('close', (code, reason) => {
			this.closed = { code, reason: reason.toString(), t: Date.now() };
			this.stopTimers();
		});
		this.openResult = new Promise((resolve) => {
			this.ws.once('open', () => { this.opened = true; this.startTimers(); resolve(null); });
			this.ws.once('error', (e) => resolve(e.message || String(e)));
			this.ws.once('close', () => resolve('closed before the handshake completed'));
		});
		this.ws.on('error', () => {});
	}

	onFrame(data, isBinary) {
		const text = isBinary ? null : data.toString('utf8');
		let msg;
		try { msg = JSON.parse(text); } catch (e) { msg = undefined; }
		this.frames.push({ t: Date.now(), text, msg });
		if (this.awaitingPong && msg && msg.event === 'pusher:pong') {
			this.idlePongs++;
			this.awaitingPong = false;
		}
		this.lastHeard = Date.now();
		this.activity();
	}

	// Any frame from the server is activity (both SDKs reset on each).
	activity() {
		clearTimeout(this.pingTimer);
		clearTimeout(this.pongTimer);
		if (!this.opened || this.closed || !this.p.activityMs)
			return;
		this.pingTimer = setTimeout(() => {
			this.idlePings++;
			this.awaitingPong = true;
			this.tap.note(`${this.p.name}: idle ${this.p.activityMs / 1000} s, sending the SDK's ping ${this.p.pingText}`);
			this.send(this.p.pingText);
			this.pongTimer = setTimeout(() => {
				this.idlePongTimeouts++;
				this.tap.note(`${this.p.name}: nothing back within ${this.p.pongMs / 1000} s: the SDK would drop this connection`);
			}, this.p.pongMs);
		}, this.p.activityMs);
	}

	startTimers() {
		this.activity();
		if (this.p.wsPingMs) {
			// Java-WebSocket's lost-connection detection: a ping frame every
			// interval, closed if nothing was heard for 1.5 intervals.
			this.wsPingTimer = setInterval(() => {
				if (Date.now() - this.lastHeard > this.p.wsPingMs * 1.5) {
					this.wsLost++;
					this.tap.note(`${this.p.name}: no pong or frame for ${this.p.wsPingMs * 1.5 / 1000} s: Java-WebSocket would close 1006`);
				}
				this.wsPings++;
				try { this.ws.ping(); } catch (e) { /* closed */ }
			}, this.p.wsPingMs);
		}
	}

	stopTimers() {
		clearTimeout(this.pingTimer);
		clearTimeout(this.pongTimer);
		clearInterval(this.wsPingTimer);
	}

	send(text) {
		if (this.ws.readyState === WebSocket.OPEN)
			this.ws.send(text);
	}

	// The first frame at or after index `from` that pred accepts, or null.
	async waitFrame(pred, ms, from = 0) {
		const end = Date.now() + ms;
		for (;;) {
			for (let i = from; i < this.frames.length; i++)
				if (pred(this.frames[i].msg, this.frames[i]))
					return this.frames[i];
			if (Date.now() >= end || this.closed)
				return null;
			await sleep(20);
		}
	}

	async waitClosed(ms) {
		const end = Date.now() + ms;
		while (!this.closed && Date.now() < end)
			await sleep(20);
		return this.closed;
	}

	close() {
		this.stopTimers();
		try { this.ws.terminate(); } catch (e) { /* gone */ }
	}
}

// The envelope of a channel event: {event, channel, dataIsString, env, type}.
function channelEvent(frame) {
	const m = frame.msg;
	if (!isObj(m) || typeof m.event !== 'string' || typeof m.channel !== 'string' ||
	    m.event.startsWith('pusher:') || m.event.startsWith('pusher_internal:'))
		return null;
	let env = m.data;
	if (typeof env === 'string') {
		try { env = JSON.parse(env); } catch (e) { env = undefined; }
	}
	const inner = isObj(env) && isObj(env.data) ? env.data : null;
	const dl = inner && isObj(inner.data) && isObj(inner.data.download) ? inner.data.download : null;
	let id = dl && isInt(dl.id) ? dl.id : null;
	if (id === null && inner && isObj(inner.data))
		id = linkDownloadId(inner.data.url);
	return {
		frame, event: m.event, channel: m.channel, data: m.data,
		dataIsString: typeof m.data === 'string', env,
		type: inner ? inner.type : undefined, downloadId: id,
	};
}

// --- The flow every app goes through

async function connectPush(p, t, ws, base) {
	const attempts = p.wsAttempts(ws, base);
	let sock = null;
	for (let i = 0; i < attempts.length; i++) {
		const a = attempts[i];
		if (i > 0)
			t.note(`${p.name}: fallback: ${a.why}, so that the remaining checks still run`);
		t.note(`${p.name}: connecting ${a.url}${a.protocols.length ? ' with Sec-WebSocket-Protocol: ' + a.protocols.join(', ') : ''}`);
		sock = new PushSocket(p, a.url, a.protocols, t);
		const err = await sock.openResult;
		if (a.check) {
			t.ok(err === null, a.check.handshake,
			    err === null ? '' : `handshake failed: ${err}`);
			if (err === null && a.check.subprotocol)
				t.ok(sock.ws.protocol === a.check.subprotocol &&
				    sock.upgrade.headers['sec-websocket-protocol'] === a.check.subprotocol,
				    a.check.subprotocolDesc,
				    `answered Sec-WebSocket-Protocol: ${sock.upgrade && sock.upgrade.headers['sec-websocket-protocol']}`);
			if (err === null && a.check.noSubprotocol)
				t.ok(sock.upgrade.headers['sec-websocket-protocol'] === undefined,
				    a.check.noSubprotocol,
				    `answered Sec-WebSocket-Protocol: ${sock.upgrade.headers['sec-websocket-protocol']}`);
		}
		if (err !== null) {
			sock.close();
			continue;
		}
		const first = await sock.waitFrame((m) => isObj(m) &&
		    (m.event === 'pusher:connection_established' || m.event === 'pusher:error'), 10000);
		const est = first && first.msg.event === 'pusher:connection_established';
		let why = 'no frame within 10 s';
		if (first && !est) {
			let d = first.msg.data;
			try { d = typeof d === 'string' ? JSON.parse(d) : d; } catch (e) { /* as sent */ }
			why = `pusher:error ${isObj(d) ? d.code : ''} "${isObj(d) ? d.message : d}"`;
		}
		if (!est) {
			await sock.waitClosed(2000);
			if (sock.closed)
				why += `, then close ${sock.closed.code} "${sock.closed.reason}"`;
		}
		if (a.check && a.check.established)
			t.ok(est, a.check.established, est ? '' : why);
		if (est) {
			sock.established = first;
			return sock;
		}
		sock.close();
	}
	return null;
}

async function run(p) {
	let o;
	try {
		o = parseArgs(process.argv);
	} catch (e) {
		process.stderr.write(`${p.name}: ${e.message}\n`);
		process.exit(2);
	}
	const t = new Tap(p.name);
	const base = o.base;
	const ctx = { token: null, socketId: null };
	const api = async (method, pth, body) => {
		const req = p.apiRequest(method, pth, body, ctx);
		const r = await request(method, base + pth, req.headers, req.body);
		if (p.checkApiResponse)
			p.checkApiResponse(method, pth, r);
		return r;
	};

	// 1. Log in as the app does, with the extras it sends.
	let r = await api('POST', '/api/v1/token', p.loginBody(o.login, o.password));
	t.ok(r.status === 200, `POST /api/v1/token with the app's body (${p.loginDescription}) answers 200`, show(r));
	if (r.status !== 200) {
		r = await api('POST', '/api/v1/token', { json: { login: o.login, password: o.password } });
		t.note(`${p.name}: fallback: login with {login, password} only answered ${r.status}, to check the rest`);
	}
	if (r.status !== 200 || !isObj(r.json) || !isObj(r.json.user)) {
		t.ok(false, 'logged in: nothing else can be checked', show(r));
		return finish(t);
	}
	const login = r.json;
	p.checkLogin(t, login);
	const tokenId = login.user.access_token_id;
	t.ok(typeof tokenId === 'string' && tokenId !== '',
	    'user.access_token_id is a JSON string (the iOS SDK decodes String; the channel name uses the same text)',
	    `got ${JSON.stringify(tokenId)} (${typeof tokenId})`);
	if (typeof login.access_token === 'string')
		t.ok(login.access_token.split('|')[0] === String(tokenId),
		    'access_token_id is the id part of the "<id>|<secret>" token',
		    `token id part ${login.access_token.split('|')[0]}, access_token_id ${tokenId}`);
	ctx.token = login.access_token;
	const userId = login.user.id;
	const tokenChannel = `private-token.${tokenId}`;
	const userChannel = `private-user.${userId}`;

	// 2. The user, as both apps ask for it.
	r = await api('GET', '/api/v1/users/self');
	if (t.ok(r.status === 200 && isObj(r.json), 'GET /api/v1/users/self answers 200 with the user', show(r))) {
		t.ok(r.json.id === userId, 'users/self is the logged-in user', `id ${r.json.id}, login said ${userId}`);
		p.checkUser(t, r.json, 'users/self');
	}

	// 3. Where to connect.
	r = await api('GET', '/api/v1/wsurl');
	const ws = r.json;
	if (!t.ok(r.status === 200 && isObj(ws) && typeof ws.ws_url === 'string' &&
	    typeof ws.app_key === 'string', 'GET /api/v1/wsurl answers ws_url and app_key', show(r)))
		return finish(t);

	// 4. The push socket, as the SDK opens it.
	const sock = await connectPush(p, t, ws, base);
	if (!sock) {
		t.ok(false, 'a push connection was established: no push check can run');
		return finish(t);
	}
	const est = sock.established.msg;
	let estData;
	try { estData = typeof est.data === 'string' ? JSON.parse(est.data) : undefined; } catch (e) { estData = undefined; }
	t.ok(typeof est.data === 'string' && isObj(estData) && typeof estData.socket_id === 'string' &&
	    /^\d+\.\d+$/.test(estData.socket_id) && typeof estData.activity_timeout === 'number',
	    'connection_established data is a JSON string with socket_id "N.N" and activity_timeout',
	    sock.established.text);
	ctx.socketId = isObj(estData) ? estData.socket_id : null;
	if (p.onEstablished)
		p.onEstablished(estData, sock);

	// 5. Both channels, authorised as the SDK posts it.
	const subscribed = await p.subscribe({ t, sock, base, ctx, channels: [tokenChannel, userChannel] });
	if (!subscribed) {
		t.ok(false, 'subscribed to both channels: no push check can run');
		sock.close();
		return finish(t);
	}

	// 6. The SDK's ping, at once (then its own timers while idle).
	let from = sock.frames.length;
	sock.send(p.pingText);
	const pong = await sock.waitFrame((m) => isObj(m) && m.event === 'pusher:pong', p.pongMs, from);
	t.ok(pong !== null, `the SDK's ping ${p.pingText} is answered by pusher:pong within ${p.pongMs / 1000} s`);
	if (o.idle > 0) {
		t.note(`${p.name}: idle for ${o.idle} s, as an app in the background`);
		const pings = sock.idlePings, pongs = sock.idlePongs;
		await sleep(o.idle * 1000);
		t.ok(!sock.closed, `still connected after ${o.idle} s idle`,
		    sock.closed ? `closed ${sock.closed.code} "${sock.closed.reason}"` : '');
		t.ok(sock.idlePings > pings && sock.idlePongs > pongs,
		    `the SDK's idle ping, sent after ${p.activityMs / 1000} s of silence, was answered by pusher:pong`,
		    `${sock.idlePings - pings} sent, ${sock.idlePongs - pongs} answered in ${o.idle} s`);
		if (p.wsPingMs)
			t.ok(sock.wsPings > 0 && sock.wsPongs >= sock.wsPings && sock.wsLost === 0,
			    `WebSocket ping frames every ${p.wsPingMs / 1000} s are answered by pong frames`,
			    `${sock.wsPings} sent, ${sock.wsPongs} answered`);
	}

	// 7. A download through archive/link, pushed once, downloaded.
	const good = await archive(p, t, o, api, sock, {
		what: 'the recorded range', fromUs: o.fromUs, toUs: o.toUs,
		tokenChannel, userChannel, expect: 'ok',
	});
	if (good && good.url) {
		const dl = await request('GET', good.url, p.downloadHeaders || {});
		t.ok(dl.status === 200, 'the pushed url downloads without a token', show(dl));
		t.ok(dl.status === 200 && isMp4(dl.body),
		    `what it downloads is a non-empty MP4 (ftyp box first, ${dl.body.length} bytes)`,
		    dl.body.slice(0, 16).toString('hex'));
		if (dl.status === 200 && good.downloadId !== null) {
			t.note(`download ${good.downloadId} sha256 ${sha256(dl.body)} bytes ${dl.body.length}`);
			if (o.save) {
				fs.mkdirSync(o.save, { recursive: true });
				fs.writeFileSync(path.join(o.save, `${good.downloadId}.mp4`), dl.body);
			}
		}
		if (good.link && good.link !== good.url) {
			const l = await request('GET', good.link, p.downloadHeaders || {});
			t.ok(l.status === 200 && l.body.equals(dl.body),
			    'the archive/link link downloads the same bytes (the desktop client reads link)', show(l));
		}
	}

	// 8. A range with no footage: the error push.
	await archive(p, t, o, api, sock, {
		what: 'a range with no footage', fromUs: o.emptyFromUs, toUs: o.emptyToUs,
		tokenChannel, userChannel, expect: 'error',
	});

	// What went over the token channel, and what the app made of it all.
	const onToken = sock.frames.map(channelEvent).filter((e) => e && e.channel === tokenChannel);
	const others = onToken.filter((e) => e.type !== 'archive_generated');
	t.ok(others.length === 0, `the token channel carried archive_generated only`,
	    others.map((e) => `${e.event} type ${e.type}`).join('\n'));
	const logouts = p.appEvents(sock.frames, { tokenChannel, userChannel }).filter((e) => e.kind === 'logout');
	t.ok(logouts.length === 0, 'no push made the app log out',
	    logouts.map((e) => `${e.event} on ${e.channel}: ${e.why}`).join('\n'));
	if (p.checkFrames)
		p.checkFrames(t, sock.frames);
	if (p.apiViolations)
		t.ok(p.apiViolations.length === 0, p.apiViolationsDesc, p.apiViolations.join('\n'));
	t.ok(sock.idlePongTimeouts === 0 && sock.wsLost === 0,
	    'the SDK never timed out waiting for the server',
	    `${sock.idlePongTimeouts} pong timeouts, ${sock.wsLost} lost-connection detections`);
	t.ok(!sock.closed, 'the push connection stayed open through the flow',
	    sock.closed ? `closed ${sock.closed.code} "${sock.closed.reason}"` : '');

	// 9. Logout closes the push connection and revokes the token.
	r = await api('POST', '/api/v1/logout', p.logoutBody());
	t.ok(r.status >= 200 && r.status < 300, `POST /api/v1/logout (${p.logoutDescription}) succeeds`, show(r));
	const closed = sock.closed || await sock.waitClosed(10000);
	t.ok(closed !== null, 'the push connection is closed by the server after logout',
	    closed ? '' : 'still open 10 s after logout');
	if (closed)
		t.note(`${p.name}: push connection closed ${closed.code} "${closed.reason}"`);
	r = await api('GET', '/api/v1/users/self');
	let asked = 'users/self';
	if (r.status === 404) {
		// No users/self at all (reported above): ask the older route, so
		// that this says whether the token itself was revoked.
		asked = '/api/v1/user (users/self is 404)';
		r = await api('GET', '/api/v1/user');
	}
	t.ok(r.status === 401, `the token is revoked: ${asked} answers 401 afterwards`, show(r));
	sock.close();
	return finish(t);
}

// GET archive/link for a range, then the archive_generated push of that
// download: exactly one copy, on the token channel, as the app reads it.
async function archive(p, t, o, api, sock, c) {
	const from = p.formatTime(c.fromUs), to = p.formatTime(c.toUs);
	const q = `?from=${p.encodeQuery(from)}&to=${p.encodeQuery(to)}`;
	const start = sock.frames.length;
	const r = await api('GET', `/api/v1/cameras/${o.camera}/archive/link${q}`);
	const j = r.json;
	t.ok(r.status === 200 && isObj(j) && j.status === 'ok' && typeof j.link === 'string',
	    `archive/link for ${c.what} (from=${from}) answers {"status":"ok","link":...}` +
	    ' (Android shows its error toast unless status is "ok"; the desktop client reads link)', show(r));
	if (r.status !== 200 || !isObj(j))
		return null;
	const link = typeof j.link === 'string' ? j.link : null;
	const id = linkDownloadId(link);
	const mine = (e) => e && e.type === 'archive_generated' && (id === null || e.downloadId === null || e.downloadId === id);
	const first = await sock.waitFrame((m, f) => mine(channelEvent(f)), o.timeout * 1000, start);
	if (!t.ok(first !== null, `archive_generated for ${c.what} arrives within ${o.timeout} s`,
	    sock.closed ? `connection closed ${sock.closed.code}` : ''))
		return null;
	await sleep(o.dupWait * 1000);
	const copies = sock.frames.slice(start).map(channelEvent).filter(mine);
	const where = copies.map((e) => `${e.event} on ${e.channel}`).join('\n');
	t.ok(copies.length === 1, `exactly one archive_generated for ${c.what} (waited ${o.dupWait} s for a second copy)`,
	    `${copies.length} copies:\n${where}`);
	t.ok(copies.some((e) => e.channel === c.tokenChannel && e.event === 'App\\Events\\TokenPush'),
	    `it comes as App\\Events\\TokenPush on ${c.tokenChannel}`, where);
	t.ok(!copies.some((e) => e.channel === c.userChannel),
	    `no copy on ${c.userChannel}`, where);
	t.ok(copies.every((e) => e.dataIsString), 'its data is a JSON string (both SDKs read data only as a string)',
	    copies.filter((e) => !e.dataIsString).map((e) => JSON.stringify(e.data).slice(0, 200)).join('\n'));
	const ev = copies.find((e) => e.channel === c.tokenChannel) || copies[0];
	t.ok(isObj(ev.env) && 'subject' in ev.env && 'message' in ev.env,
	    'the envelope has "subject" and "message" (the Android SDK reads subject and fails without it)',
	    ev.frame.text.slice(0, 300));

	// As the app sees it.
	const app = p.appEvents(sock.frames.slice(start), c).filter((e) => e.kind === 'archive' &&
	    (id === null || e.downloadId === null || e.downloadId === id));
	t.ok(app.length === 1, `the ${p.name} app handles it exactly once`,
	    app.map((e) => `${e.event} on ${e.channel}`).join('\n') || 'not at all');
	const seen = app[0];
	const inner = isObj(ev.env) && isObj(ev.env.data) ? ev.env.data : {};
	const data = isObj(inner.data) ? inner.data : {};
	if (c.expect === 'ok') {
		t.ok(inner.status === 'ok', 'status "ok"', `status ${JSON.stringify(inner.status)}`);
		t.ok(seen && typeof seen.url === 'string' && seen.url !== '', 'the app finds a url in it',
		    seen ? `url ${JSON.stringify(seen.url)}` : ev.frame.text.slice(0, 300));
		return { url: seen && seen.url, link, downloadId: id !== null ? id : ev.downloadId };
	}
	t.ok(inner.status === 'error', 'status "error"', `status ${JSON.stringify(inner.status)}`);
	t.ok('url' in data && data.url === null, 'data.url is null, as the product sends it',
	    `data: ${JSON.stringify(inner.data)}`);
	t.ok(!isObj(data.download) || data.download.url === null || data.download.url === undefined,
	    'download.url is null too (or no download object): every url a client reads says failure',
	    `download.url ${isObj(data.download) ? JSON.stringify(data.download.url) : '-'}`);
	t.ok(seen && (seen.url === null || seen.url === undefined), 'the app reads it as a failure (no url)',
	    seen ? `app url ${JSON.stringify(seen.url)}` : 'not handled');
	return null;
}

function finish(t) {
	const status = t.done();
	setTimeout(() => process.exit(status), 20);
}

function main(profile) {
	run(profile).catch((e) => {
		process.stderr.write(`${profile.name}: ${e.stack || e}\n`);
		process.exit(2);
	});
}

module.exports = {
	main, request, show, isObj, isInt, isIntArray, channelEvent, linkDownloadId, sleep,
};
