#!/usr/bin/env node
// The soak's load generator: open-loop HTTP requests at fixed rates, spread
// evenly over the run, each one sent at its planned moment whatever the
// state of the ones before (concurrent as needed), through the web server
// with the apps' Bearer token. Request types and what they do:
//
//   create  POST /api/v1/downloads {from, to, ids: [camera]}   (the apps')
//   list    GET /api/v1/downloads?per_page=25                  (the apps')
//   show    GET /api/admin/v1/downloads/<id>: alternately the newest and a
//           random download made so far
//   delete  DELETE /api/v1/users/downloads/<id>: alternately the newest
//           download (still pending or processing: the cancel path) and a
//           finished one seen active (removes its file)
//   file    GET of the signed link of the newest download seen active, no
//           token, whole body read; its length must be the download's size
//
// Latency is measured from the request's planned moment (so a stalled
// server is not hidden by requests that were sent late), to the end of the
// body. Every status other than the one expected (200), and every transport
// error, counts as an error of that type.
//
//   node load.js --base http://127.0.0.1:PORT --token ID|SECRET --camera C
//     --from 'YYYY-MM-DD HH:MM:SS' --to '...' --seconds S --out DIR
//     [--rates create=50,list=10,show=10,delete=2,file=1] [--window 5]
//
// Writes DIR/load.json (per type: count, statuses, latencies' percentiles,
// per-window counts and p99), DIR/created.txt and DIR/deleted.txt (ids);
// prints one progress line per window on stdout.
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');

const o = { rates: 'create=50,list=10,show=10,delete=2,file=1', window: 5 };
{
	const a = process.argv.slice(2);
	while (a.length > 0) {
		const k = a.shift().replace(/^--/, '');
		o[k] = a.shift();
	}
	for (const k of ['base', 'token', 'camera', 'from', 'to', 'seconds', 'out'])
		if (o[k] === undefined)
			throw new Error(`--${k} is required`);
	o.seconds = Number(o.seconds);
	o.window = Number(o.window);
	o.camera = Number(o.camera);
}
const rates = {};
for (const kv of o.rates.split(',')) {
	const [k, v] = kv.split('=');
	rates[k] = Number(v);
}
const TYPES = ['create', 'list', 'show', 'delete', 'file'];
const base = new URL(o.base);
// Keep-alive as the apps' HTTP stacks do; lighttpd closes a connection idle
// for 10 s (server.max-keep-alive-idle), so the agent drops idle sockets
// after 5 (its timeout applies to free sockets; requests set their own).
const agent = new http.Agent({ keepAlive: true, maxSockets: 512, timeout: 5000 });

const now = () => Number(process.hrtime.bigint()) / 1e6;	// ms, monotonic
const T0 = now() + 200;
const END = T0 + o.seconds * 1000;

const stats = {};
for (const t of TYPES)
	stats[t] = { planned: 0, done: 0, skipped: 0, statuses: {}, errors: 0,
	    samples: [], lat: [], windows: [], firstErrors: [], lagMax: 0 };
let inflight = 0, inflightMax = 0;

const created = [];		// ids, in creation order
const deleted = new Set();
const ready = [];		// {id, url, size} seen active, newest last
const readySeen = new Set();
const fetching = new Set();	// ids whose file is being read: not deleted meanwhile

function windowOf(t) { return Math.floor((t - T0) / (o.window * 1000)); }

function record(type, planned, sent, status, ok, detail) {
	const s = stats[type];
	const end = now();
	const ms = end - planned;
	s.done++;
	s.statuses[status] = (s.statuses[status] || 0) + 1;
	s.lat.push(ms);
	s.lagMax = Math.max(s.lagMax, sent - planned);
	const w = windowOf(planned);
	(s.windows[w] = s.windows[w] || []).push(ms);
	if (!ok) {
		s.errors++;
		if (s.firstErrors.length < 10)
			s.firstErrors.push({ t: ((planned - T0) / 1000).toFixed(2), status, detail });
	}
	inflight--;
}

// request: one HTTP request; calls back with (status, body) or (err).
function request(method, url, body, headers, cb) {
	const u = typeof url === 'string' ? new URL(url) : url;
	const h = Object.assign({}, headers);
	let data = null;
	if (body !== undefined) {
		data = Buffer.from(JSON.stringify(body));
		h['Content-Type'] = 'application/json';
		h['Content-Length'] = data.length;
	}
	const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search,
	    method, headers: h, agent }, (res) => {
		const chunks = [];
		let n = 0;
		res.on('data', (c) => {
			n += c.length;
			if (n < 65536)
				chunks.push(c);
		});
		res.on('end', () => cb(null, res.statusCode, Buffer.concat(chunks), n));
		res.on('error', (e) => cb(e));
	});
	req.setTimeout(30000, () => req.destroy(new Error('timeout after 30 s')));
	req.on('error', (e) => cb(e));
	if (data)
		req.write(data);
	req.end();
}

const auth = { Authorization: 'Bearer ' + o.token };

function api(type, planned, method, p, body, check) {
	const sent = now();
	inflight++;
	inflightMax = Math.max(inflightMax, inflight);
	request(method, new URL(p, base), body, auth, (err, status, buf, n) => {
		if (err) {
			record(type, planned, sent, 'ERR', false, err.code || err.message);
			return;
		}
		let ok = status === 200, detail = '';
		if (ok && check) {
			try {
				detail = check(buf, n) || '';
			} catch (e) {
				detail = 'bad body: ' + e.message;
			}
			ok = detail === '';
		} else if (!ok)
			detail = buf.toString('utf8', 0, Math.min(buf.length, 200));
		record(type, planned, sent, String(status), ok, detail);
	});
}

function noteActive(d) {
	if (d && d.condition === 'active' && d.url && !readySeen.has(d.id) && !deleted.has(d.id)) {
		readySeen.add(d.id);
		ready.push({ id: d.id, url: d.url, size: d.size });
		if (ready.length > 2000)
			ready.splice(0, 1000);
	}
}

const pick = (a) => a[Math.floor(Math.random() * a.length)];
let flip = { show: false, delete: false };

const fire = {
	create(planned) {
		api('create', planned, 'POST', '/api/v1/downloads',
		    { from: o.from, to: o.to, ids: [o.camera] }, (buf) => {
			const a = JSON.parse(buf);
			if (!Array.isArray(a) || a.length !== 1 || typeof a[0].id !== 'number')
				return 'not an array of one download';
			created.push(a[0].id);
			return '';
		});
	},
	list(planned) {
		api('list', planned, 'GET', '/api/v1/downloads?per_page=25', undefined, (buf) => {
			const j = JSON.parse(buf);
			if (!Array.isArray(j.data) || !j.meta)
				return 'not a page';
			for (const d of j.data)
				noteActive(d);
			return '';
		});
	},
	show(planned) {
		if (created.length === 0)
			return false;
		flip.show = !flip.show;
		const id = flip.show ? created[created.length - 1] : pick(created);
		api('show', planned, 'GET', `/api/admin/v1/downloads/${id}`, undefined, (buf) => {
			const d = JSON.parse(buf);
			if (d.id !== id)
				return `asked ${id}, got ${d.id}`;
			noteActive(d);
			return '';
		});
		return true;
	},
	delete(planned) {
		flip.delete = !flip.delete;
		let id;
		if (flip.delete) {
			for (let i = created.length - 1; i >= 0 && i >= created.length - 5; i--)
				if (!deleted.has(created[i])) { id = created[i]; break; }
		} else if (ready.length > 10) {
			// A finished one, but not among the newest (the file
			// requests take those).
			const k = Math.floor(Math.random() * (ready.length - 10));
			if (!fetching.has(ready[k].id))
				id = ready.splice(k, 1)[0].id;
		}
		if (id === undefined || deleted.has(id))
			return false;
		deleted.add(id);
		api('delete', planned, 'DELETE', `/api/v1/users/downloads/${id}`, undefined, (buf) => {
			const j = JSON.parse(buf);
			return j.status === 'ok' ? '' : 'status not ok';
		});
		return true;
	},
	file(planned) {
		let r;
		while (ready.length > 0 && deleted.has((r = ready[ready.length - 1]).id))
			ready.pop();
		if (ready.length === 0)
			return false;
		const sent = now();
		inflight++;
		inflightMax = Math.max(inflightMax, inflight);
		fetching.add(r.id);
		request('GET', r.url, undefined, {}, (err, status, buf, n) => {
			fetching.delete(r.id);
			if (err)
				record('file', planned, sent, 'ERR', false, err.code || err.message);
			else if (status !== 200)
				record('file', planned, sent, String(status), false,
				    `id ${r.id}: ` + buf.toString('utf8', 0, Math.min(buf.length, 200)));
			else
				record('file', planned, sent, '200', n === r.size,
				    n === r.size ? '' : `id ${r.id}: ${n} bytes, size says ${r.size}`);
		});
		return true;
	},
};

// The schedule: request k of a type at T0 + k / rate.
const next = {};
for (const t of TYPES)
	next[t] = 0;

let lastWindow = -1;
function progress(w) {
	const c = stats.create;
	const ms = c.windows[w] || [];
	process.stdout.write(`# load t=${(w + 1) * o.window}s creates=${created.length}` +
	    ` errors=${TYPES.map((t) => stats[t].errors).reduce((a, b) => a + b, 0)}` +
	    ` inflight=${inflight} create_p99=${pct(ms.slice(), 99).toFixed(0)}ms\n`);
}

function tick() {
	const t = now();
	for (const type of TYPES) {
		const rate = rates[type] || 0;
		if (rate <= 0)
			continue;
		for (;;) {
			const planned = T0 + (next[type] * 1000) / rate;
			if (planned > t || planned >= END)
				break;
			next[type]++;
			stats[type].planned++;
			if (fire[type](planned) === false)
				stats[type].skipped++;
		}
	}
	const w = windowOf(t) - 1;
	if (w > lastWindow && t < END + o.window * 1000) {
		lastWindow = w;
		if (w >= 0)
			progress(w);
	}
	if (t < END)
		setTimeout(tick, 2);
	else
		drain();
}

function pct(a, p) {
	if (a.length === 0)
		return 0;
	a.sort((x, y) => x - y);
	return a[Math.min(a.length - 1, Math.ceil((p / 100) * a.length) - 1)];
}

function drain() {
	if (inflight > 0 && now() < END + 35000) {
		setTimeout(drain, 20);
		return;
	}
	const out = { seconds: o.seconds, rates, inflight_max: inflightMax,
	    inflight_at_end: inflight, types: {} };
	for (const t of TYPES) {
		const s = stats[t];
		const n = s.windows.length;
		const early = [], late = [];
		// p99 of the first and the last fifth of the run: growth over time.
		for (let w = 0; w < n; w++)
			(w < Math.max(1, Math.floor(n / 5)) ? early : w >= n - Math.max(1, Math.floor(n / 5)) ? late : [])
				.push(...(s.windows[w] || []));
		out.types[t] = {
			planned: s.planned, sent: s.planned - s.skipped, skipped: s.skipped,
			done: s.done, errors: s.errors, statuses: s.statuses,
			p50: pct(s.lat, 50), p99: pct(s.lat, 99), max: s.lat.length ? s.lat[s.lat.length - 1] : 0,
			p99_first_fifth: pct(early, 99), p99_last_fifth: pct(late, 99),
			send_lag_max: s.lagMax, first_errors: s.firstErrors,
			windows: s.windows.map((a, w) => ({ w, n: (a || []).length, p99: pct((a || []).slice(), 99) })),
			// p99 of each tenth of the run: latency that climbs.
			p99_tenths: Array.from({ length: 10 }, (_, k) => {
				const lo = Math.floor((k * n) / 10), hi = Math.floor(((k + 1) * n) / 10);
				return pct([].concat(...s.windows.slice(lo, hi).map((a) => a || [])), 99);
			}),
		};
	}
	fs.writeFileSync(path.join(o.out, 'load.json'), JSON.stringify(out, null, 1));
	fs.writeFileSync(path.join(o.out, 'created.txt'), created.join('\n') + '\n');
	fs.writeFileSync(path.join(o.out, 'deleted.txt'), [...deleted].join('\n') + '\n');
	agent.destroy();
	process.exit(0);
}

setTimeout(tick, T0 - now());
