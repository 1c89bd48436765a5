#!/usr/bin/env node
// Slow-header clients ("slowloris"): N sockets each send the start of a
// request and then one more header byte every 2 s, never finishing it,
// spread over ADDRS loopback addresses (127.0.0.2 and up). After HOLD_S
// seconds, one JSON line: how many connected, how many the server closed
// and after how long (median and largest, in seconds).
//   node trickle.js HOST PORT N HOLD_S [ADDRS]
'use strict';

const net = require('net');
const [host, port, n, hold, addrs] = [process.argv[2], Number(process.argv[3]),
    Number(process.argv[4]), Number(process.argv[5]), Number(process.argv[6] || 1)];
const socks = [];
const closedAfter = [];
let connected = 0, failed = 0, started = 0;

function one(i) {
	const s = net.connect({ host, port, localAddress: '127.0.0.' + (2 + i % addrs) });
	let t0 = 0, mine = false;
	s.on('connect', () => {
		connected++;
		t0 = Date.now();
		s.write('GET /api/admin/v1/user HTTP/1.1\r\nHost: x\r\nX-Trickle: ');
	});
	s.on('error', () => {});
	s.on('close', () => {
		if (mine)
			return;
		if (t0)
			closedAfter.push((Date.now() - t0) / 1000);
		else
			failed++;
	});
	s.drip = () => { if (t0 && !s.destroyed) s.write('a'); };
	s.stop = () => { mine = true; s.destroy(); };
	socks.push(s);
}
function more() {
	for (let i = 0; i < 100 && started < n; i++, started++)
		one(started);
	if (started < n)
		setTimeout(more, 20);
}
more();
const drip = setInterval(() => { for (const s of socks) s.drip(); }, 2000);
setTimeout(() => {
	clearInterval(drip);
	closedAfter.sort((a, b) => a - b);
	const med = closedAfter.length ? closedAfter[closedAfter.length >> 1] : null;
	const max = closedAfter.length ? closedAfter[closedAfter.length - 1] : null;
	process.stdout.write(JSON.stringify({ connected, failed,
	    closed: closedAfter.length, closed_median_s: med, closed_max_s: max }) + '\n');
	for (const s of socks)
		s.stop();
	process.exit(0);
}, hold * 1000);
