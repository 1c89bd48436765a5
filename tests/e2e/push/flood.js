#!/usr/bin/env node
// An attacker's flood of idle WebSockets (the pinned "ws" package): opens
// N connections to URL, B at a time, holds them for S seconds, and prints
// one JSON line: how many opened, how many are still open, and the close
// codes seen. With ADDRS, the sockets come from ADDRS loopback addresses
// (127.0.0.2 and up) rather than one, as from as many attackers.
//   node flood.js URL N HOLD_S [BATCH [ADDRS]]
'use strict';

const WebSocket = require('ws');
const [url, n, hold, batch, addrs] = [process.argv[2], Number(process.argv[3]),
    Number(process.argv[4]), Number(process.argv[5] || 100),
    Number(process.argv[6] || 0)];
const socks = [];
const codes = {};
let opened = 0, open = 0, started = 0;

function one(i) {
	const ws = new WebSocket(url,
	    addrs ? { localAddress: '127.0.0.' + (2 + i % addrs) } : {});
	let up = false;
	ws.on('open', () => { up = true; opened++; open++; });
	ws.on('close', (code) => {
		if (code)
			codes[code] = (codes[code] || 0) + 1;
		if (up)
			open--;
		up = false;
	});
	ws.on('error', () => {});
	socks.push(ws);
}
function more() {
	for (let i = 0; i < batch && started < n; i++, started++)
		one(started);
	if (started < n)
		setTimeout(more, 20);
}
more();
setTimeout(() => {
	process.stdout.write(JSON.stringify({ opened, open, codes }) + '\n');
	for (const ws of socks)
		ws.terminate();
	process.exit(0);
}, hold * 1000);
