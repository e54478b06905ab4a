/* public.js: the public view (PROTOCOL.md 8.9, 8.10).  Results per
 * constituency with their decision, each linked to its polling areas;
 * each area's records verified here: the batch's Ed25519 signature
 * (WebCrypto), its id (BLAKE2b-256 of its bytes), the receipt's
 * signature by the central's key, the photo's hash when the record
 * names one, and the signer's certificate under the authority key
 * (trust.js). */
'use strict';

const LABEL = { INCOMPLETE: 'incomplete', NEEDS_ADDITIONAL_ELECTION: 'additional election needed',
	NEEDS_REELECTION: 're-election needed', MANUAL_TIEBREAK: 'tie: decided by the committee',
	DISPUTED: 'disputed', RECOGNISED_LOW_TURNOUT: 'decided (low turnout recognised)',
	DETERMINED: 'decided' };
let def = null;			/* the election definition */
let centralKey = null;		/* Uint8Array(32) */
let trust = null;		/* from loadTrust() */

async function getBytes(url) {
	const r = await fetch(url, { cache: 'no-store' });
	if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
	return new Uint8Array(await r.arrayBuffer());
}

function candName(cid) {
	for (const c of def.constituencies)
		for (const k of c.candidates) if (k.id === cid) return k.name;
	return cid;
}

function areaLink(a) {
	return el('a', { href: '#area=' + encodeURIComponent(a.id) }, a.id + ': ' + a.name);
}

async function drawResults() {
	const box = document.getElementById('results');
	const out = [];
	for (const lv of def.levels) {
		const r = (await getJSON('/v1/results?level=' + encodeURIComponent(lv.id))).body;
		out.push(el('h3', { text: lv.name + ' (' + lv.id + ')' }));
		for (const c of r.constituencies) {
			const d = (await getJSON('/v1/results/constituencies/' + encodeURIComponent(c.id))).body;
			const areas = def.areas.filter(a => a.constituencies[lv.id] === c.id);
			out.push(el('article', { class: 'side' },
				el('h4', { text: c.name }),
				el('p', {}, el('span', { class: 'st st-' + c.status, text: LABEL[c.status] || c.status }),
					` · ${c.reporting} of ${c.areas} polling areas · turnout ${c.turnout === '-' ? 'not known yet' : c.turnout + '%'}`),
				el('div', { class: 'scroll' }, el('table', {},
					el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'Candidate' }),
						el('th', { scope: 'col', class: 'n', text: 'Votes' }),
						el('th', { scope: 'col', class: 'n', text: '% of valid' }),
						el('th', { scope: 'col', text: 'Elected' }))),
					el('tbody', {}, d.candidates.map(k => el('tr', {},
						el('th', { scope: 'row', text: k.name }),
						el('td', { class: 'n', text: String(k.votes) }),
						el('td', { class: 'n', text: k.percent_valid }),
						el('td', { text: k.elected ? 'elected' : '' })))))),
				d.tie ? el('p', { text: 'Tied: ' + d.tie.map(candName).join(', ') }) : null,
				d.additional_election ? el('p', { text: 'Additional election for ' +
					d.additional_election.seats + ' seat(s)' }) : null,
				el('details', {}, el('summary', { text: 'Polling areas (' + areas.length + ')' }),
					el('ul', {}, areas.map(a => el('li', {}, areaLink(a)))))));
		}
	}
	box.replaceChildren(...out);
}

/*
 * Check the receipt rm of batch body b (id batch): its signature, that it
 * names the batch, and whose key signed it.  Returns the receipt time
 * of PROTOCOL.md 13.7 (the receipt's stored time when a central
 * certificate of the authority certifies its key then), or null.
 */
async function checkReceipt(rm, b, batch, good, fail) {
	const re = envelope(rm), rb = JSON.parse(re.body), rk = hex(re.signer);
	if (re.context !== 'tally/receipt/v1' || !(await edVerify(re.signer, re.sig, re.signed)) ||
	    rb.batch !== batch || rb.device !== b.device || rb.seq !== b.seq) {
		fail('receipt does not verify, or is for another batch');
		return null;
	}
	const when = ', stored ' + isoTime(rb.stored);
	const cc = trust && centralCertFor(trust, rk, rb.stored, b.election);
	if (cc) {
		good('receipt signed by a central the authority certified (certificate ' + cc.serial + ')' + when);
		return rb.stored;
	}
	if (centralKey && rk === hex(centralKey))
		good('receipt signed by this central’s key (GET /v1/key), which no central certificate ' +
			'of the authority vouches for' + when);
	else
		fail('receipt signed by an unknown key, neither this central’s nor certified');
	return null;
}

/* Check one record: returns { ok, lines, record, cert, ... }. */
async function checkRecord(rec) {
	const lines = [];
	let ok = true;
	const fail = (s) => { ok = false; lines.push(['bad', s]); };
	const good = (s) => lines.push(['ok', s]);
	let body = null;
	try {
		const m = await getBytes('/v1/batches/' + rec.batch);
		const e = envelope(m);
		if (e.context !== 'tally/batch/v1') fail('not a batch: context ' + e.context);
		if (hex(blake2b(m, 32)) === rec.batch) good('batch id is the BLAKE2b-256 of its bytes');
		else fail('batch bytes do not hash to the batch id');
		if (await edVerify(e.signer, e.sig, e.signed)) good('device signature verifies (Ed25519)');
		else fail('device signature does not verify');
		body = JSON.parse(e.body);
		if (body.device !== hex(e.signer)) fail('batch names another device than its signer');
		const r = body.records && body.records[rec.index];
		if (!r || r.area !== rec.area) { fail('the record is not in the batch'); return { ok, lines }; }
		if (def && body.election !== document.body.dataset.ehash) fail('batch is for another election');
		const rm = await getBytes('/v1/batches/' + rec.batch + '/receipt');
		const rt = await checkReceipt(rm, body, rec.batch, good, fail);
		const t = rt !== null ? rt : Math.floor(Date.now() / 1000);
		const cr = trust ? checkCert(trust, body, t) :
			{ ok: false, why: 'the certificates could not be fetched' };
		if (cr.ok)
			good('signer certified by the authority: certificate ' + cr.cert.serial + ', role ' +
				cr.cert.role + ', covers every record of the batch, valid at ' + isoTime(t) +
				(rt !== null ? ' (the receipt time)' : ' (your clock: no certified receipt)'));
		else
			fail('signer not certified: ' + cr.why);
		if (r.photo) {
			try {
				const img = await getBytes('/v1/photos/' + r.photo + '/image');
				if (hex(blake2b(img, 32)) === r.photo) good('photo matches the signed hash');
				else fail('photo does not match the signed hash');
				lines.photo = URL.createObjectURL(new Blob([img]));
			} catch (err) {
				fail('photo ' + short(r.photo) + ' not available, so not checked');
			}
		}
		return { ok, lines, record: r, signer: hex(e.signer), cert: cr.cert, certOk: cr.ok, m, rm };
	} catch (err) {
		fail('could not check: ' + err.message);
		return { ok, lines };
	}
}

async function showArea(id) {
	const box = document.getElementById('area'), sec = document.getElementById('area-box');
	const a = def.areas.find(x => x.id === id);
	sec.hidden = false;
	delete box.dataset.done;
	document.getElementById('h-area').textContent = 'Polling area ' + id + (a ? ': ' + a.name : '');
	box.replaceChildren(el('p', { text: 'Checking…' }));
	const d = (await getJSON('/v1/areas/' + encodeURIComponent(id))).body;
	const out = [];
	if (!d.records.length) out.push(el('p', { text: 'No record received yet.' }));
	for (const rec of d.records) {
		rec.area = id;
		const c = await checkRecord(rec);
		const verdict = c.ok ? 'verified' : 'NOT verified';
		const r = c.record || {};
		out.push(el('article', { class: 'side ' + (c.ok ? 'win' : ''), 'data-record': rec.record,
			'data-verified': c.ok ? '1' : '0' },
			el('h3', {}, el('span', { class: 'verdict ' + (c.ok ? 'ok' : 'bad'), text: verdict }),
				' · level ' + rec.level + ', round ' + rec.round + (rec.applied ? '' : ' (not counted: device frozen)')),
			el('ul', {}, c.lines.map(([k, s]) => el('li', { class: k, text: (k === 'ok' ? '✓ ' : '✗ ') + s }))),
			c.record ? el('div', { class: 'scroll' }, el('table', {},
				el('tbody', {}, ['registered', 'voted', 'valid', 'invalid'].map(f =>
					el('tr', {}, el('th', { scope: 'row', text: f }), el('td', { class: 'n', text: String(r[f]) }))),
					Object.keys(r.votes || {}).map(k => el('tr', {},
						el('th', { scope: 'row', text: candName(k) }),
						el('td', { class: 'n', text: String(r.votes[k]) })))))) : null,
			c.cert ? el('div', { class: 'scroll cert' }, el('table', {},
				el('caption', { text: 'The signer’s certificate' + (c.certOk ? '' : ' (does not hold)') }),
				el('tbody', {}, certRows(c.cert)))) : null,
			c.lines.photo ? el('img', { src: c.lines.photo, alt: 'Photo of the signed paper record', style: 'max-width:100%' }) : null,
			el('p', { class: 'mono', text: 'Record ' + rec.record }),
			el('p', { class: 'mono', text: 'Signer (device key) ' + (c.signer || rec.device) }),
			el('p', {}, el('a', { href: '/v1/batches/' + rec.batch }, 'Batch bytes'), ' · ',
				el('a', { href: '/v1/batches/' + rec.batch + '/receipt' }, 'Receipt'), ' · ',
				el('a', { href: '/v1/devices/' + rec.device + '/receipts' }, 'Device log'))));
	}
	box.replaceChildren(...out);
	box.dataset.done = '1';
	document.getElementById('h-area').focus();
}

/* Load the trust objects and draw the authority panel; again on a pin. */
async function initTrust() {
	try {
		trust = await loadTrust(document.body.dataset.ehash);
	} catch (err) {
		trust = null;
		document.getElementById('authority').textContent = 'The certificates could not be fetched: ' +
			err.message + '. No record can be verified.';
		return;
	}
	drawAuthority(trust, async () => { await initTrust(); route(); });
}

function route() {
	const m = /^#area=(.+)$/.exec(location.hash);
	if (m) showArea(decodeURIComponent(m[1]));
}

(async () => {
	const st = document.getElementById('selftest');
	if (!blake2bSelfTest()) { st.textContent = 'This browser computes BLAKE2b wrongly: nothing can be verified.'; st.className = 'bad'; return; }
	try {
		const k = crypto.subtle && await crypto.subtle.importKey('raw', new Uint8Array(32).fill(1),
			{ name: 'Ed25519' }, false, ['verify']);
		if (!k) throw new Error('no WebCrypto');
	} catch (err) {
		st.textContent = 'This browser cannot check Ed25519 signatures: nothing here can show as verified.';
		st.className = 'bad';
	}
	const e = await getBytes('/v1/election');
	def = JSON.parse(new TextDecoder().decode(e));
	document.body.dataset.ehash = hex(blake2b(e, 32));
	centralKey = unhex((await getJSON('/v1/key')).body.key);
	await initTrust();
	document.getElementById('election').textContent = def.name + ' · ' + def.date +
		' · definition BLAKE2b ' + short(document.body.dataset.ehash);
	window.addEventListener('hashchange', route);
	await drawResults();
	route();
})();
