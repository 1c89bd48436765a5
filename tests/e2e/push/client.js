#!/usr/bin/env node
// A push client for tests and benchmarks: the stock pusher-js, configured
// as the product's apps configure it (GET /api/v1/wsurl, channel
// authorisation at /api/v1/broadcasting/auth with the Bearer token).
// Prints one JSON object per line on stdout:
//   {"type":"connected","socket_id":...}          once per connection
//   {"type":"subscribed","channel":...}
//   {"type":"event","channel","event","event_id","data":{...},"t":ms}
//   {"type":"subscription_error","channel","status"}
//   {"type":"error","code","message"}              a pusher:error
//   {"type":"state","previous","current"}          (--states)
//   {"type":"timeout"} / {"type":"done"}
// and exits after --events N events (0 after all), or --timeout seconds
// (status 3 then).
//
//   node client.js --base http://127.0.0.1:8080 --token ID|SECRET \
//     --channel private-user.1 [--channel private-token.2] [--events N]
//     [--timeout S] [--last-event-id N] [--resume] [--forge]
//     [--ws-path P] [--key K] [--auth-endpoint PATH] [--states]
//     [--until TYPE]...
// --until: exit (status 0) as soon as a line of each given type was
// printed, so that a test waiting for an error need not sit out --timeout.
'use strict';

const Pusher = require('pusher-js');

function parseArgs(argv) {
	const o = { channels: [], events: 1, timeout: 20, lastEventId: -1, until: [] };
	const flags = {
		'--resume': () => { o.resume = true; },
		'--forge': () => { o.forge = true; },
		'--states': () => { o.states = true; },
	};
	const values = {
		'--base': (v) => { o.base = v.replace(/\/+$/, ''); },
		'--token': (v) => { o.token = v; },
		'--channel': (v) => { o.channels.push(v); },
		'--events': (v) => { o.events = Number(v); },
		'--timeout': (v) => { o.timeout = Number(v); },
		'--last-event-id': (v) => { o.lastEventId = Number(v); },
		'--ws-path': (v) => { o.wsPath = v; },
		'--key': (v) => { o.key = v; },
		'--auth-endpoint': (v) => { o.authEndpoint = v; },
		'--until': (v) => { o.until.push(v); },
	};
	for (let i = 2; i < argv.length; i++) {
		if (flags[argv[i]])
			flags[argv[i]]();
		else if (values[argv[i]] && i + 1 < argv.length)
			values[argv[i]](argv[++i]);
		else
			throw new Error(`unknown argument '${argv[i]}'`);
	}
	if (!o.base || o.channels.length === 0)
		throw new Error('--base and at least one --channel are required');
	return o;
}

let onOut = () => {};

function out(obj) {
	process.stdout.write(JSON.stringify(obj) + '\n');
	onOut(obj.type);
}

async function main() {
	const o = parseArgs(process.argv);
	// Where to connect, as the apps learn it.
	const res = await fetch(o.base + '/api/v1/wsurl');
	if (res.status !== 200)
		throw new Error(`GET /api/v1/wsurl answered ${res.status}`);
	const ws = await res.json();
	const key = o.key !== undefined ? o.key : ws.app_key;
	const headers = o.token ? { Authorization: 'Bearer ' + o.token } : {};
	const auth = o.forge
		? { customHandler: (p, cb) => cb(null, { auth: key + ':' + '0'.repeat(64) }) }
		: { endpoint: o.base + (o.authEndpoint || '/api/v1/broadcasting/auth'),
		    transport: 'ajax', headers };

	const pusher = new Pusher(key, {
		cluster: 'archived',		// required by pusher-js, unused with wsHost
		wsHost: ws.host,
		wsPort: ws.port,
		wssPort: ws.port,
		wsPath: o.wsPath !== undefined ? o.wsPath : ws.path,
		forceTLS: ws.is_encrypted,
		enabledTransports: ['ws'],
		disableStats: true,
		channelAuthorization: auth,
	});

	// last_event_id: the given one, then (--resume) the newest seen, so
	// that a resubscription after a reconnect replays what was missed.
	let last = o.lastEventId;
	const sendEvent = pusher.send_event.bind(pusher);
	pusher.send_event = (name, data, channel) => {
		if (name === 'pusher:subscribe' && last >= 0)
			data = Object.assign({}, data, { last_event_id: last });
		return sendEvent(name, data, channel);
	};

	let count = 0;
	const finish = (status, what) => {
		out({ type: what });
		pusher.disconnect();
		setTimeout(() => process.exit(status), 50);
	};
	const timer = setTimeout(() => finish(3, 'timeout'), o.timeout * 1000);
	const awaited = new Set(o.until);
	if (awaited.size > 0)
		onOut = (type) => {
			if (!awaited.delete(type) || awaited.size > 0)
				return;
			onOut = () => {};
			clearTimeout(timer);
			finish(0, 'done');
		};

	pusher.connection.bind('connected', () =>
		out({ type: 'connected', socket_id: pusher.connection.socket_id }));
	// A pusher:error after the handshake comes as {type: 'PusherError',
	// data}; one instead of it, as {type: 'WebSocketError', error: {data}}.
	pusher.connection.bind('error', (e) => {
		const d = (e && e.data) || (e && e.error && e.error.data) || {};
		out({ type: 'error', code: d.code === undefined ? null : d.code,
		    message: d.message || (e && e.type) || '' });
	});
	if (o.states)
		pusher.connection.bind('state_change', (s) =>
			out({ type: 'state', previous: s.previous, current: s.current }));

	for (const name of o.channels) {
		const ch = pusher.subscribe(name);
		ch.bind('pusher:subscription_succeeded', () =>
			out({ type: 'subscribed', channel: name }));
		ch.bind('pusher:subscription_error', (e) =>
			out({ type: 'subscription_error', channel: name,
			    status: e && e.status !== undefined ? e.status : null }));
		ch.bind_global((event, data) => {
			if (event.startsWith('pusher:') || event.startsWith('pusher_internal:'))
				return;
			// The product's envelope: data is a JSON string.
			const parsed = typeof data === 'string' ? JSON.parse(data) : data;
			const id = parsed && parsed.data ? parsed.data.event_id : undefined;
			if (typeof id === 'number' && id > last && o.resume)
				last = id;
			out({ type: 'event', channel: name, event, event_id: id,
			    data: parsed, t: Date.now() });
			if (o.events > 0 && ++count >= o.events) {
				clearTimeout(timer);
				finish(0, 'done');
			}
		});
	}
}

main().catch((e) => {
	process.stderr.write(`client.js: ${e.message || e}\n`);
	process.exit(2);
});
