// app.js: the entry page.  Everything goes through tallyd's local API
// (PROTOCOL.md 9), the one the command line uses:
//   GET  /v1/election            the forms come from the definition
//   POST /v1/records?dry-run=1   the daemon's own checks as the clerk types
//   POST /v1/records             sign (with an Idempotency-Key)
//   GET  /v1/status              states of the batches, sync in words
//   GET  /v1/bundle              export for a USB stick
//   POST /v1/photos              the photo; the record signs its hash
'use strict';
(() => {
	const $ = (id) => document.getElementById(id);
	const COUNTS = [
		['registered', 'Số cử tri trong danh sách', 'Voters on the list (R)'],
		['voted', 'Số cử tri đã bỏ phiếu', 'Voters who voted (T)'],
		['issued', 'Số phiếu phát ra', 'Ballots issued (I)'],
		['received', 'Số phiếu thu vào', 'Ballots received (B)'],
		['valid', 'Số phiếu hợp lệ', 'Valid ballots (W)'],
		['invalid', 'Số phiếu không hợp lệ', 'Invalid ballots (X)'],
	];
	const STATES = {
		sealed: ['Đã ký, chờ gửi', 'Signed, queued'],
		sent: ['Đã gửi, chờ xác nhận', 'Sent, awaiting acknowledgement'],
		acknowledged: ['Trung tâm đã xác nhận', 'Acknowledged'],
		rejected: ['Bị từ chối', 'Rejected'],
	};
	const CHECK_DELAY_MS = 250;	// typing pause before a dry run
	const PHOTO_MAX = 1024 * 1024;	// bytes the daemon takes (9)
	const PHOTO_SIDE = 1600;	// longest side kept, in pixels
	const STATUS_EVERY_MS = 3000;	// the page's status refresh

	let def = null, area = null, level = null, cons = null;
	let idemKey = null, first = null, checkSeq = 0, timer = null;
	let photo = null;		// hash of the photo the daemon kept
	const explanations = {};	// rule -> text the clerk typed

	function el(tag, attrs, ...kids) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {}))
			if (k === 'text')
				e.textContent = v;
			else
				e.setAttribute(k, v);
		for (const k of kids)
			e.append(k);
		return e;
	}

	function bilingual(vi, en) {
		return [vi + ' ', el('span', { class: 'en', text: en })];
	}

	async function api(method, path, body, headers) {
		const opt = { method, headers: Object.assign({}, headers) };
		if (body !== undefined) {
			opt.headers['Content-Type'] = 'application/json';
			opt.body = JSON.stringify(body);
		}
		const r = await fetch(path, opt);
		let j = null;
		try { j = await r.json(); } catch (e) { j = null; }
		return { status: r.status, body: j };
	}

	function hhmm(t) {
		const d = new Date(t * 1000);
		return String(d.getHours()).padStart(2, '0') + ':' +
		    String(d.getMinutes()).padStart(2, '0');
	}

	// ---- The forms, from the definition ----

	function pickArea() {
		area = def.areas.find((a) => a.id === $('area').value);
		$('area-path').textContent = (area.path || []).join(' › ');
		const tabs = $('levels');
		tabs.replaceChildren();
		def.levels.forEach((l) => {
			if (!area.constituencies || !area.constituencies[l.id])
				return;
			const b = el('button', { type: 'button', role: 'tab',
			    id: 'level-' + l.id, 'aria-selected': 'false' },
			    l.name);
			b.addEventListener('click', () => pickLevel(l));
			tabs.append(b);
		});
		const firstLevel = def.levels.find((l) => area.constituencies &&
		    area.constituencies[l.id]);
		if (firstLevel)
			pickLevel(firstLevel);
	}

	function numberField(id, vi, en, value) {
		const input = el('input', { id, type: 'text',
		    inputmode: 'numeric', pattern: '[0-9]*', autocomplete: 'off',
		    'data-field': id.replace(/^[fv]-/, '') });
		if (value !== undefined)
			input.value = String(value);
		input.addEventListener('input', scheduleCheck);
		return el('div', {}, el('label', { for: id },
		    ...bilingual(vi, en)), input);
	}

	function pickLevel(l) {
		level = l;
		for (const b of $('levels').children)
			b.setAttribute('aria-selected',
			    b.id === 'level-' + l.id ? 'true' : 'false');
		cons = def.constituencies.find((c) =>
		    c.id === area.constituencies[l.id]);
		$('form-level').textContent = '— ' + l.name + ', ' + cons.name;
		const counts = $('counts');
		counts.replaceChildren();
		for (const [f, vi, en] of COUNTS)
			counts.append(numberField('f-' + f, vi, en,
			    f === 'registered' && area.registered ?
			    area.registered[l.id] : undefined));
		const votes = $('votes');
		votes.replaceChildren();
		for (const c of cons.candidates)
			votes.append(numberField('v-' + c.id, c.name,
			    'votes / số phiếu'));
		for (const k of Object.keys(explanations))
			delete explanations[k];
		$('explain').replaceChildren();
		$('problems').replaceChildren();
		$('note').value = '';
		$('photo').value = '';
		$('photo-state').textContent = '';
		photo = null;
		first = null;
		idemKey = null;
		showPass();
		scheduleCheck();
	}

	function showPass() {
		const p = $('entry-pass');
		if (!$('double').checked) {
			p.hidden = true;
			return;
		}
		p.hidden = false;
		p.textContent = first === null ?
		    'Lần nhập thứ nhất / First entry' :
		    'Lần nhập thứ hai: người thứ hai nhập lại, không xem lần ' +
		    'đầu / Second entry: a second clerk enters the same ' +
		    'record without looking at the first';
	}

	// The record the form holds, or null (and what is missing).
	function record() {
		const rec = { area: area.id, level: level.id,
		    constituency: cons.id };
		const round = $('round').value.trim();
		if (!/^[0-9]+$/.test(round))
			return { missing: ['round'] };
		rec.round = Number(round);
		const missing = [];
		for (const [f] of COUNTS) {
			const v = $('f-' + f).value.trim();
			if (!/^[0-9]+$/.test(v))
				missing.push(f);
			else
				rec[f] = Number(v);
		}
		rec.votes = {};
		for (const c of cons.candidates) {
			const v = $('v-' + c.id).value.trim();
			if (!/^[0-9]+$/.test(v))
				missing.push(c.id);
			else
				rec.votes[c.id] = Number(v);
		}
		if (missing.length > 0)
			return { missing };
		const x = {};
		for (const inp of $('explain').querySelectorAll('input')) {
			const t = inp.value.trim();
			if (t !== '')
				x[inp.dataset.rule] = t;
		}
		if (Object.keys(x).length > 0)
			rec.explanations = x;
		const note = $('note').value.trim();
		if (note !== '')
			rec.note = note;
		if (photo !== null)
			rec.photo = photo;
		return { rec };
	}

	function scheduleCheck() {
		clearTimeout(timer);
		$('submit').disabled = true;
		timer = setTimeout(check, CHECK_DELAY_MS);
	}

	function markFields(names) {
		for (const inp of document.querySelectorAll('[data-field]')) {
			const f = inp.dataset.field;
			const bad = names.has(f) || (names.has('votes') &&
			    inp.id.startsWith('v-'));
			inp.setAttribute('aria-invalid', bad ? 'true' : 'false');
		}
	}

	function verdict(cls, vi, en) {
		const v = $('verdict');
		v.className = cls;
		v.replaceChildren(...bilingual(vi, en));
	}

	async function check() {
		const seq = ++checkSeq;
		const r = record();
		$('problems').replaceChildren();
		if (!r.rec) {
			markFields(new Set());
			verdict('hint', 'Điền đủ mọi ô (' + r.missing.length +
			    ' ô còn trống)', 'Fill in every field (' +
			    r.missing.length + ' left)');
			return;
		}
		const a = await api('POST', '/v1/records?dry-run=1', r.rec);
		if (seq !== checkSeq)
			return;		// the clerk typed meanwhile
		if (a.status !== 200 || !a.body) {
			verdict('bad', 'Không kiểm tra được', 'Cannot check: ' +
			    (a.body && a.body.error ? a.body.error.message :
			    'HTTP ' + a.status));
			return;
		}
		showProblems(a.body.problems);
		$('submit').disabled = !a.body.ok;
		if (a.body.ok)
			verdict('ok', 'Số liệu hợp lệ, có thể ký', 'The numbers ' +
			    'pass the checks: ready to sign');
		else
			verdict('bad', 'Chưa thể ký', 'Cannot sign yet');
	}

	function showProblems(problems) {
		const box = $('problems');
		const bad = new Set();
		const raised = new Set();
		for (const p of problems) {
			if (p.warning)
				raised.add(p.rule);
			if (!p.warning || !p.explained)
				p.fields.forEach((f) => bad.add(f));
			if (p.warning)
				continue;
			box.append(el('div', { class: 'problem', role: 'alert',
			    'data-rule': p.rule }, el('strong', {
			    text: 'Lỗi / Error ' + p.rule + ': ' }),
			    p.message.replace(/^H\d+: /, '')));
		}
		markFields(bad);
		// One explanation field per warning raised, kept while raised.
		const ex = $('explain');
		for (const inp of Array.from(ex.querySelectorAll('input')))
			if (!raised.has(inp.dataset.rule)) {
				explanations[inp.dataset.rule] = inp.value;
				inp.parentElement.remove();
			}
		for (const p of problems) {
			if (!p.warning)
				continue;
			let inp = ex.querySelector(`input[data-rule="${p.rule}"]`);
			if (!inp) {
				const id = 'x-' + p.rule;
				inp = el('input', { id, type: 'text',
				    'data-rule': p.rule, autocomplete: 'off' });
				inp.value = explanations[p.rule] || '';
				inp.addEventListener('input', scheduleCheck);
				ex.append(el('div', { class: 'warning',
				    'data-rule': p.rule }, el('label', { for: id },
				    'Cảnh báo / Warning ' + p.rule + ': ' +
				    p.message.replace(/^W\d+: /, '') + '. ',
				    el('span', { class: 'en', text: 'Giải thích ' +
				    'để ký / Explain it to sign:' })), inp));
			}
		}
	}

	// ---- The photo ----

	// The image as the daemon takes it: as is when small enough, else
	// drawn smaller on a canvas and encoded as JPEG until it fits.
	async function shrink(file) {
		const bmp = await createImageBitmap(file);
		const big = Math.max(bmp.width, bmp.height);
		if (file.size <= PHOTO_MAX && big <= PHOTO_SIDE &&
		    /^image\/(jpeg|png|webp)$/.test(file.type))
			return file;
		const k = Math.min(1, PHOTO_SIDE / big);
		const cv = document.createElement('canvas');
		cv.width = Math.round(bmp.width * k);
		cv.height = Math.round(bmp.height * k);
		cv.getContext('2d').drawImage(bmp, 0, 0, cv.width, cv.height);
		for (let q = 0.85; q > 0.2; q -= 0.15) {
			const b = await new Promise((r) => cv.toBlob(r,
			    'image/jpeg', q));
			if (b && b.size <= PHOTO_MAX)
				return b;
		}
		throw new Error('too large');
	}

	async function attachPhoto() {
		const f = $('photo').files[0];
		photo = null;
		if (!f) {
			$('photo-state').textContent = '';
			scheduleCheck();
			return;
		}
		$('photo-state').textContent = 'Đang lưu ảnh… / Keeping the photo…';
		try {
			const img = await shrink(f);
			const r = await fetch('/v1/photos', { method: 'POST',
			    headers: { 'Content-Type': img.type }, body: img });
			const j = await r.json();
			if (r.status !== 201 && r.status !== 200)
				throw new Error(j.error ? j.error.message :
				    'HTTP ' + r.status);
			photo = j.photo;
			$('photo-state').textContent = 'Đã lưu ảnh (' +
			    Math.round(j.bytes / 1024) + ' KB), mã ' +
			    j.photo.slice(0, 12) + '… / Photo kept; its hash ' +
			    'is signed with the numbers';
			$('photo-state').dataset.photo = j.photo;
		} catch (e) {
			$('photo-state').textContent = 'Không lưu được ảnh / ' +
			    'The photo was not kept: ' + e.message;
		}
		scheduleCheck();
	}

	// ---- Double entry ----

	function sameNumbers(a, b) {
		const keys = COUNTS.map(([f]) => f).concat(['round']);
		const diff = keys.filter((k) => a[k] !== b[k]);
		for (const c of cons.candidates)
			if (a.votes[c.id] !== b.votes[c.id])
				diff.push(c.id);
		return diff;
	}

	function showCompare(a, b, diff) {
		const box = $('compare');
		const rows = [];
		const label = {};
		COUNTS.forEach(([f, vi, en]) => { label[f] = vi + ' / ' + en; });
		cons.candidates.forEach((c) => { label[c.id] = c.name; });
		label.round = 'Vòng / Round';
		const val = (r, k) => (k in r ? r[k] : r.votes[k]);
		for (const k of COUNTS.map(([f]) => f).concat(
		    cons.candidates.map((c) => c.id))) {
			const d = diff.includes(k) ? 'diff' : '';
			rows.push(el('tr', {}, el('td', { text: label[k] }),
			    el('td', { class: d, text: String(val(a, k)) }),
			    el('td', { class: d, text: String(val(b, k)) })));
		}
		box.replaceChildren(el('div', { class: 'problem', role: 'alert' },
		    'Hai lần nhập khác nhau ở ' + diff.length + ' ô. Sửa lại ' +
		    'rồi bấm ký lại; chưa có gì được ký. ', el('span', {
		    class: 'en', text: 'The two entries differ in ' +
		    diff.length + ' fields. Correct them and sign again; ' +
		    'nothing was signed.' })), el('table', {}, el('thead', {},
		    el('tr', {}, el('th', { text: 'Ô / Field' }),
		    el('th', { text: 'Lần 1 / First' }),
		    el('th', { text: 'Lần 2 / Second' }))),
		    el('tbody', {}, ...rows)));
		box.hidden = false;
	}

	function clearNumbers() {
		for (const [f] of COUNTS)
			if (f !== 'registered')
				$('f-' + f).value = '';
		for (const c of cons.candidates)
			$('v-' + c.id).value = '';
	}

	// ---- Signing ----

	function newKey() {
		const b = new Uint8Array(16);
		crypto.getRandomValues(b);
		return Array.from(b, (x) => x.toString(16).padStart(2, '0'))
		    .join('');
	}

	async function submit(ev) {
		ev.preventDefault();
		const r = record();
		if (!r.rec)
			return;
		if ($('double').checked) {
			if (first === null) {
				first = r.rec;
				clearNumbers();
				showPass();
				verdict('hint', 'Đã lưu lần nhập thứ nhất',
				    'First entry kept; nothing signed yet');
				scheduleCheck();
				return;
			}
			const diff = sameNumbers(first, r.rec);
			if (diff.length > 0) {
				showCompare(first, r.rec, diff);
				verdict('bad', 'Hai lần nhập khác nhau',
				    'The entries differ');
				return;
			}
		}
		$('compare').hidden = true;
		$('submit').disabled = true;
		if (idemKey === null)
			idemKey = newKey();
		const a = await api('POST', '/v1/records', r.rec,
		    { 'Idempotency-Key': idemKey });
		if (a.status === 201 || a.status === 200) {
			idemKey = null;
			first = null;
			remember(a.body.batch, r.rec, a.body.records);
			verdict('ok', 'Đã ký biên bản (lô ' + a.body.seq + ')',
			    'Signed (batch ' + a.body.seq + '): queued for ' +
			    'the central');
			clearNumbers();
			$('note').value = '';
			$('photo').value = '';
			$('photo-state').textContent = '';
			photo = null;
			$('explain').replaceChildren();
			$('problems').replaceChildren();
			showPass();
			refresh();
			return;
		}
		if (a.status === 422 && a.body && a.body.problems) {
			idemKey = null;
			showProblems(a.body.problems.map((p) => Object.assign(
			    { warning: /^W/.test(p.rule), explained: false }, p)));
		}
		verdict('bad', 'Chưa ký được', 'Not signed: ' + (a.body &&
		    a.body.error ? a.body.error.message : 'HTTP ' + a.status));
		$('submit').disabled = false;
	}

	// The numbers of each signed batch, for its receipt.
	function remember(batch, rec, ids) {
		try {
			localStorage.setItem('tally:' + batch,
			    JSON.stringify({ rec, ids }));
		} catch (e) { /* private mode: the receipt has no numbers */ }
	}

	// ---- States and sync ----

	function syncWords(st) {
		const now = Date.now() / 1000;
		const pending = st.counts.sealed + st.counts.sent;
		if (!st.central)
			return ['Chưa cấu hình trung tâm; xuất ra USB để chuyển',
			    'No central configured: export a bundle to a USB stick'];
		if (st.last_error && st.since !== null) {
			let next = '', nextEn = '';
			if (st.next_attempt !== null) {
				const min = Math.max(0, Math.ceil(
				    (st.next_attempt - now) / 60));
				next = ', thử lại sau ' + min + ' phút';
				nextEn = ', next try in ' + min + ' min';
			}
			return ['Không kết nối được trung tâm từ ' +
			    hhmm(st.since) + next, 'Central unreachable since ' +
			    hhmm(st.since) + nextEn + ' (' + pending +
			    ' waiting)'];
		}
		if (st.batches.length === 0)
			return ['Chưa ký biên bản nào', 'No record signed yet'];
		if (pending > 0)
			return [pending + ' lô đang chờ gửi', pending +
			    ' batches waiting to be sent'];
		return ['Đã gửi hết' + (st.last_contact ? ' (liên lạc lúc ' +
		    hhmm(st.last_contact) + ')' : ''), 'Everything ' +
		    'acknowledged' + (st.last_contact ? ' (last contact ' +
		    hhmm(st.last_contact) + ')' : '')];
	}

	function showReceipt(b, st) {
		let saved = null;
		try {
			saved = JSON.parse(localStorage.getItem('tally:' +
			    b.batch));
		} catch (e) { saved = null; }
		const lines = [
			'Cuộc bầu cử / Election: ' + st.election.name,
			'Mã định nghĩa / Definition hash: ' + st.election.hash,
			'Thiết bị / Device: ' + st.device,
			'Lô / Batch ' + b.seq + ': ' + b.batch,
			'Trạng thái / State: ' + STATES[b.state].join(' / ') +
			    (b.acknowledged_at ? ' ' + new Date(
			    b.acknowledged_at * 1000).toISOString() : ''),
		];
		if (saved) {
			const r = saved.rec;
			lines.push('', 'Khu vực / Area: ' + r.area + ', cấp / ' +
			    'level: ' + r.level + ', vòng / round: ' + r.round);
			for (const [f, vi, en] of COUNTS)
				lines.push(vi + ' / ' + en + ': ' + r[f]);
			const k = def.constituencies.find((x) =>
			    x.id === r.constituency);
			for (const [c, v] of Object.entries(r.votes)) {
				const cand = k && k.candidates.find((x) =>
				    x.id === c);
				lines.push((cand ? cand.name : c) + ': ' + v);
			}
			lines.push('', 'Mã biên bản / Record ids:',
			    ...saved.ids);
		}
		$('receipt-body').textContent = lines.join('\n');
		$('receipt').hidden = false;
		$('receipt').scrollIntoView();
	}

	async function refresh() {
		const a = await api('GET', '/v1/status');
		if (a.status !== 200 || !a.body)
			return;
		const st = a.body;
		const words = syncWords(st);
		if (st.photos && st.photos.held > 0) {
			words[0] += '; ảnh đã gửi ' + st.photos.sent + '/' +
			    st.photos.held;
			words[1] += '; photos sent ' + st.photos.sent + '/' +
			    st.photos.held;
		}
		$('sync').replaceChildren(...bilingual(...words));
		const tb = $('batches');
		tb.replaceChildren();
		for (const b of st.batches.slice().reverse()) {
			const words = STATES[b.state] || [b.state, b.state];
			const btn = el('button', { type: 'button' },
			    ...bilingual('Biên nhận', 'Receipt'));
			btn.addEventListener('click', () => showReceipt(b, st));
			tb.append(el('tr', { 'data-seq': String(b.seq),
			    'data-state': b.state }, el('td', { text: String(b.seq) }),
			    el('td', { text: b.records + ' biên bản / records, ' +
			    b.batch.slice(0, 8) + '…' }),
			    el('td', { class: 'state-' + b.state },
			    ...bilingual(words[0], words[1] + (b.reject_code ?
			    ': ' + b.reject_code : ''))), el('td', {}, btn)));
		}
	}

	async function start() {
		const a = await api('GET', '/v1/election');
		if (a.status !== 200 || !a.body) {
			$('sync').textContent = 'Không đọc được định nghĩa ' +
			    'bầu cử / Cannot read the election definition';
			return;
		}
		def = a.body;
		$('election').replaceChildren(def.name);
		document.title = def.name;
		for (const ar of def.areas)
			$('area').append(el('option', { value: ar.id },
			    ar.id + ' — ' + ar.name));
		$('area').addEventListener('change', pickArea);
		$('round').addEventListener('input', scheduleCheck);
		$('note').addEventListener('input', scheduleCheck);
		$('photo').addEventListener('change', attachPhoto);
		$('double').addEventListener('change', () => {
			first = null;
			$('compare').hidden = true;
			showPass();
		});
		$('form').addEventListener('submit', submit);
		$('print').addEventListener('click', () => window.print());
		$('receipt-close').addEventListener('click', () => {
			$('receipt').hidden = true;
		});
		pickArea();
		refresh();
		setInterval(refresh, STATUS_EVERY_MS);
	}

	start();
})();
