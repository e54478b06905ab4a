/* trust.js: the signer's certificate, checked in the viewer's browser
 * (PROTOCOL.md 8.10, 13).  The central serves its trust objects (GET
 * /v1/trust, 8.11); this file verifies each under the authority key
 * and applies the trust check of 13.7 to one batch: a clerk certificate
 * of the authority for the batch's key, not revoked, in its window at
 * the receipt time, covering every record of the batch.
 *
 * The authority key is the root of everything here.  By default it is
 * the one the central announces, which proves nothing about a central
 * that lies; so the page shows its fingerprint and lets the viewer pin
 * the fingerprint the committee published (kept in this browser's
 * localStorage).  A pinned key is used instead of the announced one. */
'use strict';

const AUTH_PIN = 'tally.authority';	/* localStorage: the pinned key, hex */

/* The fingerprint of a key id: 16 groups of 4 hex digits (PROTOCOL.md 13.2). */
function fingerprint(h) { return h.match(/.{4}/g).join(' '); }

/* A pasted fingerprint or key id as 64 lowercase hex, or null. */
function parseFingerprint(s) {
	const h = String(s).toLowerCase().replace(/[\s:-]/g, '');
	return /^[0-9a-f]{64}$/.test(h) ? h : null;
}

/* Unix seconds as an ISO date and time (UTC). */
function isoTime(t) { return new Date(t * 1000).toISOString().replace('.000Z', 'Z'); }

/* The pinned authority key (hex), or null. */
function pinnedAuthority() {
	try { return parseFingerprint(localStorage.getItem(AUTH_PIN) || ''); } catch (e) { return null; }
}

/* Pin key (hex), or forget the pin when key is null. */
function pinAuthority(key) {
	if (key) localStorage.setItem(AUTH_PIN, key);
	else localStorage.removeItem(AUTH_PIN);
}

/* Parse a signed object's body, or null. */
function objBody(e) {
	try { return JSON.parse(e.body); } catch (err) { return null; }
}

/*
 * GET /v1/trust, each object verified under the authority key.  Returns
 * { open } for an open central (409), else { open: false, announced,
 * key, source ('pinned' or 'central'), certs (device certificates that
 * verify under key, with their bodies' names), foreign (device
 * certificates that do not, each with why), centrals (central
 * certificates that verify), revoked (Map serial -> at, of the list with
 * the largest serial), revSerial, defSigned (a definition statement of
 * key over ehash) }.
 */
async function loadTrust(ehash) {
	const r = await fetch('/v1/trust', { cache: 'no-store' });
	if (r.status === 409) return { open: true };
	if (!r.ok) throw new Error('/v1/trust: HTTP ' + r.status);
	const j = await r.json();
	const pinned = pinnedAuthority();
	const tr = { open: false, announced: String(j.authority), key: pinned || String(j.authority),
		source: pinned ? 'pinned' : 'central', certs: [], foreign: [], centrals: [],
		revoked: new Map(), revSerial: 0, defSigned: false };
	for (const b64 of j.objects || []) {
		let e;
		try { e = envelope(unb64(b64)); } catch (err) { continue; }
		const body = objBody(e);
		if (!body) continue;
		const signer = hex(e.signer);
		const byAuth = signer === tr.key && await edVerify(e.signer, e.sig, e.signed);
		if (e.context === 'tally/cert/v1') {
			if (byAuth) tr.certs.push(body);
			else tr.foreign.push(Object.assign(body, { why: signer !== tr.key ?
				'signed by another key (' + fingerprint(signer).slice(0, 19) + '…), not the authority' :
				'not validly signed: its signature does not verify' }));
		} else if (!byAuth) {
			continue;
		} else if (e.context === 'tally/central-cert/v1') {
			tr.centrals.push(body);
		} else if (e.context === 'tally/revocations/v1' && body.election === ehash &&
		    body.serial > tr.revSerial && Array.isArray(body.revoked)) {
			tr.revSerial = body.serial;
			tr.revoked = new Map(body.revoked.map(x => [x.serial, x.at]));
		} else if (e.context === 'tally/definition/v1' && body.election === ehash) {
			tr.defSigned = true;
		}
	}
	return tr;
}

/* A set of ids (PROTOCOL.md 13) holds id. */
function setHas(set, id) { return set === '*' || (Array.isArray(set) && set.includes(id)); }

/* A set of ids in words. */
function setText(set, all) { return set === '*' ? 'all ' + all : set.join(', '); }

/* Certificate c is revoked at time t. */
function revokedAt(tr, c, t) { return tr.revoked.has(c.serial) && tr.revoked.get(c.serial) <= t; }

/*
 * The central certificate that certifies receipt key k (hex) at time t
 * for election ehash (PROTOCOL.md 13.4, 13.7 checks 1 and 2), or null.
 */
function centralCertFor(tr, k, t, ehash) {
	if (tr.open) return null;
	return tr.centrals.find(c => c.central === k && c.election === ehash &&
		c.not_before <= t && t <= c.not_after && !revokedAt(tr, c, t)) || null;
}

/*
 * How far certificate c gets for batch body b at time t (13.7): [stage,
 * why]: 0 wrong election or revoked, 1 outside its window, 2 out of
 * scope, 3 passes (why is then empty).
 */
function certStage(tr, c, b, t) {
	const n = 'certificate ' + c.serial;
	if (c.election !== b.election) return [0, n + ' is for another election'];
	if (revokedAt(tr, c, t)) return [0, n + ' is revoked from ' + isoTime(tr.revoked.get(c.serial))];
	if (t < c.not_before || t > c.not_after)
		return [1, n + ' is not valid at ' + isoTime(t) + ' (window ' + isoTime(c.not_before) +
			' to ' + isoTime(c.not_after) + ')'];
	const i = b.records.findIndex(r => !setHas(c.areas, r.area) || !setHas(c.levels, r.level));
	if (i >= 0)
		return [2, n + ' does not cover record ' + i + ' (area ' + b.records[i].area + ', level ' +
			b.records[i].level + '): its scope is areas ' + setText(c.areas, 'areas') +
			', levels ' + setText(c.levels, 'levels')];
	return [3, ''];
}

/*
 * The trust check of PROTOCOL.md 13.7 for batch body b at receipt time
 * t: { ok, cert, why }.  cert is the certificate that passed or, when
 * none did, the one that got furthest (the smallest serial among
 * equals); why says what failed, in words.
 */
function checkCert(tr, b, t) {
	if (tr.open)
		return { ok: false, why: 'this central is open (test mode, no authority): no certificate vouches for the signer' };
	const mine = tr.certs.filter(c => c.device === b.device && c.role === 'clerk')
		.sort((x, y) => x.serial - y.serial);
	if (!mine.length) {
		const f = tr.foreign.find(c => c.device === b.device);
		return { ok: false, cert: f, why: f ? 'the certificate for this key is ' + f.why :
			'no clerk certificate of the authority for this key' };
	}
	let best = null, stage = -1, why = '';
	for (const c of mine) {
		const [s, w] = certStage(tr, c, b, t);
		if (s === 3) return { ok: true, cert: c };
		if (s > stage) { stage = s; best = c; why = w; }
	}
	return { ok: false, cert: best, why };
}

/* A certificate's fields as table rows: serial, role, scope, window. */
function certRows(c) {
	const row = (k, v) => el('tr', {}, el('th', { scope: 'row', text: k }), el('td', { text: v }));
	return [row('serial', String(c.serial)), row('role', c.role),
		row('scope: areas', setText(c.areas, 'areas')), row('scope: levels', setText(c.levels, 'levels')),
		row('window', isoTime(c.not_before) + ' to ' + isoTime(c.not_after)),
		c.name ? row('name', c.name) : null];
}

/* Draw the authority panel (#authority) for tr; onpin() reloads. */
function drawAuthority(tr, onpin) {
	const box = document.getElementById('authority');
	if (tr.open) {
		box.replaceChildren(el('p', { class: 'bad', text: 'This central is open (test mode): it has no ' +
			'authority key and serves no certificates, so no record here can be verified.' }));
		return;
	}
	const out = [el('p', {}, 'Certificates are checked under the authority key with fingerprint ',
		el('strong', { class: 'mono', id: 'auth-fp', text: fingerprint(tr.key) }), '.')];
	if (tr.source === 'pinned') {
		out.push(el('p', { id: 'auth-source', text: 'Where it came from: you pinned it in this browser.' }));
		if (tr.announced !== tr.key)
			out.push(el('p', { class: 'bad', id: 'auth-mismatch', text: 'This central announces another ' +
				'authority key (' + fingerprint(tr.announced) + '). Records are checked under the key ' +
				'you pinned, so what that other key vouches for does not verify.' }));
	} else {
		out.push(el('p', { id: 'auth-source', text: 'Where it came from: this central announced it ' +
			'(GET /v1/trust). A central could announce any key, so compare this fingerprint with the ' +
			'one the election committee published, or paste that one below.' }));
	}
	out.push(el('p', { class: tr.defSigned ? 'ok' : 'bad', text: tr.defSigned ?
		'✓ The election definition is signed by this authority.' :
		'✗ No statement of this authority signs this election definition.' }));
	const input = el('input', { id: 'auth-pin', type: 'text', inputmode: 'text', autocomplete: 'off',
		spellcheck: 'false', size: '48', placeholder: 'e.g. ' + fingerprint(tr.key).slice(0, 19) + ' …' });
	const said = el('p', { id: 'auth-cmp', role: 'status' });
	const form = el('form', { id: 'auth-form' },
		el('label', { for: 'auth-pin', text: 'The committee’s published fingerprint: ' }), input, ' ',
		el('button', { type: 'submit', text: 'Compare and pin' }), ' ',
		el('button', { type: 'button', id: 'auth-forget', text: 'Forget the pin' }), said);
	form.addEventListener('submit', (ev) => {
		ev.preventDefault();
		const k = parseFingerprint(input.value);
		if (!k) { said.className = 'bad'; said.textContent = 'That is not a fingerprint: 64 hex digits, spaces allowed.'; return; }
		pinAuthority(k);
		onpin();
	});
	form.querySelector('#auth-forget').addEventListener('click', () => { pinAuthority(null); onpin(); });
	out.push(form);
	box.replaceChildren(...out);
}
