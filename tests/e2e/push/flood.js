#!/usr/bin/env node
// An attacker's flood of idle WebSockets (the pinned "ws" package): opens
// N connections to URL, B at a time, holds them for S seconds, and prints
// one JSON line: how many opened, how many are still open, and the close
// codes seen.
//   node flood.js URL N HOLD_S [BATCH]
'use strict';

const WebSocket = require('ws');
const [url, n, hold, batch] = [process.argv[2], Number(process.argv[3]),
    Number(process.argv[4]), Number(process.argv[5] || 100)];
const socks = [];
const codes = {};
let opened = 0, open = 0, started = 0;

function one() {
	const ws = new WebSocket(url);
	ws.on('open', () => { opened++; open++; });
	ws.on('close', (code) => { if (code) codes[code] = (codes[code] || 0) + 1; open--; });
	ws.on('error', () => {});
	socks.push(ws);
}
function more() {
	for (let i = 0; i < batch && started < n; i++, started++)
		one();
	if (started < n)
		setTimeout(more, 20);
}
more();
setTimeout(() => {
	process.stdout.write(JSON.stringify({ opened, open: Math.max(open, 0), codes }) + '\n');
	for (const ws of socks)
		ws.terminate();
	process.exit(0);
}, hold * 1000);
