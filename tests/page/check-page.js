#!/usr/bin/env node
// The operator page, end to end, in Debian's Chromium driven by
// playwright-core (no browser download), against a running stack whose
// demo camera has a gap in its recordings and draws a machine-readable
// clock under its picture (scripts/quickstart.sh makes both):
//
//   log in with a password; the timeline shows the gap; a range across
//   it is dragged and typed; a bad range shows the server's 422 on its
//   field; the export's progress bar goes to done without a reload; the
//   <video> plays it (readyState >= 2, its duration the file's, and the
//   frames at the middle and after the gap carry the clock they should);
//   the link downloads it; the push is cut while an export finishes and
//   the event still arrives on reconnect (last_event_id); a second page
//   sees the same list and updates (delete, repeat); an H.265 file and a
//   failed export are said in words; 360 px wide without layout jumps;
//   401 and log out return to the login form; nothing is loaded from
//   another site. The browser runs in another time zone than the server.
//
//   ARCHIVED_PAGE_PASSWORD=... node check-page.js --base http://localhost:8080 \
//     --login operator --tz Europe/Berlin --out DIR [--shot docs/page.png]
//     [--chromium /usr/bin/chromium] [--pusher-js FILE]
//
// Prints "ok - ..." / "not ok - ..." lines and, last, "N passed, N failed".
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const args = { chromium: '/usr/bin/chromium', login: 'operator', tz: 'UTC' };
for (let i = 2; i < process.argv.length; i += 2) {
	const k = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
	args[k] = process.argv[i + 1];
}
const BASE = (args.base || 'http://localhost:8080').replace(/\/+$/, '');
const ORIGIN = new URL(BASE).origin;
const PASSWORD = process.env.ARCHIVED_PAGE_PASSWORD || '';
const OUT = args.out || fs.mkdtempSync(path.join(os.tmpdir(), 'archived-page-'));
fs.mkdirSync(OUT, { recursive: true });

let passed = 0, failed = 0;
function ok(what) {
	passed++;
	console.log(`ok - ${what}`);
}
function notOk(what, why) {
	failed++;
	console.log(`not ok - ${what}${why ? `: ${why}` : ''}`);
}
function check(what, cond, why) {
	if (cond)
		ok(what);
	else
		notOk(what, why);
	return !!cond;
}

/* ---------- time in the server's zone (Node's Intl knows the zones) ---------- */

function zoneOffset(epochMs, tz) {
	const f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric',
		month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
	const p = Object.fromEntries(f.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
	const wall = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
	return wall - Math.floor(epochMs / 1000) * 1000;
}
// "YYYY-MM-DD HH:MM:SS" in tz -> epoch ms.
function localToEpoch(s, tz) {
	const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(s);
	const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
	let t = wall - zoneOffset(wall, tz);
	t = wall - zoneOffset(t, tz);
	return t;
}
function wallString(ms) {
	return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
// epoch ms -> "YYYY-MM-DD HH:MM:SS" in tz.
function epochToLocal(ms, tz) {
	return wallString(ms + zoneOffset(ms, tz));
}
function offsetText(ms) {
	const m = Math.round(ms / 60000), a = Math.abs(m);
	return `UTC${m < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/* ---------- the API, as a script would call it ---------- */

async function api(token, method, p, body) {
	const headers = { Accept: 'application/json' };
	if (token)
		headers.Authorization = `Bearer ${token}`;
	if (body !== undefined)
		headers['Content-Type'] = 'application/json';
	const r = await fetch(BASE + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	const text = await r.text();
	let data = null;
	try {
		data = text ? JSON.parse(text) : null;
	} catch (e) {
		data = text;
	}
	return { status: r.status, data };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms) {
	const end = Date.now() + ms;
	let v;
	while (Date.now() < end) {
		try {
			v = await fn();
		} catch (e) {
			v = undefined;
		}
		if (v)
			return v;
		await sleep(200);
	}
	return v;
}

function ffprobeDuration(file) {
	try {
		return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration',
			'-of', 'csv=p=0', file]).toString().trim());
	} catch (e) {
		return NaN;
	}
}

/* ---------- in the page ---------- */

// Reads the demo camera's machine clock off the <video>'s current frame:
// {markers, frames} (frames = 25ths of a second since the epoch, mod 2^24).
function readClock(video) {
	const c = document.createElement('canvas');
	c.width = video.videoWidth;
	c.height = video.videoHeight;
	const g = c.getContext('2d', { willReadFrequently: true });
	g.drawImage(video, 0, 0, c.width, c.height);
	const sx = c.width / 640, sy = c.height / 360;
	const bit = (j) => {
		const d = g.getImageData(Math.round((18 + 24 * j) * sx), Math.round(348 * sy), 1, 1).data;
		return 0.299 * d[0] + 0.587 * d[1] + 0.114 * d[2] > 128 ? 1 : 0;
	};
	let frames = 0;
	for (let k = 0; k < 24; k++)
		frames += bit(k + 1) * 2 ** k;
	return { markers: bit(0) === 1 && bit(25) === 1, frames };
}

async function seekAndRead(page, id, t) {
	return page.evaluate(async ([id, t, readClockSrc]) => {
		const readClock = new Function(`return (${readClockSrc})`)();
		const v = document.querySelector(`.dl[data-id="${id}"] video`);
		v.pause();
		const seeked = new Promise((r) => v.addEventListener('seeked', r, { once: true }));
		v.currentTime = t;
		await seeked;
		if (v.requestVideoFrameCallback)
			await Promise.race([new Promise((r) => v.requestVideoFrameCallback(() => r())),
				new Promise((r) => setTimeout(r, 1000))]);
		return Object.assign({ at: v.currentTime }, readClock(v));
	}, [id, t, readClock.toString()]);
}

async function login(page, password) {
	await page.goto(BASE + '/');
	await page.waitForSelector('#login-view:not([hidden])', { timeout: 10000 });
	await page.fill('#login', args.login);
	await page.fill('#password', password);
	await page.press('#password', 'Enter');
	await page.waitForSelector('#app-view:not([hidden])', { timeout: 15000 });
	await page.waitForSelector('#push[data-state="live"]', { timeout: 15000 });
}

const listIds = (page) => page.$$eval('#downloads .dl', (els) => els.map((e) => Number(e.dataset.id)));
const condition = (page, id) => page.$eval(`.dl[data-id="${id}"]`, (e) => e.dataset.condition).catch(() => null);
const pushLog = (page) => page.evaluate(() => window.archived.pushLog.slice());

async function main() {
	const launch = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		'--autoplay-policy=no-user-gesture-required'];
	const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: launch });
	// The browser in another zone than the server's: every time the page
	// shows must still be the server's (and the page must work that out).
	const browserZone = zoneOffset(Date.now(), args.tz) === zoneOffset(Date.now(), 'Asia/Kathmandu') ?
		'America/St_Johns' : 'Asia/Kathmandu';
	const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true,
		timezoneId: browserZone });
	const foreign = [];
	const errors = [];
	const watch = (page, name) => {
		page.on('request', (r) => {
			if (!/^(data|blob):/.test(r.url()) && new URL(r.url()).origin !== ORIGIN)
				foreign.push(r.url());
		});
		page.on('websocket', (ws) => {
			const u = new URL(ws.url());
			if (u.host !== new URL(ORIGIN).host)
				foreign.push(ws.url());
		});
		page.on('pageerror', (e) => errors.push(`${name}: ${e.message}`));
	};
	const page = await context.newPage();
	watch(page, 'page 1');

	try {
		/* ---- the pusher-js shipped is the locked package's ---- */
		if (args.pusherJs) {
			const shipped = await fetch(`${BASE}/vendor/pusher.min.js`).then((r) => r.arrayBuffer());
			check('the page ships the locked pusher-js 8.6.0, unchanged',
				Buffer.from(shipped).equals(fs.readFileSync(args.pusherJs)));
		}

		/* ---- log in ---- */
		await page.goto(BASE + '/');
		check('GET / serves the page with its login form',
			await page.isVisible('#login-form') && /archived/.test(await page.title()));
		await page.screenshot({ path: path.join(OUT, '01-login.png') });
		await page.fill('#login', args.login);
		await page.fill('#password', PASSWORD + '-wrong');
		await page.click('#login-submit');
		const wrong = await until('error', () => page.textContent('#login-error'), 5000);
		check('a wrong password shows the server\'s 422 next to the login field', /credentials/i.test(wrong || ''), wrong);
		// By keyboard: the password field, its value, Enter.
		await page.focus('#password');
		await page.keyboard.press('Control+A');
		await page.keyboard.type(PASSWORD);
		await page.keyboard.press('Enter');
		const inside = await page.waitForSelector('#app-view:not([hidden])', { timeout: 15000 }).then(() => true, () => false);
		check('log in with login and password (keyboard, Enter)', inside);
		if (!inside)
			throw new Error('cannot log in');
		const stored = await page.evaluate(() => ({ s: sessionStorage.getItem('archived.session'),
			l: Object.keys(localStorage).map((k) => k + localStorage.getItem(k)).join(' '), c: document.cookie }));
		const session = JSON.parse(stored.s || '{}');
		const secret = (session.token || '').split('|')[1] || 'no token';
		check('the token is kept in sessionStorage only (not in localStorage or cookies)',
			/^\d+\|\w+$/.test(session.token || '') && !stored.l.includes(secret) && !stored.c.includes(secret));
		const token = session.token;
		const me = (await api(token, 'GET', '/api/admin/v1/user')).data;
		check('the push is live (private-user and private-token channels)',
			await page.waitForSelector('#push[data-state="live"]', { timeout: 15000 }).then(() => true, () => false));
		const zoneShown = (await page.textContent('#clock-zone')).trim();
		const zoneWant = offsetText(zoneOffset(Date.now(), args.tz));
		check(`the server's zone offset is shown (${zoneShown}, ${args.tz} is ${zoneWant}; the browser is in ${browserZone})`,
			zoneShown === zoneWant);
		const clockShown = await until('clock', async () => {
			const t = (await page.textContent('#clock-time')).trim();
			return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(t) ? t : '';
		}, 3000) || '1970-01-01 00:00:00';
		const clockWant = epochToLocal(Date.now(), args.tz);
		check(`the server's clock is shown (${clockShown}, ${clockWant} there)`,
			Math.abs(localToEpoch(clockShown, args.tz) - localToEpoch(clockWant, args.tz)) <= 3000);

		/* ---- the camera ---- */
		await page.fill('#camera-filter', 'no camera is called this');
		const none = await page.$$eval('#camera-list .camera', (e) => e.length);
		await page.fill('#camera-filter', 'gate 1');
		const some = await page.$$eval('#camera-list .camera', (e) => e.length);
		check('the camera filter narrows the list', none === 0 && some >= 1, `${none} then ${some}`);
		const cams = (await api(token, 'GET', '/api/admin/v1/cameras?per_page=100')).data.data;
		const demo = cams.find((c) => (c.streams || []).some((s) => s.url === 'rtsp://127.0.0.1:8554/demo'));
		const stream = demo.streams.find((s) => s.url === 'rtsp://127.0.0.1:8554/demo');
		await page.click(`.stream-btn[data-stream="${stream.id}"]`);
		check('choosing the demo camera\'s stream', (await page.textContent('#export-title')).trim() === demo.name);

		/* ---- the gap ---- */
		const intervals = (await api(token, 'GET', `/api/admin/v1/streams/${stream.id}/archive`)).data.data;
		let gap = null;
		for (let i = 1; i < intervals.length && !gap; i++) {
			const before = localToEpoch(intervals[i - 1].to, args.tz) - localToEpoch(intervals[i - 1].from, args.tz);
			const after = localToEpoch(intervals[i].to, args.tz) - localToEpoch(intervals[i].from, args.tz);
			if (before >= 100000 && after >= 60000)
				gap = { from: intervals[i - 1].to, to: intervals[i].from };
		}
		if (!check('the demo camera\'s recordings have a gap (quickstart: 100 s or more recorded before, 60 s after)', gap,
			JSON.stringify(intervals)))
			throw new Error('no gap to test with');
		const g0 = localToEpoch(gap.from, args.tz), g1 = localToEpoch(gap.to, args.tz);
		// 80 s before the gap, 40 s after: a 120 s file whose middle is
		// before the gap and whose last quarter is after it.
		const from = epochToLocal(g0 - 80000, args.tz), to = epochToLocal(g1 + 40000, args.tz);

		await page.fill('#from', from);
		await page.fill('#to', to);
		await page.click('#tl-fit');
		await sleep(600);
		const gapEl = `.tl-gap[data-from="${gap.from}"][data-to="${gap.to}"]`;
		// Found and measured in one step: the timeline redraws its bars
		// (each interval load, every 5 s), and a handle found before a
		// redraw measures a detached element, null.
		const box = await page.waitForFunction((sel) => {
			const e = document.querySelector(sel);
			const r = e && e.getBoundingClientRect();
			return r && r.width >= 2 ? { x: r.x, y: r.y, width: r.width, height: r.height } : null;
		}, gapEl, { timeout: 10000 }).then((h) => h.jsonValue(), () => null);
		check(`the timeline shows the gap ${gap.from} – ${gap.to.slice(11)}`, box && box.width >= 2,
			JSON.stringify(box));
		const recBoxes = await page.$$eval('.tl-rec', (e) => e.length);
		check('and the recordings on both sides of it', recBoxes >= 2, `${recBoxes} recorded bars`);
		check('the current time is marked', await page.$eval('.tl-now', (e) => !!e));

		// Drag across the gap: from 80 s before to 40 s after.
		const track = await (await page.$('.tl-track')).boundingBox();
		const view = await page.evaluate(() => ({ start: window.archived.state.timeline.start,
			span: window.archived.state.timeline.span }));
		const wallOf = (ms) => ms + zoneOffset(ms, args.tz);
		const xOf = (ms) => track.x + ((wallOf(ms) - view.start) / view.span) * track.width;
		await page.fill('#from', '');
		await page.fill('#to', '');
		await page.mouse.move(xOf(g0 - 80000), track.y + track.height / 2);
		await page.mouse.down();
		await page.mouse.move(xOf(g1), track.y + track.height / 2, { steps: 8 });
		await page.mouse.move(xOf(g1 + 40000), track.y + track.height / 2, { steps: 4 });
		await page.mouse.up();
		const dragged = { from: await page.inputValue('#from'), to: await page.inputValue('#to') };
		const secPerPx = view.span / 1000 / track.width;
		const near = (s, ms) => Math.abs(localToEpoch(s, args.tz) - ms) <= (secPerPx + 1) * 1000;
		check(`dragging across the gap fills From/To (${dragged.from} – ${dragged.to.slice(11)})`,
			/^\d{4}-/.test(dragged.from) && near(dragged.from, g0 - 80000) && near(dragged.to, g1 + 40000));
		// Exact times typed, as an operator who was told them.
		await page.fill('#from', from);
		await page.fill('#to', to);
		const missing = await page.waitForSelector(`#estimate .est-missing [data-from="${gap.from}"][data-to="${gap.to}"]`,
			{ timeout: 5000 }).then(() => true, () => false);
		check('before exporting, the missing part is shown (the gap)', missing);
		// The estimate follows each edit: wait for the one of the typed range.
		await page.waitForFunction(() => /chosen: 2 min recorded/.test(
			document.querySelector('#estimate').textContent.replace(/\s+/g, ' ')),
			null, { timeout: 5000 }).catch(() => {});
		const est = (await page.textContent('#estimate')).replace(/\s+/g, ' ');
		check('and the recorded length (2 min of it) and an expected size',
			/chosen: 2 min recorded/.test(est) && /Expected size: about [\d.]+ (KB|MB)/.test(est), est);
		await page.screenshot({ path: path.join(OUT, '02-range.png'), fullPage: true });

		/* ---- a bad range: the server's 422 on its field ---- */
		const before = (await api(token, 'GET', '/api/admin/v1/downloads?per_page=1')).data.meta.total;
		await page.fill('#from', '2026-13-40 10:00:00');
		check('a malformed time is flagged on its field as it is typed',
			/YYYY-MM-DD/.test(await page.textContent('#from-error')));
		await page.fill('#from', to);
		await page.fill('#to', from);
		await page.click('#export-submit');
		const toErr = await until('422', async () => (await page.textContent('#to-error')).trim(), 5000);
		check(`a range that ends before it starts shows the server's 422 on "to" ("${toErr}")`,
			/after/.test(toErr || '') && await page.getAttribute('#to', 'aria-invalid') === 'true');
		const after = (await api(token, 'GET', '/api/admin/v1/downloads?per_page=1')).data.meta.total;
		check('and nothing was exported', after === before, `${before} -> ${after}`);

		/* ---- export, watched live ---- */
		await page.fill('#from', from);
		await page.fill('#to', to);
		check('editing the field clears its error', (await page.textContent('#to-error')).trim() === '');
		await page.evaluate(() => {
			window.__noReload = true;
			window.__states = [];
			const seen = () => document.querySelectorAll('#downloads .dl').forEach((li) => {
				const p = li.querySelector('progress');
				window.__states.push({ id: Number(li.dataset.id), c: li.dataset.condition, v: p ? p.value : -1 });
			});
			new MutationObserver(seen).observe(document.getElementById('downloads'),
				{ subtree: true, attributes: true, childList: true, characterData: true });
		});
		await sleep(300);	// let the estimate's request settle
		const known = new Set(await listIds(page));
		await page.click('#export-submit');
		const id = await until('new item', async () => {
			const ids = await listIds(page);
			return ids.length && !known.has(ids[0]) ? ids[0] : 0;
		}, 10000);
		check('the export appears at the top of the list at once', id > 0);
		const done = await page.waitForSelector(`.dl[data-id="${id}"][data-condition="active"]`, { timeout: 60000 })
			.then(() => true, () => false);
		const states = (await page.evaluate(() => window.__states)).filter((s) => s.id === id);
		const firstState = states[0] || {};
		const last = states[states.length - 1] || {};
		check(`its progress bar moves to done without a reload (${firstState.c} ${firstState.v}% ... ${last.c} ${last.v}%)`,
			done && firstState.v < 100 && firstState.c !== 'active' && last.v === 100 && last.c === 'active' &&
			await page.evaluate(() => window.__noReload === true));
		const log = await pushLog(page);
		check('the finished event came over the push (archive_generated on private-token)',
			log.some((e) => e.download_id === id && e.type === 'archive_generated' && e.status === 'ok' &&
				e.channel === `private-token.${me.access_token_id}` && e.event === 'App\\Events\\TokenPush'));
		const d = (await api(token, 'GET', `/api/admin/v1/downloads/${id}`)).data;
		const facts = await page.textContent(`.dl[data-id="${id}"] .dl-facts`);
		check('size, length, what was recorded, what is missing and the time left are shown',
			facts.includes('Size') && facts.includes('Length') && facts.includes(`${gap.from.slice(11)}–${gap.to.slice(11)}`) &&
			/Missing/.test(facts) && /Expires\s*in (2 h 5\d|3 h 00) min/.test(facts), facts.replace(/\s+/g, ' '));

		/* ---- play it in place ---- */
		await page.click(`.dl[data-id="${id}"] [data-act="play"]`);
		const ready = await until('readyState', () => page.$eval(`.dl[data-id="${id}"] video`,
			(v) => (v.readyState >= 2 ? { rs: v.readyState, d: v.duration, w: v.videoWidth } : null)), 20000);
		check(`the <video> loads it (readyState ${ready ? ready.rs : '-'})`, ready && ready.rs >= 2 && ready.w > 0);

		/* ---- download through the link ---- */
		const [dlEvent] = await Promise.all([
			page.waitForEvent('download', { timeout: 20000 }),
			page.click(`.dl[data-id="${id}"] [data-act="download"]`),
		]);
		const file = path.join(OUT, 'export.mp4');
		await dlEvent.saveAs(file);
		const size = fs.statSync(file).size;
		check(`the Download link gives the file (${size} bytes, as the API says)`, size === d.size && size > 0);
		const probed = ffprobeDuration(file);
		check(`the <video>'s duration is the file's (${ready && ready.d.toFixed(3)} s, ffprobe ${probed.toFixed(3)} s)`,
			ready && Math.abs(ready.d - probed) < 0.05 && Math.abs(probed - 120) < 0.2);

		/* ---- it plays to its end ---- */
		// The last six seconds at 4x: "ended" must come, with currentTime at
		// the duration, and the last frame shown must be the file's last
		// (a file whose index ends a track early stalls or stops short).
		const end = await page.$eval(`.dl[data-id="${id}"] video`, (v) => new Promise((resolve) => {
			let last = -1;
			const onFrame = (now, meta) => {
				last = Math.max(last, meta.mediaTime);
				v.requestVideoFrameCallback(onFrame);
			};
			if (v.requestVideoFrameCallback)
				v.requestVideoFrameCallback(onFrame);
			v.muted = true;
			v.addEventListener('ended', () => setTimeout(() =>
				resolve({ t: v.currentTime, d: v.duration, last }), 200), { once: true });
			v.currentTime = Math.max(0, v.duration - 6);
			v.playbackRate = 4;
			v.play().catch((e) => resolve({ err: String(e) }));
			setTimeout(() => resolve({ timeout: true, t: v.currentTime, d: v.duration, last }), 20000);
		}));
		check(`the <video> plays to its end (currentTime ${end.t} of ${end.d} s, last frame shown at ${end.last} s)`,
			!end.err && !end.timeout && end.t === end.d && (end.last < 0 || end.last >= end.d - 0.1), end.err || '');
		await page.$eval(`.dl[data-id="${id}"] video`, (v) => { v.pause(); v.playbackRate = 1; });

		/* ---- the right moments ---- */
		const dur = ready.d;
		const cov = d.coverage.map((c) => [localToEpoch(c.from, args.tz), localToEpoch(c.to, args.tz)]);
		const wallAt = (m) => {
			let acc = 0;
			for (const [a, b] of cov) {
				if (m < acc + (b - a) / 1000)
					return a + (m - acc) * 1000;
				acc += (b - a) / 1000;
			}
			return NaN;
		};
		for (const [what, t] of [['the middle', dur / 2], ['three quarters, after the gap', dur * 0.75]]) {
			const got = await seekAndRead(page, id, t);
			const want = Math.round(wallAt(t) / 40) % 2 ** 24;
			const diff = ((got.frames - want + 2 ** 23) % 2 ** 24 + 2 ** 24) % 2 ** 24 - 2 ** 23;
			check(`seeking to ${what} (${t.toFixed(2)} s) shows the frame of ${epochToLocal(wallAt(t), args.tz)}` +
				` (the picture's clock is ${diff === 0 ? 'exactly' : `${diff} frames`} off)`,
				got.markers && Math.abs(diff) <= 2, JSON.stringify(got));
			if (what === 'the middle') {
				await page.$eval(`.dl[data-id="${id}"]`, (e) => e.scrollIntoView({ block: 'center' }));
				await page.screenshot({ path: path.join(OUT, '03-exported.png'), fullPage: true });
				if (args.shot) {
					// The page down to this export's player (older exports cut off).
					const bottom = await page.$eval(`.dl[data-id="${id}"]`,
						(e) => e.getBoundingClientRect().bottom + window.scrollY);
					await page.screenshot({ path: args.shot, fullPage: true,
						clip: { x: 0, y: 0, width: 1280, height: Math.ceil(bottom + 12) } });
				}
			}
		}

		/* ---- a second page: the same list, the same updates ---- */
		const page2 = await context.newPage();
		watch(page2, 'page 2');
		await login(page2, PASSWORD);
		await until('list', async () => (await listIds(page2)).length > 0, 10000);
		const ids1 = await listIds(page), ids2 = await listIds(page2);
		check('a second page (its own login) shows the same list', JSON.stringify(ids1) === JSON.stringify(ids2),
			`${ids1} / ${ids2}`);

		/* ---- the push is cut while an export finishes ---- */
		// The socket dropped (the network still up): shown, and back.
		const dropSocket = () => page.evaluate(() => {
			const c = window.archived.pusher.connection;
			const s = c.connection && c.connection.transport && c.connection.transport.socket;
			if (s)
				s.close();
			return !!s;
		});
		await page.evaluate(() => {
			window.__pushStates = [];
			new MutationObserver(() => window.__pushStates.push(document.getElementById('push').dataset.state))
				.observe(document.getElementById('push'), { attributes: true, attributeFilter: ['data-state'] });
		});
		const dropped = await dropSocket();
		const seenStates = await until('states', async () => {
			const st = await page.evaluate(() => window.__pushStates);
			return st.includes('lost') && st[st.length - 1] === 'live' ? st : null;
		}, 20000);
		check(`a dropped push connection shows, and reconnects (${seenStates ? seenStates.join(' -> ') : 'no change'})`,
			dropped && seenStates);
		// Offline (Chromium keeps an open WebSocket when offline is
		// emulated, so the socket is dropped too) while an export finishes.
		const onlineBefore = await pushLog(page);
		await context.setOffline(true);
		await dropSocket();
		const lost = await page.waitForSelector('#push[data-state="lost"]', { timeout: 15000 }).then(() => true, () => false);
		check('going offline shows', lost);
		// Asked with the page's own token (its archive_generated goes to
		// private-token.<that token>), by a script while the page is offline.
		const made = await api(token, 'POST', '/api/admin/v1/downloads', { stream_id: stream.id,
			from: epochToLocal(g1 + 5000, args.tz), to: epochToLocal(g1 + 25000, args.tz) });
		const id2 = made.data && made.data.id;
		const finished = await until('active', async () =>
			(await api(token, 'GET', `/api/admin/v1/downloads/${id2}`)).data.condition === 'active', 30000);
		check(`an export finishes while the page is offline (#${id2})`, finished);
		const missed = (await pushLog(page)).filter((e) => e.download_id === id2).length;
		const t0 = Date.now();
		await context.setOffline(false);
		const back = await page.waitForSelector('#push[data-state="live"]', { timeout: 30000 }).then(() => true, () => false);
		check('the push reconnects by itself', back);
		const replayed = await until('replayed', async () => (await pushLog(page)).find((e) =>
			e.download_id === id2 && e.type === 'archive_generated' && e.t >= t0), 20000);
		check('and the finished event arrives after the reconnect (last_event_id replay)',
			missed === 0 && replayed && replayed.status === 'ok' && replayed.event_id > Math.max(-1, ...onlineBefore.map((e) => e.event_id || -1)));
		check('the list shows it ready', await until('cond', async () => (await condition(page, id2)) === 'active', 10000));
		check('the second page shows it ready too', await until('cond2', async () => (await condition(page2, id2)) === 'active', 40000));

		/* ---- delete in one page, seen in the other ---- */
		await page.click(`.dl[data-id="${id2}"] [data-act="delete"]`);
		await page.click(`.dl[data-id="${id2}"] [data-act="delete-yes"]`);
		check('Delete (confirmed) removes the file: cancelled',
			await until('cancelled', async () => (await condition(page, id2)) === 'cancelled', 10000));
		check('the second page sees that at once', await until('cancelled2', async () => (await condition(page2, id2)) === 'cancelled', 5000));
		await page.click(`.dl[data-id="${id2}"] [data-act="repeat"]`);
		check('Repeat makes it again: ready, in both pages', await until('repeat', async () =>
			(await condition(page, id2)) === 'active' && (await condition(page2, id2)) === 'active', 30000));

		/* ---- H.265: said plainly, with the download offered ---- */
		// The demo camera records H.264; an H.265 file (what such a camera's
		// export is) is handed to the page in place of this export's.
		const hevc = path.join(OUT, 'hevc.mp4');
		try {
			execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25',
				'-t', '1', '-c:v', 'libx265', '-x265-params', 'log-level=error', '-tag:v', 'hvc1',
				'-movflags', '+faststart', '-y', hevc]);
		} catch (e) {
			/* no libx265: the check below fails and says so */
		}
		if (fs.existsSync(hevc)) {
			await page.route(`**/api/admin/v1/downloads/${id2}/file?*`, (r) =>
				r.fulfill({ status: 200, contentType: 'video/mp4', body: fs.readFileSync(hevc) }));
			await page.click(`.dl[data-id="${id2}"] [data-act="play"]`);
			const note = await until('note', async () => {
				const t = await page.textContent(`.dl[data-id="${id2}"] .dl-codec`);
				return /H\.265/.test(t) ? t : '';
			}, 10000);
			const playable = await page.evaluate(() => document.createElement('video')
				.canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"'));
			const linkShown = await page.isVisible(`.dl[data-id="${id2}"] [data-act="download"]`);
			check(`an H.265 file: the page says so (${playable ? 'this browser plays it' : 'this browser cannot play it'}) ` +
				`and offers the download ("${note}")`, linkShown && (playable ? /H\.265/.test(note) :
				/cannot play/.test(note) && /Download it/.test(note)));
			await page.unroute(`**/api/admin/v1/downloads/${id2}/file?*`);
		} else
			notOk('an H.265 file is shown as such', 'ffmpeg with libx265 could not make one');

		/* ---- a failure, in words ---- */
		const empty = await api(token, 'POST', '/api/admin/v1/downloads', { stream_id: stream.id,
			from: epochToLocal(g0 + 10000, args.tz), to: epochToLocal(g1 - 10000, args.tz) });
		const id3 = empty.data && empty.data.id;
		const failedShown = await until('failed', async () => (await condition(page, id3)) === 'failed' &&
			page.textContent(`.dl[data-id="${id3}"] .dl-error`), 30000);
		check(`an export of the gap alone fails, and says why in words ("${failedShown}")`,
			/Nothing was recorded/.test(failedShown || '') &&
			(await pushLog(page)).some((e) => e.download_id === id3 && e.type === 'archive_generated' && e.status === 'error'));

		/* ---- keyboard on the timeline ---- */
		await page.focus('.tl-track');
		const span0 = await page.textContent('#tl-span');
		await page.keyboard.press('-');
		const span1 = await page.textContent('#tl-span');
		await page.keyboard.press('+');
		check(`the timeline zooms with the keyboard (${span0} -> ${span1} -> ${await page.textContent('#tl-span')})`,
			span0 !== span1 && (await page.textContent('#tl-span')) === span0);

		/* ---- 401 returns to the login form ---- */
		const token2 = JSON.parse(await page2.evaluate(() => sessionStorage.getItem('archived.session'))).token;
		await api(token2, 'DELETE', '/api/admin/v1/auth/token');
		await page2.click('#dl-refresh');
		const relog = await page2.waitForSelector('#login-view:not([hidden])', { timeout: 10000 }).then(() => true, () => false);
		check('a 401 (token revoked elsewhere) returns to the login form, saying why',
			relog && /session has ended/.test(await page2.textContent('#login-reason')) &&
			await page2.evaluate(() => sessionStorage.getItem('archived.session')) === null);
		await page2.close();

		/* ---- 360 px wide ---- */
		const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2 });
		const mob = await phone.newPage();
		watch(mob, 'phone');
		await login(mob, PASSWORD);
		await until('list', async () => (await listIds(mob)).length > 0, 10000);
		const widths = await mob.evaluate(() => ({ doc: document.documentElement.scrollWidth,
			body: document.body.scrollWidth, track: document.querySelector('.tl-track').getBoundingClientRect().right }));
		check(`360 px wide: nothing wider than the screen (${JSON.stringify(widths)})`,
			widths.doc <= 360 && widths.body <= 360 && widths.track <= 360);
		// Progress of an export (as another tab would pass it on) moves
		// nothing on the page.
		const sample = (await api(token, 'GET', `/api/admin/v1/downloads/${id}`)).data;
		const uid = me.id;
		const heights = [];
		for (const [c, p] of [['pending', 0], ['processing', 3], ['processing', 47], ['processing', 99]]) {
			const fake = Object.assign({}, sample, { id: 2 ** 31 - 7, condition: c, progress: p, url: '', size: 0,
				duration: 0, coverage: [], is_file_exists: false, expires_at: null,
				created_at: new Date(Date.now() + 1000).toISOString(), updated_at: new Date(Date.now() + 1000 + p).toISOString() });
			await mob.evaluate(([fake, uid]) => new BroadcastChannel('archived-page').postMessage({ user_id: uid, download: fake }),
				[fake, uid]);
			await sleep(150);
			heights.push(await mob.evaluate((fid) => {
				const li = document.querySelector(`.dl[data-id="${fid}"]`);
				const next = li && li.nextElementSibling;
				return li ? [li.querySelector('progress').value, Math.round(li.getBoundingClientRect().height),
					next ? Math.round(next.getBoundingClientRect().top - li.getBoundingClientRect().top) : 0] : null;
			}, fake.id));
		}
		check(`no layout jump while progress updates, at 360 px (${JSON.stringify(heights)})`,
			heights.every((h) => h) && heights.map((h) => h[0]).join() === '0,3,47,99' &&
			heights.every((h) => h[1] === heights[0][1] && h[2] === heights[0][2]));
		await mob.reload();
		await mob.waitForSelector('#app-view:not([hidden])');
		await mob.screenshot({ path: path.join(OUT, '04-phone.png'), fullPage: true });
		await phone.close();

		// The test's exports go (their files are removed; the records stay,
		// cancelled, as the API keeps them).
		for (const x of [id, id2])
			await api(token, 'DELETE', `/api/admin/v1/downloads/${x}`);

		/* ---- log out ---- */
		await page.click('#logout');
		const out = await page.waitForSelector('#login-view:not([hidden])', { timeout: 10000 }).then(() => true, () => false);
		const revoked = (await api(token, 'GET', '/api/admin/v1/user')).status;
		check(`Log out revokes the token (then ${revoked}) and shows the login form`, out && revoked === 401);

		check('nothing was loaded from another site', foreign.length === 0, foreign.slice(0, 5).join(' '));
		check('no script error on any page', errors.length === 0, errors.slice(0, 5).join(' | '));
	} catch (e) {
		notOk('the test ran to its end', e.stack || e.message);
		await page.screenshot({ path: path.join(OUT, '99-failure.png'), fullPage: true }).catch(() => {});
	} finally {
		await browser.close();
	}
	console.log(`# screenshots in ${OUT}`);
	console.log(`${passed} passed, ${failed} failed`);
	process.exit(failed ? 1 : 0);
}

const overall = setTimeout(() => {
	console.log('not ok - the test finished within 240 s');
	console.log(`${passed} passed, ${failed + 1} failed`);
	process.exit(1);
}, 240000);
overall.unref();
main();
