/*
 * The recordings timeline: recorded intervals, the gaps between them, now,
 * and the chosen range, over a view from a day down to a minute.
 *
 * Times here are "wall" milliseconds: the server's local date and time read
 * as if they were UTC (Date.UTC of the fields). The API speaks the server's
 * local "YYYY-MM-DD HH:MM:SS", so the timeline never needs a time zone: what
 * it shows and what it sends are the server's clock faces.
 */
'use strict';

(function () {
	const SECOND = 1000;
	const MINUTE = 60 * SECOND;
	const HOUR = 60 * MINUTE;
	const DAY = 24 * HOUR;
	// The zoom steps: a day down to a minute.
	const SPANS = [DAY, 12 * HOUR, 6 * HOUR, 3 * HOUR, HOUR, 30 * MINUTE,
		10 * MINUTE, 5 * MINUTE, MINUTE];
	const TICKS = [SECOND, 5 * SECOND, 10 * SECOND, 15 * SECOND, 30 * SECOND,
		MINUTE, 2 * MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE,
		HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR];

	function pad(n, w) {
		return String(n).padStart(w || 2, '0');
	}

	// "YYYY-MM-DD HH:MM:SS" of a wall time.
	function formatWall(ms) {
		const d = new Date(ms);
		return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
			`${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
	}

	// The wall time of "YYYY-MM-DD HH:MM:SS" (seconds optional), or NaN.
	function parseWall(s) {
		const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?\s*$/.exec(s || '');
		if (!m)
			return NaN;
		const f = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
		const ms = Date.UTC(f[0], f[1] - 1, f[2], f[3], f[4], f[5]);
		const d = new Date(ms);
		// Reject 2026-02-30 and 25:00 rather than rolling them over.
		if (d.getUTCMonth() !== f[1] - 1 || d.getUTCDate() !== f[2] ||
		    f[3] > 23 || f[4] > 59 || f[5] > 59)
			return NaN;
		return ms;
	}

	// "1 h 05 min", "2 min 30 s", "45 s" for a duration.
	function formatDuration(ms) {
		let s = Math.round(ms / SECOND);
		const neg = s < 0;
		s = Math.abs(s);
		const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
		let out;
		if (h > 0)
			out = `${h} h ${pad(m)} min`;
		else if (m > 0)
			out = sec ? `${m} min ${pad(sec)} s` : `${m} min`;
		else
			out = `${sec} s`;
		return neg ? '-' + out : out;
	}

	function spanLabel(span) {
		if (span >= HOUR)
			return span % HOUR ? formatDuration(span) : `${span / HOUR} h`;
		return `${span / MINUTE} min`;
	}

	function el(tag, cls, parent) {
		const e = document.createElement(tag);
		if (cls)
			e.className = cls;
		if (parent)
			parent.appendChild(e);
		return e;
	}

	class Timeline {
		// opts: now() -> wall ms of the server's now; onSelect(from, to, done);
		// onView(start, end) when the visible window changes.
		constructor(root, opts) {
			this.root = root;
			this.opts = opts;
			this.span = HOUR;
			this.start = Math.floor(opts.now() / MINUTE) * MINUTE - this.span + 5 * MINUTE;
			this.intervals = [];
			this.known = null;	// [from, to) the intervals were asked for
			this.sel = null;
			this.drag = null;
			this.build();
			this.render();
		}

		build() {
			const r = this.root;
			r.textContent = '';
			this.track = el('div', 'tl-track', r);
			this.track.tabIndex = 0;
			this.track.setAttribute('role', 'application');
			this.track.setAttribute('aria-roledescription', 'timeline');
			this.track.setAttribute('aria-label', 'Recordings timeline. Left and right arrows move, ' +
				'plus and minus zoom, Home shows now, F fits the chosen range. ' +
				'Drag to choose a range, or type the times below.');
			this.layer = el('div', 'tl-layer', this.track);
			this.future = el('div', 'tl-future', this.track);
			this.selEl = el('div', 'tl-sel', this.track);
			this.selEl.hidden = true;
			this.nowEl = el('div', 'tl-now', this.track);
			this.nowEl.title = 'now';
			this.hover = el('div', 'tl-hover mono', this.track);
			this.hover.hidden = true;
			this.axis = el('div', 'tl-axis', r);
			this.axis.setAttribute('aria-hidden', 'true');
			this.desc = el('p', 'tl-desc small', r);
			this.desc.setAttribute('aria-live', 'polite');

			this.track.addEventListener('pointerdown', (e) => this.onDown(e));
			this.track.addEventListener('pointermove', (e) => this.onMove(e));
			this.track.addEventListener('pointerup', (e) => this.onUp(e));
			this.track.addEventListener('pointercancel', (e) => this.onUp(e));
			this.track.addEventListener('pointerleave', () => { this.hover.hidden = true; });
			this.track.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
			this.track.addEventListener('keydown', (e) => this.onKey(e));
			if (window.ResizeObserver)
				new ResizeObserver(() => this.render()).observe(this.track);
		}

		get end() {
			return this.start + this.span;
		}

		width() {
			return this.track.clientWidth || 1;
		}

		x2ms(clientX) {
			const rect = this.track.getBoundingClientRect();
			const f = Math.min(1, Math.max(0, (clientX - rect.left) / (rect.width || 1)));
			return this.start + f * this.span;
		}

		pct(ms) {
			return ((ms - this.start) / this.span) * 100;
		}

		setIntervals(list, from, to) {
			this.intervals = list;
			this.known = [from, to];
			this.render();
		}

		setSelection(from, to) {
			this.sel = Number.isFinite(from) && Number.isFinite(to) && to > from ? [from, to] : null;
			this.render();
		}

		setView(start, span) {
			const s = span || this.span;
			this.span = s;
			this.start = Math.round(start / SECOND) * SECOND;
			this.render();
			this.opts.onView(this.start, this.end);
		}

		zoom(dir, anchor) {
			let i = SPANS.indexOf(this.span);
			if (i < 0)
				i = SPANS.findIndex((s) => s <= this.span);
			const j = Math.min(SPANS.length - 1, Math.max(0, i + dir));
			if (j === i)
				return;
			const a = anchor === undefined ? this.start + this.span / 2 : anchor;
			const f = (a - this.start) / this.span;
			const span = SPANS[j];
			this.setView(a - f * span, span);
		}

		pan(fraction) {
			this.setView(this.start + fraction * this.span);
		}

		goNow() {
			const now = this.opts.now();
			this.setView(now - this.span * 0.85);
		}

		// Show the chosen range, on the smallest zoom step that holds it.
		fit() {
			if (!this.sel)
				return;
			const len = this.sel[1] - this.sel[0];
			let span = SPANS[0];
			for (const s of SPANS)
				if (s >= len * 1.25)
					span = s;
			this.setView(this.sel[0] + len / 2 - span / 2, span);
		}

		onDown(e) {
			if (e.button !== 0)
				return;
			this.track.focus({ preventScroll: true });
			const ms = this.snap(this.x2ms(e.clientX));
			const edge = this.edgeAt(e.clientX);
			this.drag = { x: e.clientX, moved: false, id: e.pointerId };
			if (edge)
				this.drag.anchor = edge === 'from' ? this.sel[1] : this.sel[0];
			else
				this.drag.anchor = ms;
			this.drag.edge = edge;
			this.track.setPointerCapture(e.pointerId);
			e.preventDefault();
		}

		// 'from' or 'to' when clientX is on an edge of the chosen range.
		edgeAt(clientX) {
			if (!this.sel)
				return null;
			const rect = this.track.getBoundingClientRect();
			const px = (ms) => rect.left + ((ms - this.start) / this.span) * rect.width;
			if (Math.abs(clientX - px(this.sel[0])) <= 6)
				return 'from';
			if (Math.abs(clientX - px(this.sel[1])) <= 6)
				return 'to';
			return null;
		}

		snap(ms) {
			return Math.round(ms / SECOND) * SECOND;
		}

		onMove(e) {
			const ms = this.snap(this.x2ms(e.clientX));
			const rect = this.track.getBoundingClientRect();
			this.hover.hidden = false;
			this.hover.textContent = formatWall(ms).slice(this.span > 6 * HOUR ? 5 : 11);
			const x = Math.min(rect.width - 40, Math.max(40, e.clientX - rect.left));
			this.hover.style.left = `${x}px`;
			this.track.style.cursor = this.edgeAt(e.clientX) ? 'ew-resize' : 'crosshair';
			if (!this.drag || this.drag.id !== e.pointerId)
				return;
			if (!this.drag.moved && Math.abs(e.clientX - this.drag.x) < 3)
				return;
			this.drag.moved = true;
			const a = this.drag.anchor;
			this.sel = [Math.min(a, ms), Math.max(a, ms)];
			if (this.sel[1] === this.sel[0])
				this.sel[1] += SECOND;
			this.render();
			this.opts.onSelect(this.sel[0], this.sel[1], false);
		}

		onUp(e) {
			if (!this.drag || this.drag.id !== e.pointerId)
				return;
			const moved = this.drag.moved;
			this.drag = null;
			if (this.track.hasPointerCapture(e.pointerId))
				this.track.releasePointerCapture(e.pointerId);
			if (moved && this.sel)
				this.opts.onSelect(this.sel[0], this.sel[1], true);
		}

		onWheel(e) {
			if (Math.abs(e.deltaY) < Math.abs(e.deltaX)) {
				e.preventDefault();
				this.pan(e.deltaX > 0 ? 0.1 : -0.1);
				return;
			}
			if (e.deltaY === 0)
				return;
			e.preventDefault();
			const now = performance.now();
			// One step per gesture, not one per wheel event.
			if (this.lastWheel && now - this.lastWheel < 120)
				return;
			this.lastWheel = now;
			this.zoom(e.deltaY < 0 ? 1 : -1, this.x2ms(e.clientX));
		}

		onKey(e) {
			const k = e.key;
			let done = true;
			if (k === 'ArrowLeft')
				this.pan(e.shiftKey ? -1 : -0.1);
			else if (k === 'ArrowRight')
				this.pan(e.shiftKey ? 1 : 0.1);
			else if (k === '+' || k === '=' || k === 'ArrowUp')
				this.zoom(1);
			else if (k === '-' || k === '_' || k === 'ArrowDown')
				this.zoom(-1);
			else if (k === 'Home' || k === 'n' || k === 'N')
				this.goNow();
			else if (k === 'f' || k === 'F')
				this.fit();
			else
				done = false;
			if (done)
				e.preventDefault();
		}

		// Unrecorded stretches of the view up to now, with their real ends
		// where the intervals asked for say them.
		gaps(now) {
			const out = [];
			if (!this.known)
				return out;
			const lo = Math.max(this.start, this.known[0]);
			const hi = Math.min(this.end, now, this.known[1]);
			let cur = this.known[0];
			const list = this.intervals.concat([[Infinity, Infinity]]);
			for (const [a, b] of list) {
				const gFrom = cur, gTo = Math.min(a, this.known[1], now);
				if (gTo > gFrom && gTo > lo && gFrom < hi)
					out.push({ from: gFrom, to: gTo,
						open: gFrom === this.known[0] || a === Infinity || gTo === now });
				cur = Math.max(cur, b);
				if (cur >= hi)
					break;
			}
			return out;
		}

		render() {
			const now = this.opts.now();
			const clip = (ms) => Math.min(100, Math.max(0, this.pct(ms)));
			const frag = document.createDocumentFragment();
			let recorded = 0;
			const visible = [];
			for (const [a, b] of this.intervals) {
				if (b <= this.start || a >= this.end)
					continue;
				const d = el('div', 'tl-rec');
				d.style.left = `${clip(a)}%`;
				d.style.width = `${clip(b) - clip(a)}%`;
				d.dataset.from = formatWall(a);
				d.dataset.to = formatWall(b);
				d.title = `recorded ${formatWall(a)} – ${formatWall(b)}`;
				frag.appendChild(d);
				recorded += Math.min(b, this.end) - Math.max(a, this.start);
				visible.push([a, b]);
			}
			const gaps = this.gaps(now);
			for (const g of gaps) {
				const d = el('div', 'tl-gap' + (g.open ? ' tl-gap-open' : ''));
				d.style.left = `${clip(g.from)}%`;
				d.style.width = `${clip(g.to) - clip(g.from)}%`;
				d.dataset.from = formatWall(g.from);
				d.dataset.to = formatWall(g.to);
				d.title = `not recorded ${formatWall(g.from)} – ${formatWall(g.to)} (${formatDuration(g.to - g.from)})`;
				frag.appendChild(d);
			}
			this.layer.replaceChildren(frag);

			const nowPct = this.pct(now);
			this.nowEl.hidden = nowPct < 0 || nowPct > 100;
			this.nowEl.style.left = `${nowPct}%`;
			this.future.style.left = `${clip(now)}%`;
			this.future.style.width = `${100 - clip(now)}%`;
			this.future.hidden = nowPct > 100;

			if (this.sel && this.sel[1] > this.start && this.sel[0] < this.end) {
				this.selEl.hidden = false;
				this.selEl.style.left = `${clip(this.sel[0])}%`;
				this.selEl.style.width = `${Math.max(0.3, clip(this.sel[1]) - clip(this.sel[0]))}%`;
			} else
				this.selEl.hidden = true;
			this.renderAxis();

			const inner = gaps.filter((g) => !g.open);
			let text = `${formatWall(this.start)} to ${formatWall(this.end)}: `;
			text += visible.length ? `${formatDuration(recorded)} recorded` : 'nothing recorded';
			if (inner.length)
				text += `; ${inner.length === 1 ? 'gap' : 'gaps'} ` + inner.slice(0, 4).map((g) =>
					`${formatWall(g.from).slice(11)}–${formatWall(g.to).slice(11)}`).join(', ') +
					(inner.length > 4 ? ` and ${inner.length - 4} more` : '');
			this.desc.textContent = text + '.';
			const label = document.getElementById('tl-span');
			if (label)
				label.textContent = spanLabel(this.span);
		}

		renderAxis() {
			const maxTicks = Math.max(2, Math.floor(this.width() / 72));
			const step = TICKS.find((t) => this.span / t <= maxTicks) || DAY;
			const frag = document.createDocumentFragment();
			for (let t = Math.ceil(this.start / step) * step; t <= this.end; t += step) {
				const s = formatWall(t);
				const midnight = t % DAY === 0;
				const tick = el('span', 'tl-tick' + (midnight ? ' tl-day' : ''));
				tick.style.left = `${this.pct(t)}%`;
				tick.textContent = midnight ? s.slice(5, 10) : step < MINUTE ? s.slice(11) : s.slice(11, 16);
				frag.appendChild(tick);
			}
			this.axis.replaceChildren(frag);
		}
	}

	window.ArchTime = { Timeline, formatWall, parseWall, formatDuration, SECOND, MINUTE, HOUR, DAY, SPANS };
})();
