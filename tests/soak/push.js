#!/usr/bin/env node
// The soak's push clients: N WebSocket clients in one process, through the
// web server, each speaking Pusher protocol 7 as the product's apps do:
// GET /api/v1/wsurl once for where to connect, then per client connect,
// wait for pusher:connection_established, have its channel signed by
// POST /api/v1/broadcasting/auth with the Bearer token, subscribe, answer
// pusher:ping. A client that is closed reconnects after a second and
// resubscribes with last_event_id (the newest event it saw), as the
// operator page does, so that a "too slow" close loses nothing.
// (The bare `ws` client, not pusher-js: 200 pusher-js instances would cost
// the shared 2-core machine more CPU than the server under test.)
//
// Counts archive_generated events per client and, per event id, how many
// clients got it and when (Date.now(), ms: the events table's created_at is
// wall-clock microseconds).
//
//   node push.js --base http://127.0.0.1:PORT --token ID|SECRET
//     --channel private-token.ID --clients 200 --status FILE --out FILE
//     --expect FILE
//
// Writes FILE (--status) every second: {"connected","subscribed",
// "min","max","events","disconnects"} (min/max: archive_generated events of
// the client with the fewest/most); on SIGTERM or SIGINT writes --out and
// exits: per client the events it got (distinct), duplicates, which of the
// ids listed in --expect (read at that moment) it lacks, reconnections.
'use strict';

const fs = require('fs');
const http = require('http');
const WebSocket = require('ws');

const o = { clients: 200, batch: 20 };
{
	const a = process.argv.slice(2);
	while (a.length > 0) {
		const k = a.shift().replace(/^--/, '');
		o[k] = a.shift();
	}
	for (const k of ['base', 'token', 'channel', 'status', 'out'])
		if (o[k] === undefined)
			throw new Error(`--${k} is required`);
	o.clients = Number(o.clients);
	o.batch = Number(o.batch);
}
const base = new URL(o.base);
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

function httpJson(method, p, body, cb) {
	const data = body ? Buffer.from(JSON.stringify(body)) : null;
	const headers = { Authorization: 'Bearer ' + o.token };
	if (data) {
		headers['Content-Type'] = 'application/json';
		headers['Content-Length'] = data.length;
	}
	const req = http.request({ host: base.hostname, port: base.port, path: p, method,
	    headers, agent }, (res) => {
		const chunks = [];
		res.on('data', (c) => chunks.push(c));
		res.on('end', () => {
			let j = null;
			try { j = JSON.parse(Buffer.concat(chunks)); } catch (e) { /* below */ }
			cb(res.statusCode === 200 && j ? null : new Error(`${p}: ${res.statusCode}`), j);
		});
	});
	req.setTimeout(30000, () => req.destroy(new Error('timeout')));
	req.on('error', (e) => cb(e));
	if (data)
		req.write(data);
	req.end();
}

const events = new Map();	// event id -> {n, first, last, ok}
const clients = [];
let authErrors = 0, authMs = [];
let wsurl;

function countEvent(c, id) {
	if (id >= c.seen.length * 8) {
		const g = new Uint8Array(Math.max(c.seen.length * 2, (id >> 3) + 1024));
		g.set(c.seen);
		c.seen = g;
	}
	if (c.seen[id >> 3] & (1 << (id & 7)))
		c.dups++;
	else {
		c.seen[id >> 3] |= 1 << (id & 7);
		c.count++;
	}
	if (id < c.last)
		c.outOfOrder++;
	else
		c.last = id;
	const e = events.get(id);
	e.n++;
	e.last = Date.now();
}

function makeClient(i) {
	return { i, ws: null, socketId: null, subscribed: false, count: 0, dups: 0,
	    seen: new Uint8Array(1024),
	    last: -1, outOfOrder: 0, connects: 0, disconnects: 0, closeCodes: {},
	    errors: [], other: 0, pings: 0 };
}

function connect(c, done) {
	const url = `ws://${wsurl.host}:${wsurl.port}${wsurl.path}/app/${wsurl.app_key}` +
	    '?protocol=7&client=js&version=8.6.0';
	const ws = new WebSocket(url, { perMessageDeflate: false });
	c.ws = ws;
	c.subscribed = false;
	let settled = false;
	const settle = (ok) => {
		if (!settled && done) {
			settled = true;
			done(ok);
		}
	};
	ws.on('open', () => { c.connects++; });
	ws.on('message', (raw) => {
		let m;
		try { m = JSON.parse(raw); } catch (e) {
			c.errors.push('unparsable frame');
			return;
		}
		switch (m.event) {
		case 'pusher:connection_established': {
			c.socketId = JSON.parse(m.data).socket_id;
			const t = Date.now();
			httpJson('POST', '/api/v1/broadcasting/auth',
			    { socket_id: c.socketId, channel_name: o.channel }, (err, j) => {
				authMs.push(Date.now() - t);
				if (err || !j.auth) {
					authErrors++;
					c.errors.push('auth: ' + (err ? err.message : 'no auth'));
					ws.close();
					settle(false);
					return;
				}
				const data = { auth: j.auth, channel: o.channel };
				if (c.last >= 0)
					data.last_event_id = c.last;
				ws.send(JSON.stringify({ event: 'pusher:subscribe', data }));
			});
			return;
		}
		case 'pusher_internal:subscription_succeeded':
			c.subscribed = true;
			settle(true);
			return;
		case 'pusher:ping':
			c.pings++;
			ws.send(JSON.stringify({ event: 'pusher:pong', data: {} }));
			return;
		case 'pusher:error':
			if (c.errors.length < 5)
				c.errors.push('pusher:error ' + JSON.stringify(m.data));
			return;
		default:
			break;
		}
		if (m.channel !== o.channel) {
			c.other++;
			return;
		}
		const inner = (typeof m.data === 'string' ? JSON.parse(m.data) : m.data).data;
		if (!inner || inner.type !== 'archive_generated') {
			c.other++;
			return;
		}
		if (!events.has(inner.event_id))
			events.set(inner.event_id, { n: 0, first: Date.now(), last: 0,
			    ok: inner.status === 'ok' });
		countEvent(c, inner.event_id);
	});
	ws.on('close', (code) => {
		c.closeCodes[code] = (c.closeCodes[code] || 0) + 1;
		settle(false);
		if (stopping)
			return;
		c.disconnects++;
		setTimeout(() => connect(c), 1000);
	});
	ws.on('error', (e) => {
		if (c.errors.length < 5)
			c.errors.push(e.message);
	});
}

let stopping = false;

function status() {
	let connected = 0, subscribed = 0, min = Infinity, max = 0, disconnects = 0;
	for (const c of clients) {
		if (c.ws && c.ws.readyState === WebSocket.OPEN)
			connected++;
		if (c.subscribed)
			subscribed++;
		min = Math.min(min, c.count);
		max = Math.max(max, c.count);
		disconnects += c.disconnects;
	}
	return { clients: o.clients, connected, subscribed, min: clients.length ? min : 0, max,
	    events: events.size, disconnects, auth_errors: authErrors };
}

function writeStatus() {
	fs.writeFileSync(o.status + '.tmp', JSON.stringify(status()));
	fs.renameSync(o.status + '.tmp', o.status);
}

function stop() {
	if (stopping)
		return;
	stopping = true;
	writeStatus();
	authMs.sort((a, b) => a - b);
	// The events every client should have (ids, one a line, from the
	// database), when the caller wrote them.
	let expect = [];
	try {
		expect = fs.readFileSync(o.expect, 'utf8').split('\n').filter((l) => l !== '').map(Number);
	} catch (e) { /* none */ }
	const has = (c, id) => id < c.seen.length * 8 && (c.seen[id >> 3] & (1 << (id & 7))) !== 0;
	const out = {
		status: status(),
		expected: expect.length,
		auth_ms_p99: authMs.length ? authMs[Math.ceil(0.99 * authMs.length) - 1] : 0,
		clients: clients.map((c) => ({ i: c.i, count: c.count, dups: c.dups,
		    missing: expect.filter((id) => !has(c, id)).length,
		    missing_first: expect.filter((id) => !has(c, id)).slice(0, 5),
		    out_of_order: c.outOfOrder, connects: c.connects, disconnects: c.disconnects,
		    close_codes: c.closeCodes, errors: c.errors, other: c.other, pings: c.pings })),
		events: [...events].map(([id, e]) => [id, e.n, e.first, e.last, e.ok ? 1 : 0]),
	};
	fs.writeFileSync(o.out, JSON.stringify(out));
	for (const c of clients)
		if (c.ws)
			c.ws.terminate();
	setTimeout(() => process.exit(0), 100);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

async function main() {
	wsurl = await new Promise((resolve, reject) =>
		httpJson('GET', '/api/v1/wsurl', null, (err, j) => err ? reject(err) : resolve(j)));
	setInterval(writeStatus, 1000);
	writeStatus();
	for (let i = 0; i < o.clients; i += o.batch) {
		const n = Math.min(o.batch, o.clients - i);
		await Promise.all(Array.from({ length: n }, (_, k) => new Promise((resolve) => {
			const c = makeClient(i + k);
			clients.push(c);
			connect(c, resolve);
		})));
	}
	writeStatus();
}

main().catch((e) => {
	process.stderr.write(`push.js: ${e.message || e}\n`);
	process.exit(2);
});
