/* dashboard.js: the committee's dashboard (PROTOCOL.md 8.9).  Polls the
 * results and merge-state endpoints with If-None-Match, redraws what
 * changed, never reloads the page. */
'use strict';

const POLL_MS = 2000;
const STATUSES = ['INCOMPLETE', 'NEEDS_ADDITIONAL_ELECTION', 'NEEDS_REELECTION',
	'MANUAL_TIEBREAK', 'DISPUTED', 'RECOGNISED_LOW_TURNOUT', 'DETERMINED'];
const LABEL = { INCOMPLETE: 'incomplete', NEEDS_ADDITIONAL_ELECTION: 'additional election',
	NEEDS_REELECTION: 're-election', MANUAL_TIEBREAK: 'manual tiebreak',
	DISPUTED: 'disputed', RECOGNISED_LOW_TURNOUT: 'low turnout, recognised',
	DETERMINED: 'determined' };
const history = [];		/* [time ms, reporting, areas] per sample */
let levels = [];
const cons = new Map();		/* level id -> constituencies */

function status(s) { return el('span', { class: 'st st-' + s, text: LABEL[s] || s }); }
function pct(a, b) { return b ? Math.round(1000 * a / b) / 10 : 0; }

function drawLevels() {
	const box = document.getElementById('levels');
	box.replaceChildren(...levels.map(l => {
		const p = pct(l.reporting, l.areas);
		return el('div', { class: 'card' },
			el('h3', { text: 'Level ' + l.level + ' (' + l.kind + ')' }),
			el('div', { class: 'big', text: l.reporting + ' / ' + l.areas }),
			el('div', { text: 'polling areas reporting (' + p + '%)' }),
			el('div', { class: 'bar', role: 'img', 'aria-label': p + '% reporting' },
				el('span', { style: 'width:' + p + '%' })),
			el('div', { text: 'Turnout ' + l.turnout + '%: ' + l.voted +
				' of ' + l.registered + ' voters' }),
			el('div', { text: 'Seats filled ' + l.seats_filled + ' of ' + l.seats +
				(l.provisional ? ' (provisional)' : '') }),
			el('ul', {}, STATUSES.filter(s => l.status[s]).map(s =>
				el('li', {}, status(s), ' ' + l.status[s]))));
	}));
}

/* Chart width: the box's own, so that text keeps its size on a phone. */
function chartWidth(id) {
	return Math.max(280, Math.min(720, document.getElementById(id).clientWidth || 600));
}

function drawTime() {
	const W = chartWidth('chart-time'), H = 200, P = 36;
	const svg = svgel('svg', { viewBox: `0 0 ${W} ${H}`, width: W,
		'aria-hidden': 'true' });
	const total = history.reduce((m, h) => Math.max(m, h[2]), 1);
	const t0 = history.length ? history[0][0] : 0;
	const t1 = history.length ? Math.max(history[history.length - 1][0], t0 + 1) : 1;
	const x = t => P + (W - 2 * P) * (t - t0) / (t1 - t0);
	const y = v => H - P + (2 * P - H) * v / total;
	svg.append(svgel('line', { x1: P, y1: H - P, x2: W - P, y2: H - P, stroke: '#111' }));
	svg.append(svgel('line', { x1: P, y1: P, x2: P, y2: H - P, stroke: '#111' }));
	const pts = history.map(h => x(h[0]) + ',' + y(h[1])).join(' ');
	svg.append(svgel('polyline', { points: pts, fill: 'none', stroke: '#0b4f9c',
		'stroke-width': 3 }));
	const t = svgel('text', { x: P + 4, y: P - 8 });
	const last = history[history.length - 1];
	t.textContent = last ? `${last[1]} of ${last[2]} area records` : '';
	svg.append(t);
	const box = document.getElementById('chart-time');
	box.setAttribute('aria-label', t.textContent);
	box.replaceChildren(svg);
}

/* Turnout bands of GET /v1/turnout (PROTOCOL.md 8.13), in words. */
const BAND = { '0-50': 'under 50%', '50-70': '50 to 70%', '70-90': '70 to 90%',
	'90-95': '90 to 95%', '95-99': '95 to 99%', '99-100': '99 to under 100%', '100': '100%' };
let turnout = null;		/* the last GET /v1/turnout answer */

/* Horizontal bars: rows of [label, value, text, colour]; max: full length. */
function bars(rows, max, label) {
	const row = 28, W = chartWidth('chart-turnout'), L = Math.min(160, W * 0.4), R = 100;
	const svg = svgel('svg', { viewBox: `0 0 ${W} ${row * rows.length + 4}`, width: W,
		role: 'img', 'aria-label': label });
	rows.forEach(([name, v, txt, fill], i) => {
		const t = svgel('text', { x: 0, y: row * i + 19 });
		t.textContent = name;
		const w = max > 0 ? (W - L - R) * v / max : 0;
		const val = svgel('text', { x: L + w + 6, y: row * i + 19 });
		val.textContent = txt;
		svg.append(t, svgel('rect', { x: L, y: row * i + 5, height: row - 10,
			width: Math.max(w, v > 0 ? 2 : 0), fill }), val);
	});
	return svg;
}

function drawTurnout() {
	const d = turnout;
	if (!d) return;
	const max = d.bands.reduce((m, b) => Math.max(m, b.areas), 0);
	const share = n => d.reporting ? ' (' + pct(n, d.reporting) + '%)' : '';
	const rows = d.bands.map(b => [BAND[b.band] || b.band, b.areas, b.areas + share(b.areas),
		b.band === '0-50' ? '#a30000' : '#0b4f9c']);
	const said = `Level ${d.level}: ${d.reporting} of ${d.areas} polling areas have a record` +
		(d.unknown ? `; ${d.unknown} with no registered voters` : '');
	document.getElementById('turnout-summary').textContent = said;
	document.getElementById('chart-turnout').replaceChildren(bars(rows, max,
		said + '. ' + d.bands.map(b => (BAND[b.band] || b.band) + ': ' + b.areas).join(', ')));
	document.querySelector('#lowest tbody').replaceChildren(...(d.lowest.length ? d.lowest.map(a =>
		el('tr', {}, el('th', { scope: 'row' }, a.area, el('span', { class: 'sub', text: a.name })),
			el('td', { class: 'wide', text: a.constituency }),
			el('td', { class: 'n', text: a.turnout }),
			el('td', { class: 'n', text: a.voted + ' / ' + a.registered }))) :
		[el('tr', {}, el('td', { colspan: '4', text: 'No record yet.' }))]));
	const box = document.getElementById('chart-areas');
	if (!d.list) { box.replaceChildren(); return; }
	box.replaceChildren(bars(d.list.map(a => [a.area, a.round ? parseFloat(a.turnout) || 0 : 0,
		a.round ? a.turnout + '%' : 'no record', '#0b4f9c']), 100,
		'Turnout of each polling area of ' + d.constituency));
}

/* Fill the constituency picker of the turnout chart for its level. */
function fillTurnoutCons() {
	const s = document.getElementById('turnout-cons'), v = s.value;
	const list = cons.get(document.getElementById('turnout-level').value) || [];
	s.replaceChildren(el('option', { value: '', text: 'choose one' }),
		...list.map(c => el('option', { value: c.id, text: c.name + ' (' + c.id + ')' })));
	if (list.some(c => c.id === v)) s.value = v;
}

/* GET /v1/turnout for the chosen level (and constituency); redraw on change. */
async function pollTurnout(force) {
	const lv = document.getElementById('turnout-level').value;
	if (!lv) return;
	const c = document.getElementById('turnout-cons').value;
	const t = await getJSON('/v1/turnout?level=' + encodeURIComponent(lv) +
		(c ? '&constituency=' + encodeURIComponent(c) : ''));
	if (t.changed || force) { turnout = t.body; drawTurnout(); }
}

function drawCons() {
	const lv = document.getElementById('cons-level').value;
	const att = document.getElementById('cons-filter').value === 'attention';
	const list = (cons.get(lv) || []).filter(c => !att ||
		!['DETERMINED', 'RECOGNISED_LOW_TURNOUT'].includes(c.status));
	document.querySelector('#cons tbody').replaceChildren(...list.map(c =>
		el('tr', {}, el('th', { scope: 'row', text: c.name + ' (' + c.id + ')' }),
			el('td', {}, status(c.status)),
			el('td', { class: 'n', text: c.reporting + ' / ' + c.areas }),
			el('td', { class: 'n', text: c.turnout }),
			el('td', { text: (c.winners || []).join(', ') || '–' }))));
}

function fillSelect(id) {
	const s = document.getElementById(id), v = s.value;
	s.replaceChildren(...levels.map(l => el('option', { value: l.level, text: l.level })));
	if (v) s.value = v;
}

function cmd(...args) { return el('pre', { class: 'cmd' }, 'tally decision ' + args.join(' ')); }

function drawConflicts(d) {
	const box = document.getElementById('conflicts');
	if (!d.conflicts.length) { box.replaceChildren(el('p', { class: 'ok', text: 'None.' })); return; }
	const out = d.conflicts.map(k => el('article', {},
		el('h3', { text: `Area ${k.area}, level ${k.level}, round ${k.round}` }),
		k.stale ? el('p', { text: 'A decision issued at ' + k.stale.issued +
			' chose ' + k.stale.record + ' among ' + k.stale.over.length +
			' versions; a version it did not see arrived since, so the area is ' +
			'disputed again.' }) : null,
		el('div', { class: 'sides' }, k.heads.map(h => el('div',
			{ class: 'side' + (h.record === k.winner ? ' win' : '') },
			el('p', {}, el('strong', { text: h.record === k.winner ?
				'Provisional winner' : 'Other side' })),
			el('p', { class: 'mono', title: h.device, text: 'device ' + short(h.device) +
				', batch seq ' + h.seq + ', chain ' + h.chain }),
			el('p', { text: 'Counts: ' + h.counts }),
			el('details', {}, el('summary', { text: 'Record as signed' }),
				el('pre', { text: JSON.stringify(h.body, null, 1) })),
			cmd('resolve --key ADJUDICATOR.key --election ELECTION',
				'--area ' + k.area, '--level ' + k.level, '--round ' + k.round,
				'--record ' + h.record,
				'--over ' + k.heads.map(x => x.record).join(','),
				'--out resolve-' + k.area + '.sig',
				'--central ' + location.origin))))));
	if (d.more) out.push(el('p', { text: 'More conflicts exist than shown.' }));
	box.replaceChildren(...out);
}

function batchSummary(b64) {
	try {
		const e = envelope(unb64(b64)), b = JSON.parse(e.body);
		return 'seq ' + b.seq + ', ' + b.records.length + ' records: ' +
			b.records.map(r => r.area + '/' + r.level).join(', ');
	} catch (err) { return 'unreadable: ' + err.message; }
}

function drawEvidence(d) {
	const box = document.getElementById('evidence');
	const out = [];
	for (const f of d.frozen)
		out.push(el('p', { class: 'bad mono', text: 'Frozen: device ' + f.device +
			' at seq ' + f.seq }));
	for (const v of d.evidence)
		out.push(el('article', {},
			el('h3', { text: `Device ${short(v.device)} seq ${v.seq}: ${v.kind}` +
				(v.resolved ? ' (resolved)' : '') }),
			el('div', { class: 'sides' }, v.batches.map((b, i) => el('div', { class: 'side' },
				el('p', { class: 'mono', text: 'Batch ' + b }),
				el('p', { text: batchSummary(v.bytes[i]) }),
				v.resolved ? null : cmd('unfreeze --key ADJUDICATOR.key --election ELECTION',
					'--device ' + v.device, '--batch ' + b, '--seq ' + v.seq,
					'--out unfreeze-' + b.slice(0, 8) + '.sig',
					'--central ' + location.origin))))));
	if (!out.length) out.push(el('p', { class: 'ok', text: 'None.' }));
	box.replaceChildren(...out);
}

async function poll() {
	try {
		const s = await getJSON('/v1/results');
		if (s.changed) {
			levels = s.body.levels;
			document.getElementById('election').textContent = 'Election ' +
				s.body.election + ' · mode ' + s.body.mode;
			drawLevels();
			fillSelect('cons-level');
			fillSelect('turnout-level');
		}
		let changed = s.changed;
		for (const l of levels) {
			const r = await getJSON('/v1/results?level=' + encodeURIComponent(l.level));
			if (r.changed) { cons.set(l.level, r.body.constituencies); changed = true; }
		}
		const rep = levels.reduce((a, l) => a + l.reporting, 0);
		const all = levels.reduce((a, l) => a + l.areas, 0);
		history.push([Date.now(), rep, all]);
		if (history.length > 2000) history.splice(0, 1000);
		drawTime();
		if (changed) { fillTurnoutCons(); drawCons(); }
		await pollTurnout(false);
		const c = await getJSON('/v1/conflicts');
		if (c.changed) drawConflicts(c.body);
		const e = await getJSON('/v1/evidence');
		if (e.changed) drawEvidence(e.body);
		const u = document.getElementById('updated');
		u.textContent = (changed ? 'Updated ' : 'No change since ') +
			new Date().toLocaleTimeString() + ' · ' + rep + ' of ' + all + ' records in';
		u.dataset.fresh = changed ? '1' : '0';
		u.dataset.reporting = rep;
	} catch (err) {
		document.getElementById('updated').textContent = 'Central unreachable: ' +
			err.message + '. Trying again.';
	}
	setTimeout(poll, POLL_MS);
}

document.getElementById('cons-level').addEventListener('change', drawCons);
window.addEventListener('resize', () => { drawTime(); drawTurnout(); });
document.getElementById('cons-filter').addEventListener('change', drawCons);
document.getElementById('turnout-level').addEventListener('change', () => {
	fillTurnoutCons(); pollTurnout(true);
});
document.getElementById('turnout-cons').addEventListener('change', () => pollTurnout(true));
poll();
