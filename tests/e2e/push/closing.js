#!/usr/bin/env node
// The WebSocket closing handshake as seen on the wire, which WebSocket
// libraries hide: does the server keep the TCP connection open after its
// Close frame until the client's Close answers it (RFC 6455, 7.1.1)?
//
//   node closing.js HOST PORT PATH --answer-after MS | --silent
//
// Opens PATH with a hand-written upgrade, reads frames, and after the
// server's Close either answers it MS ms later or never. Prints JSON lines:
//   {"type":"upgrade","status":101,"content_length":null}
//   {"type":"message","data":"..."}            a text frame
//   {"type":"close","code":N,"reason":"..."}   the server's Close
//   {"type":"answered","open":true}            our Close went out, and the
//                                              connection was still open
//   {"type":"end","ms":N}                      the server closed TCP, N ms
//                                              after its Close frame
//   {"type":"timeout"}
'use strict';

const net = require('net');
const crypto = require('crypto');

const [host, port, path, mode, arg] = process.argv.slice(2);
const answerAfter = mode === '--answer-after' ? Number(arg) : -1;
if (!host || !port || !path || (mode !== '--silent' && !(answerAfter >= 0))) {
	process.stderr.write('usage: closing.js HOST PORT PATH --answer-after MS | --silent\n');
	process.exit(2);
}
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const timer = setTimeout(() => { out({ type: 'timeout' }); process.exit(3); }, 15000);

const sock = net.connect(Number(port), host);
let buf = Buffer.alloc(0);
let upgraded = false;
let closeAt = 0;
let ended = false;

sock.on('connect', () => {
	sock.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\n` +
	    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
	    `Sec-WebSocket-Key: ${crypto.randomBytes(16).toString('base64')}\r\n` +
	    'Sec-WebSocket-Version: 13\r\n\r\n');
});

// A masked Close from the client, echoing the code.
function answer(code) {
	const mask = crypto.randomBytes(4);
	const payload = Buffer.from([code >> 8, code & 0xff]);
	for (let i = 0; i < payload.length; i++)
		payload[i] ^= mask[i % 4];
	out({ type: 'answered', open: !ended });
	sock.write(Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, payload]));
}

function frames() {
	for (;;) {
		if (buf.length < 2)
			return;
		const op = buf[0] & 0x0f;
		let len = buf[1] & 0x7f, at = 2;
		if (len === 126) {
			if (buf.length < 4)
				return;
			len = buf.readUInt16BE(2);
			at = 4;
		} else if (len === 127) {
			if (buf.length < 10)
				return;
			len = Number(buf.readBigUInt64BE(2));
			at = 10;
		}
		if (buf.length < at + len)
			return;
		const payload = buf.subarray(at, at + len);
		buf = buf.subarray(at + len);
		if (op === 1) {
			out({ type: 'message', data: payload.toString() });
		} else if (op === 8) {
			const code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
			out({ type: 'close', code, reason: payload.subarray(2).toString() });
			closeAt = Date.now();
			if (answerAfter >= 0)
				setTimeout(() => answer(code === null ? 1000 : code), answerAfter);
		}
	}
}

sock.on('data', (d) => {
	buf = Buffer.concat([buf, d]);
	if (!upgraded) {
		const end = buf.indexOf('\r\n\r\n');
		if (end < 0)
			return;
		const head = buf.subarray(0, end).toString('latin1');
		const status = Number(head.split(' ')[1]);
		const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head);
		out({ type: 'upgrade', status, content_length: cl ? Number(cl[1]) : null });
		buf = buf.subarray(end + 4);
		upgraded = true;
	}
	frames();
});

sock.on('end', () => {
	ended = true;
	out({ type: 'end', ms: closeAt ? Date.now() - closeAt : null });
	clearTimeout(timer);
	sock.destroy();
	setTimeout(() => process.exit(0), 20);
});
sock.on('error', (e) => {
	out({ type: 'error', code: e.code });
	process.exit(1);
});
