#!/usr/bin/env node
// Many stock pusher-js clients in one process, all on one channel, signing
// their own channel auth with the app secret (the responder is not what is
// measured here). Prints JSON lines:
//   {"type":"ready","clients":N,"ms":T,"failed":F}   all subscribed
//   {"type":"event","event_id":I,"n":N,"first_ns":A,"last_ns":B}
//       once every client has an event (or at --timeout); times are
//       CLOCK_MONOTONIC (process.hrtime), comparable with pushbench's.
//
//   node swarm.js --host H --port P [--path /ws] --key K --secret S
//     --channel private-user.1 [--clients N] [--batch B] [--events E]
//     [--timeout S]
'use strict';

const crypto = require('crypto');
const Pusher = require('pusher-js');

const o = { clients: 1, batch: 200, events: 1, timeout: 60, path: '' };
const args = process.argv.slice(2);
while (args.length > 0) {
	const a = args.shift().replace(/^--/, '');
	const v = args.shift();
	o[a] = ['clients', 'batch', 'events', 'timeout', 'port'].includes(a) ? Number(v) : v;
}

const out = (x) => process.stdout.write(JSON.stringify(x) + '\n');
const seen = new Map();		// event id -> {n, first, last}
let done = 0;
const clients = [];

function sign(socketId, channel) {
	const mac = crypto.createHmac('sha256', o.secret)
		.update(`${socketId}:${channel}`).digest('hex');
	return { auth: `${o.key}:${mac}` };
}

function report(id) {
	const s = seen.get(id);
	out({ type: 'event', event_id: id, n: s.n, first_ns: String(s.first),
	    last_ns: String(s.last) });
	s.reported = true;
	if (++done >= o.events)
		finish(0);
}

function finish(status) {
	for (const [id, s] of seen)
		if (!s.reported) {
			s.reported = true;
			out({ type: 'event', event_id: id, n: s.n, first_ns: String(s.first),
			    last_ns: String(s.last), partial: true });
		}
	for (const p of clients)
		p.disconnect();
	setTimeout(() => process.exit(status), 100);
}

function onEvent(event, data) {
	if (event.startsWith('pusher'))
		return;
	const t = process.hrtime.bigint();
	const id = (typeof data === "string" ? JSON.parse(data) : data).data.event_id;
	let s = seen.get(id);
	if (!s) {
		s = { n: 0, first: t, last: t };
		seen.set(id, s);
	}
	s.n++;
	s.last = t;
	if (s.n === o.clients)
		report(id);
}

function connect() {
	return new Promise((resolve) => {
		const p = new Pusher(o.key, {
			cluster: 'archived', wsHost: o.host, wsPort: o.port, wsPath: o.path,
			forceTLS: false, enabledTransports: ['ws'], disableStats: true,
			channelAuthorization: { customHandler: (params, cb) =>
				cb(null, sign(params.socketId, params.channelName)) },
		});
		const ch = p.subscribe(o.channel);
		ch.bind('pusher:subscription_succeeded', () => resolve(true));
		ch.bind('pusher:subscription_error', () => resolve(false));
		p.connection.bind('failed', () => resolve(false));
		ch.bind_global(onEvent);
		clients.push(p);
	});
}

async function main() {
	const start = process.hrtime.bigint();
	let failed = 0;
	setTimeout(() => { out({ type: 'timeout' }); finish(3); }, o.timeout * 1000);
	for (let i = 0; i < o.clients; i += o.batch) {
		const n = Math.min(o.batch, o.clients - i);
		const ok = await Promise.all(Array.from({ length: n }, connect));
		failed += ok.filter((x) => !x).length;
	}
	out({ type: 'ready', clients: o.clients, failed,
	    ms: Number(process.hrtime.bigint() - start) / 1e6 });
}

main();
