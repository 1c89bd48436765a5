#!/usr/bin/env node
// A bare WebSocket client (the pinned "ws" package, so that any Node from
// 18 on runs it) for what pusher-js hides:
// close codes, unanswered pings, oversized frames. Prints every message
// and the close as JSON lines, then exits; status 3 on --timeout.
//
//   node raw.js URL [--send TEXT]... [--big N] [--subprotocol NAME]
//     [--timeout S] [--after-established]
// --send TEXT is sent after connection_established; "{socket_id}" in it is
// replaced by the connection's socket id. --big N sends N bytes of JSON.
// --subprotocol NAME asks for it (Sec-WebSocket-Protocol); the line
// {"type":"open","protocol":...} says what the server answered.
'use strict';

const args = process.argv.slice(2);
const url = args.shift();
const sends = [];
let timeout = 20;
let big = 0;
let subprotocol;
while (args.length > 0) {
	const a = args.shift();
	if (a === '--send')
		sends.push(args.shift());
	else if (a === '--timeout')
		timeout = Number(args.shift());
	else if (a === '--big')
		big = Number(args.shift());
	else if (a === '--subprotocol')
		subprotocol = args.shift();
	else {
		process.stderr.write(`raw.js: unknown argument '${a}'\n`);
		process.exit(2);
	}
}

const WebSocket = require('ws');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const ws = subprotocol !== undefined ? new WebSocket(url, subprotocol) :
    new WebSocket(url);
const timer = setTimeout(() => { out({ type: 'timeout' }); process.exit(3); },
    timeout * 1000);

ws.onopen = () => out({ type: 'open', protocol: ws.protocol });
ws.onmessage = (e) => {
	const msg = JSON.parse(e.data);
	out({ type: 'message', event: msg.event, data: msg.data, channel: msg.channel });
	if (msg.event !== 'pusher:connection_established')
		return;
	const sid = JSON.parse(msg.data).socket_id;
	for (const s of sends)
		ws.send(s.replaceAll('{socket_id}', sid));
	if (big > 0)
		ws.send('{"event":"pusher:ping","data":"' + 'x'.repeat(big) + '"}');
};
ws.onclose = (e) => {
	clearTimeout(timer);
	out({ type: 'close', code: e.code, reason: e.reason });
	process.exit(0);
};
ws.onerror = () => out({ type: 'error' });
