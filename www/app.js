/*
 * archived's operator page: log in, pick a camera stream, see what was
 * recorded, choose a range, export it, watch it come over the push channel,
 * play it in place and download it. Only the public API and the Pusher
 * channel are used; nothing is loaded from another site.
 */
'use strict';

(function () {
	const { Timeline, formatWall, parseWall, formatDuration, SECOND, MINUTE, HOUR, DAY } = window.ArchTime;
	const API = '/api/admin/v1';
	const SESSION_KEY = 'archived.session';
	const PER_PAGE = 10;
	// What the size estimate assumes when no export of the stream says better.
	const ASSUMED_BITRATE = 4e6;
	const FINAL = new Set(['active', 'failed', 'expired', 'cancelled']);
	const CONDITION_WORDS = {
		pending: 'Waiting',
		processing: 'Exporting',
		active: 'Ready',
		failed: 'Failed',
		expired: 'Expired',
		cancelled: 'Cancelled',
	};
	// error.code in words, for operators.
	const ERROR_WORDS = {
		no_footage: 'Nothing was recorded in this range, so there is no file.',
		stream_changed: 'The camera changed its codec or resolution inside the range: the file holds the part before the change.',
		sound_left_out: 'The recording\'s sound is in a format MP4 files do not carry here (only AAC): the file has the pictures, without sound.',
		input_error: 'The export could not be prepared (the range or the recordings list was unusable).',
		output_error: 'The server could not write the file (disk full or not writable).',
		cancelled: 'The export was cancelled.',
		unsupported: 'The recording uses a codec that an MP4 file cannot carry as recorded.',
		worker_lost: 'The export was interrupted again and again (the export worker stopped or crashed).',
	};

	const $ = (id) => document.getElementById(id);
	const state = {
		session: null,		// {token, user: {id, login, name, is_admin, access_token_id}}
		offset: 0,		// server zone's offset from UTC, ms (inferred)
		offsetKnown: false,
		skew: 0,		// server clock - this clock, ms (from Date headers)
		cameras: [],
		stream: null,		// {id, type, camera}
		timeline: null,
		downloads: new Map(),	// id -> download object (the current page)
		order: [],		// ids on the current page, newest first
		page: 1,
		lastPage: 1,
		total: 0,
		seenAt: new Map(),	// id -> Date.now() of the last news about it
		rates: new Map(),	// stream id -> {bps, how} (bytes per second, and whence)
		pusher: null,
		lastEventId: -1,	// newest event seen on either channel
		seenEvents: new Set(),
		pushLost: false,
		timers: [],
		bc: null,
	};
	// For operators' debugging and the browser test: what the push delivered.
	const debug = { pushLog: [], state };
	window.archived = debug;

	/* ---------------- time ---------------- */

	// The server's "now" in UTC ms, and as its wall clock.
	const serverNow = () => Date.now() + state.skew;
	const wallNow = () => serverNow() + state.offset;

	// "2019-09-20T17:00:00.000000Z" -> UTC ms (or NaN).
	function parseUtc(s) {
		if (!s)
			return NaN;
		return Date.parse(String(s).replace(/(\.\d{3})\d+/, '$1'));
	}

	const utcToWall = (ms) => ms + state.offset;

	function formatOffset(ms) {
		const m = Math.round(ms / MINUTE);
		const a = Math.abs(m);
		return `UTC${m < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
	}

	// "YYYY-MM-DDTHH:MM:SSZ" of a UTC ms.
	function isoUtc(ms) {
		return new Date(Math.floor(ms / SECOND) * SECOND).toISOString().replace('.000Z', 'Z');
	}

	/*
	 * No endpoint names the server's time zone. Its offset is found with the
	 * archive endpoint, which takes "from" in the server's zone and "to" as
	 * ISO 8601 and answers 422 on "to" exactly when to <= from: so "from" =
	 * the clock face (now + o) is refused when o >= the true offset. The
	 * browser's own offset is tried first (two requests when the operator
	 * sits in the server's zone); else a search over o (15-minute steps,
	 * then seconds) finds it in about 8. The refusals are expected 422s.
	 */
	async function inferOffset() {
		const u = Math.floor(serverNow() / SECOND) * SECOND;
		const id = state.stream ? state.stream.id : 1;
		const refused = async (o) => {
			const q = `from=${encodeURIComponent(formatWall(u + o))}&to=${encodeURIComponent(isoUtc(u))}`;
			const r = await api('GET', `${API}/streams/${id}/archive?${q}`, undefined, { quiet: true });
			if (r.status === 422 && r.data && r.data.errors && r.data.errors.to && !r.data.errors.from)
				return true;
			if (r.status === 422 || r.status === 0 || r.status === 401 || r.status >= 500)
				throw new Error(`the time probe got ${r.status}`);
			return false;
		};
		const mine = -new Date(u).getTimezoneOffset() * MINUTE;
		if (await refused(mine) && !await refused(mine - SECOND)) {
			state.offset = mine;
			state.offsetKnown = true;
			showZone();
			return;
		}
		const Q = 15 * MINUTE;
		let lo = -15 * HOUR / Q, hi = 15 * HOUR / Q;	// refused(hi*Q), not refused(lo*Q)
		while (hi - lo > 1) {
			const mid = Math.floor((lo + hi) / 2);
			if (await refused(mid * Q))
				hi = mid;
			else
				lo = mid;
		}
		let off = hi * Q;
		if (await refused(off - SECOND)) {
			// Not a whole quarter of an hour: search the seconds.
			let a = lo * Q / SECOND, b = hi * Q / SECOND;
			while (b - a > 1) {
				const mid = Math.floor((a + b) / 2);
				if (await refused(mid * SECOND))
					b = mid;
				else
					a = mid;
			}
			off = b * SECOND;
		}
		state.offset = off;
		state.offsetKnown = true;
		showZone();
	}

	function showZone() {
		const z = formatOffset(state.offset);
		$('clock-zone').textContent = z;
		$('clock').title = `The server's time, ${z}. The API does not name its time zone; ` +
			'the offset is worked out from its answers. Every time on this page is server time.';
		const local = -new Date().getTimezoneOffset() * MINUTE;
		const hint = local === state.offset ? z : `${z}, server time`;
		document.querySelectorAll('.zone-hint').forEach((e) => { e.textContent = `(${hint})`; });
	}

	/* ---------------- API ---------------- */

	// One request. Answers {status, data, headers}, never throws: status 0
	// when the server cannot be reached; a 401 ends the session (unless
	// noAuthEnd). opts.quiet: no notice; opts.noToken: no Authorization.
	async function api(method, path, body, opts) {
		opts = opts || {};
		const headers = { Accept: 'application/json' };
		if (!opts.noToken) {
			if (!state.session)
				return { status: 401, data: null, headers: new Headers() };
			headers.Authorization = `Bearer ${state.session.token}`;
		}
		const init = { method, headers, cache: 'no-store' };
		if (body !== undefined) {
			headers['Content-Type'] = 'application/json';
			init.body = JSON.stringify(body);
		}
		const t0 = Date.now();
		let res;
		try {
			res = await fetch(path, init);
		} catch (e) {
			if (!opts.quiet)
				notice('The server cannot be reached. Check the connection; the page keeps trying.');
			return { status: 0, data: null, headers: new Headers() };
		}
		const t1 = Date.now();
		const date = Date.parse(res.headers.get('Date') || '');
		if (Number.isFinite(date) && t1 - t0 < 2000) {
			// Date has whole seconds: keep the estimate that is nearest.
			const s = date + 500 - (t0 + t1) / 2;
			if (!state.skewSamples)
				state.skewSamples = [];
			state.skewSamples.push(s);
			if (state.skewSamples.length > 15)
				state.skewSamples.shift();
			const sorted = state.skewSamples.slice().sort((a, b) => a - b);
			state.skew = Math.abs(sorted[sorted.length >> 1]) < 1500 ? 0 : sorted[sorted.length >> 1];
		}
		let data = null;
		if (res.status !== 204) {
			const text = await res.text().catch(() => '');
			try {
				data = text ? JSON.parse(text) : null;
			} catch (e) {
				data = { message: text.slice(0, 200) };
			}
		}
		if (res.ok && !opts.quiet)
			notice('');
		if (res.status === 401 && !opts.noAuthEnd && state.session && !opts.noToken)
			sessionEnded('Your session has ended (the token expired or was revoked). Log in again.');
		if (res.status === 402)
			notice(data && data.message ? data.message : 'License error.');
		return { status: res.status, data, headers: res.headers };
	}

	function notice(text) {
		const n = $('notice');
		n.textContent = text;
		n.hidden = !text;
	}

	/* ---------------- session ---------------- */

	function saveSession() {
		if (state.session)
			sessionStorage.setItem(SESSION_KEY, JSON.stringify(state.session));
		else
			sessionStorage.removeItem(SESSION_KEY);
	}

	function showLogin(reason) {
		$('app-view').hidden = true;
		$('who').hidden = true;
		$('push').hidden = true;
		$('login-view').hidden = false;
		const r = $('login-reason');
		r.textContent = reason || '';
		r.hidden = !reason;
		$('password').value = '';
		const f = $('login').value ? $('password') : $('login');
		f.focus();
	}

	function stopApp() {
		if (state.pusher) {
			state.pusher.disconnect();
			state.pusher = null;
		}
		if (state.bc) {
			state.bc.close();
			state.bc = null;
		}
		state.timers.forEach(clearInterval);
		state.timers = [];
		state.downloads.clear();
		elements.clear();
		state.order = [];
		$('downloads').textContent = '';
		state.lastEventId = -1;
		state.seenEvents.clear();
	}

	function sessionEnded(reason) {
		stopApp();
		state.session = null;
		saveSession();
		showLogin(reason);
	}

	function fieldError(id, text) {
		const e = $(`${id}-error`);
		if (e)
			e.textContent = text || '';
		const input = $(id);
		if (input && input.tagName === 'INPUT')
			input.setAttribute('aria-invalid', text ? 'true' : 'false');
	}

	// A 422's errors next to their fields; what has no field, in formError.
	function showErrors(data, fields, formError) {
		const errors = (data && data.errors) || {};
		const rest = [];
		let first = null;
		for (const [k, v] of Object.entries(errors)) {
			const text = Array.isArray(v) ? v.join(' ') : String(v);
			if (fields.includes(k)) {
				fieldError(k, text);
				first = first || k;
			} else
				rest.push(text);
		}
		$(formError).textContent = rest.join(' ') ||
			(Object.keys(errors).length ? '' : (data && data.message) || '');
		if (first && $(first) && $(first).focus)
			$(first).focus();
	}

	async function onLogin(e) {
		e.preventDefault();
		['login', 'password'].forEach((f) => fieldError(f, ''));
		$('login-form-error').textContent = '';
		const login = $('login').value.trim(), password = $('password').value;
		if (!login)
			fieldError('login', 'Enter your login.');
		if (!password)
			fieldError('password', 'Enter your password.');
		if (!login || !password)
			return;
		$('login-submit').disabled = true;
		try {
			const r = await api('POST', `${API}/auth/token`,
				{ login, password, device_name: 'operator page' }, { noToken: true, noAuthEnd: true });
			if (r.status === 200 && r.data && r.data.access_token) {
				state.session = { token: r.data.access_token, user: r.data.user };
				saveSession();
				$('password').value = '';
				await startApp();
			} else if (r.status === 422)
				showErrors(r.data, ['login', 'password'], 'login-form-error');
			else if (r.status === 429)
				$('login-form-error').textContent = 'Too many attempts for this login. Wait a minute and try again.';
			else if (r.status === 0)
				$('login-form-error').textContent = 'The server cannot be reached.';
			else
				$('login-form-error').textContent = (r.data && r.data.message) || `The server answered ${r.status}.`;
		} finally {
			$('login-submit').disabled = false;
		}
	}

	async function onLogout() {
		// Revoked at the server; if it cannot be reached, the token is
		// forgotten here all the same.
		await api('DELETE', `${API}/auth/token`, undefined, { noAuthEnd: true, quiet: true });
		stopApp();
		state.session = null;
		saveSession();
		showLogin('You are logged out.');
	}

	/* ---------------- the app ---------------- */

	async function startApp() {
		$('login-view').hidden = true;
		$('app-view').hidden = false;
		$('who').hidden = false;
		const u = state.session.user;
		$('who-name').textContent = u.name && u.name !== u.login ? `${u.name} (${u.login})` : u.login;
		// The caller as the API sees it now (ids for the push channels).
		const me = await api('GET', `${API}/user`);
		if (!state.session)
			return;		// the stored token had ended
		if (me.status === 200 && me.data) {
			state.session.user = Object.assign({}, state.session.user, me.data);
			saveSession();
		} else if (me.status === 0) {
			notice('The server cannot be reached. Reload the page to try again.');
			return;
		}
		try {
			await inferOffset();
		} catch (e) {
			$('clock-zone').textContent = '(zone unknown)';
		}
		if (!state.session)
			return;
		if (!state.timeline) {
			state.timeline = new Timeline($('timeline'), {
				now: wallNow,
				onSelect: (from, to, done) => selectionFromTimeline(from, to, done),
				onView: () => scheduleIntervals(),
			});
			wireTimelineButtons();
		} else
			state.timeline.goNow();
		openTabChannel();
		connectPush();
		state.timers.push(setInterval(tick, 1000));
		state.timers.push(setInterval(watchdog, 5000));
		state.timers.push(setInterval(() => { if (!document.hidden) loadIntervals(); }, 20000));
		state.timers.push(setInterval(() => { if (!document.hidden) loadDownloads(state.page, true); }, 30000));
		state.timers.push(setInterval(() => inferOffset().catch(() => {}), 30 * MINUTE));
		await Promise.all([loadCameras(), loadDownloads(1)]);
		$('camera-filter').focus();
	}

	function tick() {
		const w = formatWall(wallNow());
		$('clock-time').textContent = state.offsetKnown ? w : w.slice(11);
		if (state.timeline && Math.floor(Date.now() / 1000) % 5 === 0)
			state.timeline.render();
		for (const id of state.order)
			updateCountdown(id);
	}

	/* ---------------- cameras ---------------- */

	async function loadCameras() {
		const all = [];
		for (let page = 1; page <= 50; page++) {
			const r = await api('GET', `${API}/cameras?page=${page}&per_page=100`);
			if (r.status !== 200 || !r.data)
				break;
			all.push(...(r.data.data || []));
			if (!r.data.meta || page >= r.data.meta.last_page)
				break;
		}
		state.cameras = all;
		renderCameras();
		if (!state.stream) {
			const remembered = Number(sessionStorage.getItem('archived.stream'));
			let pick = null;
			for (const c of all)
				for (const s of c.streams || [])
					if (s.id === remembered || (!remembered && !pick && s.type === 'high'))
						pick = { c, s };
			if (!pick && all.length && all[0].streams && all[0].streams.length)
				pick = { c: all[0], s: all[0].streams[0] };
			if (pick)
				selectStream(pick.c, pick.s);
		}
	}

	function cameraLabel(c) {
		return c.name || c.address || `Camera ${c.id}`;
	}

	function renderCameras() {
		const q = $('camera-filter').value.trim().toLowerCase();
		const list = $('camera-list');
		const frag = document.createDocumentFragment();
		let shown = 0;
		for (const c of state.cameras) {
			const hay = `${c.id} ${c.name || ''} ${c.address || ''}`.toLowerCase();
			if (q && !q.split(/\s+/).every((w) => hay.includes(w)))
				continue;
			shown++;
			const li = document.createElement('li');
			li.className = 'camera';
			li.dataset.id = c.id;
			const name = document.createElement('span');
			name.className = 'cam-name';
			name.textContent = cameraLabel(c);
			const addr = document.createElement('span');
			addr.className = 'cam-addr small muted';
			addr.textContent = [c.address && c.address !== c.name ? c.address : '', `#${c.id}`].filter(Boolean).join(' · ');
			const streams = document.createElement('span');
			streams.className = 'cam-streams';
			for (const s of c.streams || []) {
				const b = document.createElement('button');
				b.type = 'button';
				b.className = 'btn btn-small stream-btn';
				b.dataset.stream = s.id;
				b.textContent = s.type || `stream ${s.id}`;
				b.setAttribute('aria-label', `${cameraLabel(c)}, ${s.type} stream`);
				b.setAttribute('aria-pressed', state.stream && state.stream.id === s.id ? 'true' : 'false');
				b.addEventListener('click', () => selectStream(c, s));
				streams.appendChild(b);
			}
			li.append(name, addr, streams);
			frag.appendChild(li);
		}
		list.replaceChildren(frag);
		$('camera-count').textContent = q ? `${shown} of ${state.cameras.length} cameras` :
			`${state.cameras.length} camera${state.cameras.length === 1 ? '' : 's'}`;
	}

	function selectStream(c, s) {
		state.stream = { id: s.id, type: s.type, camera: c, stream: s };
		sessionStorage.setItem('archived.stream', String(s.id));
		document.querySelectorAll('.stream-btn').forEach((b) =>
			b.setAttribute('aria-pressed', Number(b.dataset.stream) === s.id ? 'true' : 'false'));
		$('export-title').textContent = cameraLabel(c);
		$('export-sub').textContent = [c.address && c.address !== c.name ? c.address : '',
			`${s.type} stream #${s.id}`, s.resolution || ''].filter(Boolean).join(' · ');
		fieldError('stream_id', '');
		state.timeline.setIntervals([], 0, 0);
		loadIntervals();
		loadRates(s.id);
		updateEstimate();
	}

	/* ---------------- timeline and range ---------------- */

	let intervalsTimer = null;
	let intervalsSeq = 0;
	function scheduleIntervals() {
		clearTimeout(intervalsTimer);
		intervalsTimer = setTimeout(loadIntervals, 120);
	}

	async function loadIntervals() {
		const tl = state.timeline;
		if (!state.stream || !tl)
			return;
		// The view and one view's width each side, so panning shows at once.
		const from = tl.start - tl.span, to = Math.min(tl.end + tl.span, wallNow() + DAY);
		const seq = ++intervalsSeq;
		const sid = state.stream.id;
		const r = await api('GET', `${API}/streams/${sid}/archive?from=${encodeURIComponent(formatWall(from))}` +
			`&to=${encodeURIComponent(formatWall(to))}`);
		if (seq !== intervalsSeq || !state.stream || state.stream.id !== sid)
			return;
		if (r.status === 200 && r.data)
			tl.setIntervals(r.data.data.map((i) => [parseWall(i.from), parseWall(i.to)]), from, to);
		else if (r.status === 404)
			fieldError('stream_id', 'This stream no longer exists.');
	}

	function wireTimelineButtons() {
		const tl = state.timeline;
		$('tl-back').addEventListener('click', () => tl.pan(-0.5));
		$('tl-forward').addEventListener('click', () => tl.pan(0.5));
		$('tl-zoom-in').addEventListener('click', () => tl.zoom(1));
		$('tl-zoom-out').addEventListener('click', () => tl.zoom(-1));
		$('tl-now').addEventListener('click', () => tl.goNow());
		$('tl-fit').addEventListener('click', () => tl.fit());
		document.querySelectorAll('[data-last]').forEach((b) => b.addEventListener('click', () => {
			const to = Math.floor(wallNow() / SECOND) * SECOND;
			const from = to - Number(b.dataset.last) * SECOND;
			setRange(from, to);
			tl.fit();
		}));
	}

	function setRange(from, to) {
		$('from').value = formatWall(from);
		$('to').value = formatWall(to);
		fieldError('from', '');
		fieldError('to', '');
		state.timeline.setSelection(from, to);
		updateEstimate();
	}

	function selectionFromTimeline(from, to, done) {
		$('from').value = formatWall(from);
		$('to').value = formatWall(to);
		fieldError('from', '');
		fieldError('to', '');
		$('export-form-error').textContent = '';
		if (done)
			updateEstimate();
	}

	function readRange() {
		const from = parseWall($('from').value), to = parseWall($('to').value);
		return { from, to };
	}

	function onRangeInput(which) {
		const v = $(which).value.trim();
		const ms = parseWall(v);
		fieldError(which, v && !Number.isFinite(ms) ? 'Use YYYY-MM-DD HH:MM:SS, in server time.' : '');
		$('export-form-error').textContent = '';
		const { from, to } = readRange();
		// The timeline shows what the fields say (nothing while they don't).
		state.timeline.setSelection(from, to);
		updateEstimate();
	}

	let estimateTimer = null;
	let estimateSeq = 0;
	function updateEstimate() {
		clearTimeout(estimateTimer);
		estimateTimer = setTimeout(renderEstimate, 150);
	}

	function listGaps(parts, from, to) {
		const gaps = [];
		let cur = from;
		for (const [a, b] of parts) {
			if (a > cur)
				gaps.push([cur, Math.min(a, to)]);
			cur = Math.max(cur, b);
		}
		if (cur < to)
			gaps.push([cur, to]);
		return gaps;
	}

	function rangeText(a, b) {
		const fa = formatWall(a), fb = formatWall(b);
		return fa.slice(0, 10) === fb.slice(0, 10) ? `${fa.slice(11)}–${fb.slice(11)}` : `${fa} – ${fb}`;
	}

	function formatBytes(n) {
		if (!(n > 0))
			return '0 B';
		const u = ['B', 'KB', 'MB', 'GB', 'TB'];
		let i = 0;
		while (n >= 1000 && i < u.length - 1) {
			n /= 1000;
			i++;
		}
		return `${n >= 100 || i === 0 ? Math.round(n) : n.toFixed(1)} ${u[i]}`;
	}

	async function renderEstimate() {
		const box = $('estimate');
		const submit = $('export-submit');
		const { from, to } = readRange();
		if (!state.stream || !Number.isFinite(from) || !Number.isFinite(to)) {
			submit.disabled = !state.stream || !$('from').value || !$('to').value;
			box.replaceChildren(para('Drag on the timeline, or type the times, to choose what to export.', 'muted'));
			return;
		}
		if (to <= from) {
			// The server says so on the field when asked; say it here too.
			submit.disabled = false;
			box.replaceChildren(para('"To" must be after "From".', 'warn'));
			return;
		}
		const seq = ++estimateSeq;
		const sid = state.stream.id;
		const r = await api('GET', `${API}/streams/${sid}/archive?from=${encodeURIComponent(formatWall(from))}` +
			`&to=${encodeURIComponent(formatWall(to))}`);
		if (seq !== estimateSeq)
			return;
		submit.disabled = false;
		if (r.status !== 200 || !r.data) {
			box.replaceChildren(para(r.status === 422 ? (r.data && r.data.message) || 'The range is not valid.' :
				`Cannot read the recordings (${r.status}).`, 'warn'));
			return;
		}
		const parts = r.data.data.map((i) => [parseWall(i.from), parseWall(i.to)]);
		const recorded = parts.reduce((s, [a, b]) => s + (b - a), 0);
		const now = wallNow();
		const gaps = listGaps(parts, from, to);
		const frag = document.createDocumentFragment();
		const len = to - from;
		const pct = Math.round((recorded / len) * 100);
		frag.appendChild(para(`${formatDuration(len)} chosen: ${formatDuration(recorded)} recorded (${pct} %).`, 'est-recorded'));
		if (recorded > 0) {
			const rate = state.rates.get(sid) || { bps: ASSUMED_BITRATE / 8, how: 'assuming 4 Mbit/s (no finished export of this stream yet)' };
			frag.appendChild(para(`Expected size: about ${formatBytes((recorded / SECOND) * rate.bps)}, ${rate.how}.`, 'est-size'));
		}
		if (gaps.length) {
			const p = para(`Missing from the file (${gaps.length === 1 ? 'not recorded' : `${gaps.length} parts not recorded`}): `, 'est-missing warn');
			gaps.slice(0, 6).forEach(([a, b], i) => {
				const s = document.createElement('span');
				s.className = 'mono';
				s.dataset.from = formatWall(a);
				s.dataset.to = formatWall(b);
				s.textContent = `${rangeText(a, b)} (${formatDuration(b - a)}${a >= now ? ', still to come' : b > now ? ', partly still to come' : ''})`;
				if (i)
					p.append(', ');
				p.appendChild(s);
			});
			if (gaps.length > 6)
				p.append(` and ${gaps.length - 6} more`);
			frag.appendChild(p);
		}
		if (recorded === 0) {
			frag.appendChild(para('Nothing is recorded in this range: the export would fail with "no footage".', 'warn'));
			submit.disabled = true;
		}
		box.replaceChildren(frag);
	}

	function para(text, cls) {
		const p = document.createElement('p');
		if (cls)
			p.className = cls;
		p.textContent = text;
		return p;
	}

	// Bytes per second of this stream's recent exports, for the estimate.
	async function loadRates(sid) {
		const r = await api('GET', `${API}/downloads?stream_id=${sid}&per_page=25`, undefined, { quiet: true });
		if (r.status !== 200 || !r.data)
			return;
		const done = (r.data.data || []).filter((d) => d.size > 0 && d.duration > 0).slice(0, 5);
		if (done.length) {
			const bytes = done.reduce((s, d) => s + d.size, 0), secs = done.reduce((s, d) => s + d.duration, 0);
			const bps = bytes / secs;
			state.rates.set(sid, { bps, how: `at ${((bps * 8) / 1e6).toFixed(2)} Mbit/s, as the last ` +
				`${done.length === 1 ? 'export' : `${done.length} exports`} of this stream` });
		} else if (state.stream && state.stream.stream && state.stream.stream.bitrate > 0) {
			const kbps = state.stream.stream.bitrate;
			state.rates.set(sid, { bps: (kbps * 1000) / 8, how: `at the stream's stated ${kbps} kbit/s` });
		}
		updateEstimate();
	}

	async function onExport(e) {
		e.preventDefault();
		['from', 'to', 'stream_id'].forEach((f) => fieldError(f, ''));
		$('export-form-error').textContent = '';
		if (!state.stream) {
			fieldError('stream_id', 'Choose a camera stream first.');
			return;
		}
		const from = $('from').value.trim(), to = $('to').value.trim();
		let bad = false;
		for (const [f, v] of [['from', from], ['to', to]])
			if (!Number.isFinite(parseWall(v))) {
				fieldError(f, v ? 'Use YYYY-MM-DD HH:MM:SS, in server time.' : 'Required.');
				bad = true;
			}
		if (bad)
			return;
		const submit = $('export-submit');
		submit.disabled = true;
		try {
			const r = await api('POST', `${API}/downloads`, {
				stream_id: state.stream.id,
				from: formatWall(parseWall(from)),
				to: formatWall(parseWall(to)),
			});
			if (r.status === 200 && r.data) {
				r.data._mine = true;
				tabSend(r.data);
				if (state.page !== 1)
					await loadDownloads(1);
				applyDownload(r.data, 'created');
				const li = document.querySelector(`.dl[data-id="${r.data.id}"]`);
				if (li)
					li.scrollIntoView({ block: 'nearest' });
			} else if (r.status === 422)
				showErrors(r.data, ['from', 'to', 'stream_id', 'camera_id'], 'export-form-error');
			else if (r.status === 429)
				$('export-form-error').textContent = (r.data && r.data.message ? r.data.message + ' ' : '') +
					'Wait for an export to finish, or cancel one.';
			else if (r.status === 0)
				$('export-form-error').textContent = 'The server cannot be reached; the export was not asked for.';
			else if (r.status !== 401)
				$('export-form-error').textContent = (r.data && r.data.message) || `The server answered ${r.status}.`;
		} finally {
			submit.disabled = false;
		}
	}

	/* ---------------- downloads ---------------- */

	let listSeq = 0;
	async function loadDownloads(page, quiet) {
		const seq = ++listSeq;
		const r = await api('GET', `${API}/downloads?page=${page}&per_page=${PER_PAGE}`, undefined, { quiet });
		if (seq !== listSeq || r.status !== 200 || !r.data)
			return;
		const meta = r.data.meta || {};
		state.page = meta.current_page || page;
		state.lastPage = Math.max(1, meta.last_page || 1);
		state.total = meta.total || 0;
		const items = r.data.data || [];
		const keep = new Set(items.map((d) => d.id));
		for (const id of state.order)
			if (!keep.has(id))
				state.downloads.delete(id);
		state.order = items.map((d) => d.id);
		for (const d of items) {
			const old = state.downloads.get(d.id);
			if (!old || newer(d, old))
				state.downloads.set(d.id, d);
			state.seenAt.set(d.id, Date.now());
		}
		renderList();
	}

	// Is a newer than b? (updated_at, then progress, then finality.)
	function newer(a, b) {
		const ta = parseUtc(a.updated_at), tb = parseUtc(b.updated_at);
		if (ta !== tb)
			return !(ta < tb);
		if (FINAL.has(a.condition) !== FINAL.has(b.condition))
			return FINAL.has(a.condition);
		return (a.progress || 0) >= (b.progress || 0);
	}

	function renderList() {
		const ol = $('downloads');
		const want = state.order.map((id) => itemElement(id));
		// Keep elements (and their playing videos) in place; only reorder.
		want.forEach((li, i) => {
			if (ol.children[i] !== li)
				ol.insertBefore(li, ol.children[i] || null);
		});
		while (ol.children.length > want.length)
			ol.removeChild(ol.lastChild);
		$('downloads-empty').hidden = state.order.length > 0;
		$('dl-page').textContent = `Page ${state.page} of ${state.lastPage} · ${state.total} export${state.total === 1 ? '' : 's'}`;
		$('dl-prev').disabled = state.page <= 1;
		$('dl-next').disabled = state.page >= state.lastPage;
	}

	const elements = new Map();
	function itemElement(id) {
		let li = elements.get(id);
		if (!li) {
			li = $('dl-template').content.firstElementChild.cloneNode(true);
			li.dataset.id = id;
			li.addEventListener('click', (e) => onItemAction(id, e));
			elements.set(id, li);
		}
		renderItem(li, state.downloads.get(id));
		return li;
	}

	function q(li, sel) {
		return li.querySelector(sel);
	}

	function renderItem(li, d) {
		if (!d)
			return;
		li.dataset.condition = d.condition;
		const badge = q(li, '.badge');
		badge.textContent = CONDITION_WORDS[d.condition] || d.condition;
		badge.className = `badge badge-${d.condition}`;
		const cam = d.stream && d.stream.camera;
		q(li, '.dl-title').textContent = `${cam ? cameraLabel(cam) : 'Camera'} · ${d.stream ? d.stream.type : ''} #${d.id}`;
		const a = parseWall(d.from), b = parseWall(d.to);
		q(li, '.dl-range').textContent = Number.isFinite(a) && Number.isFinite(b) ?
			`${formatWall(a)} → ${formatWall(b).slice(formatWall(a).slice(0, 10) === formatWall(b).slice(0, 10) ? 11 : 0)} (${formatDuration(b - a)})` :
			`${d.from} → ${d.to}`;

		const pr = q(li, 'progress');
		const pct = d.condition === 'active' ? 100 : d.condition === 'pending' ? 0 : Math.max(0, Math.min(100, d.progress || 0));
		pr.value = pct;
		pr.setAttribute('aria-label', `Export ${d.id} progress`);
		q(li, '.dl-pct').textContent = `${pct} %`;
		q(li, '.dl-state').textContent = {
			pending: 'waiting for a worker',
			processing: 'joining the recorded segments',
			active: 'ready',
			failed: 'stopped',
			expired: 'the file was removed',
			cancelled: 'stopped',
		}[d.condition] || '';

		renderFacts(li, d);
		const err = q(li, '.dl-error');
		if (d.error && d.error.code) {
			const words = ERROR_WORDS[d.error.code] || `Failed (${d.error.code}).`;
			err.textContent = d.condition === 'active' ? `Note: ${words}` : words;
			if (d.error.message && !ERROR_WORDS[d.error.code])
				err.textContent += ` ${d.error.message}`;
			err.title = d.error.message || '';
			err.hidden = false;
			err.classList.toggle('dl-warning', d.condition === 'active');
		} else
			err.hidden = true;

		const ready = d.condition === 'active' && d.is_file_exists && d.url;
		const play = q(li, '[data-act=play]');
		play.hidden = !ready;
		const dl = q(li, '[data-act=download]');
		dl.hidden = !ready;
		if (ready) {
			if (dl.getAttribute('href') !== d.url)
				dl.href = d.url;
			dl.setAttribute('download', d.name || `archive-${d.id}.mp4`);
			dl.setAttribute('aria-label', `Download ${d.name || `export ${d.id}`}`);
		} else
			dl.removeAttribute('href');
		q(li, '[data-act=repeat]').hidden = !FINAL.has(d.condition);
		const del = q(li, '[data-act=delete]');
		const running = d.condition === 'pending' || d.condition === 'processing';
		del.hidden = !(running || ready);
		del.textContent = running ? 'Cancel' : 'Delete';
		if (del.hidden)
			q(li, '.dl-confirm').hidden = true;
		const player = q(li, '.dl-player');
		if (!ready && !player.hidden) {
			const v = q(li, 'video');
			v.removeAttribute('src');
			v.load();
			player.hidden = true;
			play.textContent = 'Play';
		}
		updateCountdown(d.id);
	}

	function fact(dl, term, value, cls) {
		const dt = document.createElement('dt');
		dt.textContent = term;
		const dd = document.createElement('dd');
		if (cls)
			dd.className = cls;
		if (value instanceof Node)
			dd.appendChild(value);
		else
			dd.textContent = value;
		dl.append(dt, dd);
		return dd;
	}

	function renderFacts(li, d) {
		const dl = q(li, '.dl-facts');
		const key = JSON.stringify([d.condition, d.size, d.duration, d.coverage, d.expires_at, d.stopped_at, state.offset]);
		if (dl.dataset.key === key)
			return;
		dl.dataset.key = key;
		dl.textContent = '';
		const created = parseUtc(d.created_at);
		if (Number.isFinite(created))
			fact(dl, 'Asked', formatWall(utcToWall(created)), 'mono');
		if (d.condition === 'active' || d.size > 0) {
			fact(dl, 'Size', formatBytes(d.size), 'dl-size');
			fact(dl, 'Length', formatDuration((d.duration || 0) * SECOND), 'dl-duration');
		}
		const cov = (d.coverage || []).map((c) => [parseWall(c.from), parseWall(c.to)]).filter(([a, b]) => b > a);
		if (cov.length) {
			fact(dl, 'Recorded', cov.map(([a, b]) => rangeText(a, b)).join(', '), 'mono dl-coverage');
			const gaps = listGaps(cov, parseWall(d.from), parseWall(d.to)).filter(([a, b]) => b - a >= SECOND);
			if (gaps.length)
				fact(dl, 'Missing', gaps.map(([a, b]) => `${rangeText(a, b)} (${formatDuration(b - a)})`).join(', '), 'mono warn dl-missing');
		}
		if (d.condition === 'active' && d.expires_at)
			fact(dl, 'Expires', '', 'dl-expires');
		else if (d.condition === 'expired')
			fact(dl, 'Expired', d.expires_at ? formatWall(utcToWall(parseUtc(d.expires_at))) : 'yes', 'mono');
		const stopped = parseUtc(d.stopped_at);
		if ((d.condition === 'cancelled' || d.condition === 'failed') && Number.isFinite(stopped))
			fact(dl, 'Stopped', formatWall(utcToWall(stopped)), 'mono');
	}

	function updateCountdown(id) {
		const d = state.downloads.get(id);
		const li = elements.get(id);
		if (!d || !li || d.condition !== 'active' || !d.expires_at)
			return;
		const dd = q(li, '.dl-expires');
		if (!dd)
			return;
		const left = parseUtc(d.expires_at) - serverNow();
		const at = formatWall(utcToWall(parseUtc(d.expires_at)));
		if (left <= 0) {
			dd.textContent = `now (${at})`;
			// The expiry event should come; ask if it does not.
			state.seenAt.set(id, 0);
		} else {
			const text = left < 2 * MINUTE ? formatDuration(left) : formatDuration(Math.ceil(left / MINUTE) * MINUTE);
			dd.textContent = `in ${text} (${at.slice(11)})`;
		}
	}

	// One download's news, from wherever it came. Answers whether it changed.
	function applyDownload(d, source) {
		if (!d || typeof d.id !== 'number')
			return false;
		state.seenAt.set(d.id, Date.now());
		const old = state.downloads.get(d.id);
		if (old && !newer(d, old))
			return false;
		if (!old) {
			// Not on this page: a new export shows on page 1, newest first.
			if (state.page !== 1)
				return false;
			const newest = state.order.length ? state.downloads.get(state.order[0]) : null;
			if (newest && parseUtc(d.created_at) < parseUtc(newest.created_at)) {
				scheduleListReload();
				return false;
			}
			state.order.unshift(d.id);
			state.total++;
			if (state.order.length > PER_PAGE) {
				const gone = state.order.pop();
				state.downloads.delete(gone);
				state.lastPage = Math.max(state.lastPage, Math.ceil(state.total / PER_PAGE));
			}
		}
		state.downloads.set(d.id, d);
		renderList();
		if (d.condition === 'active' && (!old || old.condition !== 'active') && d.stream && d.size > 0)
			loadRates(d.stream.id);
		return true;
	}

	let reloadTimer = null;
	function scheduleListReload() {
		clearTimeout(reloadTimer);
		reloadTimer = setTimeout(() => loadDownloads(state.page, true), 300);
	}

	// A running export with no news for a while is asked for (a push may
	// be down, or it belongs to someone else's token or another user).
	async function watchdog() {
		const now = Date.now();
		for (const id of state.order) {
			const d = state.downloads.get(id);
			if (!d || FINAL.has(d.condition) && !(d.condition === 'active' && state.seenAt.get(id) === 0))
				continue;
			if (now - (state.seenAt.get(id) || 0) < 10000)
				continue;
			state.seenAt.set(id, now);
			const r = await api('GET', `${API}/downloads/${id}`, undefined, { quiet: true });
			if (r.status === 200)
				applyDownload(r.data, 'poll');
			else if (r.status === 0 || r.status === 401)
				return;
		}
	}

	async function onItemAction(id, e) {
		const t = e.target.closest('[data-act]');
		if (!t)
			return;
		const act = t.dataset.act;
		const li = elements.get(id);
		const d = state.downloads.get(id);
		if (!d)
			return;
		if (act === 'download')
			return;	// the link does it
		if (act === 'play')
			return togglePlayer(li, d);
		if (act === 'delete') {
			if (d.condition === 'active') {
				q(li, '.dl-confirm').hidden = false;
				q(li, '[data-act=delete-yes]').focus();
				return;
			}
			return deleteDownload(id);
		}
		if (act === 'delete-no') {
			q(li, '.dl-confirm').hidden = true;
			q(li, '[data-act=delete]').focus();
			return;
		}
		if (act === 'delete-yes') {
			q(li, '.dl-confirm').hidden = true;
			return deleteDownload(id);
		}
		if (act === 'repeat') {
			t.disabled = true;
			try {
				const r = await api('POST', `${API}/downloads/${id}/repeat`, {});
				if (r.status === 200 && r.data) {
					applyDownload(r.data, 'repeat');
					tabSend(r.data);
				} else
					showItemError(li, r);
			} finally {
				t.disabled = false;
			}
		}
	}

	function showItemError(li, r) {
		const err = q(li, '.dl-error');
		err.hidden = false;
		err.textContent = (r.data && r.data.message) || `The server answered ${r.status}.`;
	}

	async function deleteDownload(id) {
		const li = elements.get(id);
		const r = await api('DELETE', `${API}/downloads/${id}`);
		if (r.status !== 204 && r.status !== 200) {
			showItemError(li, r);
			return;
		}
		const g = await api('GET', `${API}/downloads/${id}`, undefined, { quiet: true });
		if (g.status === 200) {
			applyDownload(g.data, 'delete');
			tabSend(g.data);
		} else
			scheduleListReload();
	}

	async function togglePlayer(li, d) {
		const player = q(li, '.dl-player');
		const video = q(li, 'video');
		const btn = q(li, '[data-act=play]');
		const note = q(li, '.dl-codec');
		if (!player.hidden) {
			video.pause();
			player.hidden = true;
			btn.textContent = 'Play';
			return;
		}
		player.hidden = false;
		btn.textContent = 'Hide player';
		note.textContent = '';
		video.hidden = false;
		const codec = await sniffCodec(d.url);
		const cannot = () => {
			video.hidden = true;
			note.textContent = 'This browser cannot play this file' +
				(codec === 'hevc' ? ': it is H.265 (HEVC) video.' : '.') +
				' Download it and play it with VLC, mpv or another video player.';
			note.className = 'dl-codec small warn';
		};
		if (codec === 'hevc' && !video.canPlayType('video/mp4; codecs="hvc1.1.6.L93.B0"') &&
		    !video.canPlayType('video/mp4; codecs="hev1.1.6.L93.B0"')) {
			cannot();
			return;
		}
		note.className = 'dl-codec small muted';
		note.textContent = codec === 'hevc' ? 'H.265 (HEVC) video.' : codec === 'avc' ? 'H.264 video.' : '';
		video.onerror = () => {
			if (video.error && (video.error.code === 3 || video.error.code === 4))
				cannot();
			else if (video.error)
				note.textContent = `The video stopped: ${video.error.message || 'error ' + video.error.code}.`;
		};
		if (video.getAttribute('src') !== d.url)
			video.src = d.url;
		video.focus();
	}

	// 'hevc', 'avc' or '' from the sample description near the file's start.
	async function sniffCodec(url) {
		try {
			const r = await fetch(url, { headers: { Range: 'bytes=0-65535' }, cache: 'no-store' });
			if (!r.ok)
				return '';
			const b = new Uint8Array(await r.arrayBuffer());
			const text = String.fromCharCode.apply(null, b.subarray(0, 65536));
			if (/hvc1|hev1/.test(text))
				return 'hevc';
			if (/avc1|avc3/.test(text))
				return 'avc';
		} catch (e) {
			/* another origin without CORS: the <video> will say */
		}
		return '';
	}

	/* ---------------- push ---------------- */

	function setPushState(kind, text) {
		const p = $('push');
		p.hidden = false;
		p.dataset.state = kind;
		$('push-text').textContent = text;
	}

	async function connectPush() {
		if (typeof window.Pusher !== 'function') {
			setPushState('down', 'Live updates unavailable (pusher-js did not load)');
			return;
		}
		setPushState('connecting', 'Connecting live updates…');
		let ws = null;
		const cached = sessionStorage.getItem('archived.wsurl');
		if (cached) {
			try {
				ws = JSON.parse(cached);
			} catch (e) {
				ws = null;
			}
		}
		if (!ws) {
			let r;
			try {
				r = await api('GET', '/api/v1/wsurl', undefined, { quiet: true, noToken: true });
			} catch (e) {
				r = { status: 0 };
			}
			if (r.status !== 200 || !r.data) {
				const wait = r.status === 429 ? Number(r.headers.get('Retry-After') || 60) : 10;
				setPushState('down', `Live updates unavailable (${r.status === 429 ? 'too many connections from this address' : 'no push address'}); retrying in ${wait} s`);
				const t = setTimeout(() => { if (state.session) connectPush(); }, wait * 1000);
				state.timers.push(t);
				return;
			}
			ws = r.data;
			sessionStorage.setItem('archived.wsurl', JSON.stringify(ws));
		}
		if (!state.session)
			return;
		const here = `${location.hostname}:${location.port || (location.protocol === 'https:' ? 443 : 80)}`;
		if (`${ws.host}:${ws.port}` !== here)
			console.info(`archived: the push address is ${ws.ws_url} (the server's public_url), not this page's host`);
		const user = state.session.user;
		const pusher = new window.Pusher(ws.app_key, {
			cluster: 'archived',		// required by pusher-js; wsHost decides
			wsHost: ws.host,
			wsPort: ws.port,
			wssPort: ws.port,
			wsPath: ws.path,
			forceTLS: !!ws.is_encrypted,
			enabledTransports: ['ws'],
			disableStats: true,
			activityTimeout: 30000,
			pongTimeout: 10000,
			channelAuthorization: {
				endpoint: '/api/v1/broadcasting/auth',
				transport: 'ajax',
				headers: { Authorization: `Bearer ${state.session.token}` },
			},
		});
		// archive-pushd replays what came after "last_event_id" in the
		// subscribe data: every (re)subscription names the newest event
		// seen, so a reconnect loses nothing.
		const send = pusher.send_event.bind(pusher);
		pusher.send_event = (name, data, channel) => {
			if (name === 'pusher:subscribe' && state.lastEventId >= 0)
				data = Object.assign({}, data, { last_event_id: state.lastEventId });
			return send(name, data, channel);
		};
		state.pusher = pusher;
		debug.pusher = pusher;
		let everConnected = false;
		pusher.connection.bind('state_change', (s) => {
			if (state.pusher !== pusher)
				return;
			if (s.current === 'connected') {
				setPushState('live', 'Live');
				if (everConnected && state.pushLost && state.lastEventId < 0)
					scheduleListReload();	// nothing to resume from
				state.pushLost = false;
				everConnected = true;
			} else if (s.current === 'connecting' || s.current === 'unavailable') {
				if (everConnected) {
					state.pushLost = true;
					setPushState('lost', s.current === 'unavailable' ?
						'Live updates lost; reconnecting (nothing will be missed)…' : 'Live updates lost; reconnecting…');
				}
			} else if (s.current === 'failed')
				setPushState('down', 'Live updates unavailable in this browser');
		});
		// An unknown app key (the server's configuration changed since this
		// tab asked where to connect): ask again on the next login.
		pusher.connection.bind('error', (e) => {
			const d = (e && e.data) || (e && e.error && e.error.data) || {};
			if (d.code === 4001)
				sessionStorage.removeItem('archived.wsurl');
		});
		const channels = [`private-user.${user.id}`, `private-token.${user.access_token_id}`];
		for (const name of channels) {
			const ch = pusher.subscribe(name);
			ch.bind('pusher:subscription_error', (e) => {
				const status = e && e.status;
				if (status === 401)
					sessionEnded('Your session has ended (the token expired or was revoked). Log in again.');
				else
					setPushState('down', `Live updates refused (${status || 'error'}) on ${name}`);
			});
			ch.bind('App\\Events\\UserPush', (data) => onPush(name, 'App\\Events\\UserPush', data));
			ch.bind('App\\Events\\TokenPush', (data) => onPush(name, 'App\\Events\\TokenPush', data));
		}
	}

	function onPush(channel, event, raw) {
		let env;
		try {
			env = typeof raw === 'string' ? JSON.parse(raw) : raw;
		} catch (e) {
			return;
		}
		const msg = env && env.data;
		if (!msg || !msg.type)
			return;
		const id = msg.event_id;
		if (typeof id === 'number') {
			if (id > state.lastEventId)
				state.lastEventId = id;
			if (state.seenEvents.has(id))
				return;
			state.seenEvents.add(id);
			if (state.seenEvents.size > 500)
				state.seenEvents.delete(state.seenEvents.values().next().value);
		}
		const dl = msg.data && msg.data.download;
		debug.pushLog.push({ t: Date.now(), channel, event, type: msg.type, status: msg.status, event_id: id,
			download_id: dl ? dl.id : null, condition: dl ? dl.condition : null });
		if (debug.pushLog.length > 300)
			debug.pushLog.shift();
		if (dl) {
			if (msg.type === 'archive_generated' && msg.status === 'ok' && msg.data.url && !dl.url)
				dl.url = msg.data.url;
			applyDownload(dl, 'push');
			tabSend(dl, id);
		}
	}

	/* ---------------- other tabs ---------------- */

	// archive_generated goes to the token that asked only; tabs of the same
	// browser tell each other, so every tab of this user sees every update.
	function openTabChannel() {
		if (!window.BroadcastChannel)
			return;
		state.bc = new BroadcastChannel('archived-page');
		state.bc.onmessage = (e) => {
			const m = e.data;
			if (!m || !state.session || m.user_id !== state.session.user.id)
				return;
			if (typeof m.event_id === 'number') {
				if (state.seenEvents.has(m.event_id))
					return;
				state.seenEvents.add(m.event_id);
			}
			applyDownload(m.download, 'tab');
		};
	}

	function tabSend(download, eventId) {
		if (state.bc && state.session)
			state.bc.postMessage({ user_id: state.session.user.id, download, event_id: eventId });
	}

	/* ---------------- start ---------------- */

	function init() {
		$('login-form').addEventListener('submit', onLogin);
		$('logout').addEventListener('click', onLogout);
		$('camera-filter').addEventListener('input', renderCameras);
		$('camera-filter').addEventListener('keydown', (e) => {
			if (e.key === 'Enter') {
				e.preventDefault();
				const b = document.querySelector('#camera-list .stream-btn');
				if (b)
					b.click();
			}
		});
		$('export-form').addEventListener('submit', onExport);
		$('from').addEventListener('input', () => onRangeInput('from'));
		$('to').addEventListener('input', () => onRangeInput('to'));
		$('dl-prev').addEventListener('click', () => loadDownloads(Math.max(1, state.page - 1)));
		$('dl-next').addEventListener('click', () => loadDownloads(Math.min(state.lastPage, state.page + 1)));
		$('dl-refresh').addEventListener('click', () => loadDownloads(state.page));
		// The browser knows before the socket does: say so at once (pusher-js
		// reconnects when the network is back, and replays what was missed).
		window.addEventListener('offline', () => {
			if (state.pusher)
				setPushState('lost', 'Offline; live updates resume when the network is back (nothing will be missed)');
		});
		window.addEventListener('online', () => {
			if (state.pusher && state.pusher.connection.state === 'connected')
				setPushState('live', 'Live');
		});
		document.addEventListener('visibilitychange', () => {
			if (!document.hidden && state.session)
				loadDownloads(state.page, true);
		});
		const saved = sessionStorage.getItem(SESSION_KEY);
		if (saved) {
			try {
				state.session = JSON.parse(saved);
			} catch (e) {
				state.session = null;
			}
		}
		if (!state.session) {
			showLogin('');
			return;
		}
		startApp();
	}

	init();
})();
