/* common.js: helpers shared by the central's pages.  No library. */
'use strict';

/* Make an element: tag, attributes, children (strings become text). */
function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const k in attrs || {})
		if (k === 'class') e.className = attrs[k];
		else if (k === 'text') e.textContent = attrs[k];
		else e.setAttribute(k, attrs[k]);
	for (const c of kids.flat())
		if (c != null) e.append(typeof c === 'string' ? document.createTextNode(c) : c);
	return e;
}

/* An SVG element with attributes. */
function svgel(tag, attrs) {
	const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
	for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
	return e;
}

/* ETags seen per URL, and the last body parsed. */
const etags = new Map();

/*
 * GET url as JSON with If-None-Match: {changed, body}.  changed is false
 * when the server answered 304 (PROTOCOL.md 8.9).
 */
async function getJSON(url) {
	const seen = etags.get(url);
	const h = {};
	if (seen) h['If-None-Match'] = seen.etag;
	const r = await fetch(url, { headers: h, cache: 'no-store' });
	if (r.status === 304 && seen) return { changed: false, body: seen.body };
	if (!r.ok) throw new Error(url + ': HTTP ' + r.status);
	const body = await r.json();
	const tag = r.headers.get('ETag');
	if (tag) etags.set(url, { etag: tag, body });
	return { changed: true, body };
}

/* Hex of bytes, and bytes of hex or base64. */
function hex(u8) {
	return Array.from(u8, b => b.toString(16).padStart(2, '0')).join('');
}
function unhex(s) {
	const u = new Uint8Array(s.length / 2);
	for (let i = 0; i < u.length; i++) u[i] = parseInt(s.substr(2 * i, 2), 16);
	return u;
}
function unb64(s) {
	return Uint8Array.from(atob(s), c => c.charCodeAt(0));
}

/* Parse a signed message (PROTOCOL.md 3): {context, signer, body, signed, sig}. */
function envelope(m) {
	const magic = 'TALLYSIG';
	if (m.length < 110) throw new Error('truncated');
	for (let i = 0; i < 8; i++)
		if (m[i] !== magic.charCodeAt(i)) throw new Error('bad_magic');
	if (m[8] !== 1) throw new Error('bad_version');
	const n = m[9];
	if (n < 1 || n > 64) throw new Error('bad_context');
	const context = String.fromCharCode(...m.subarray(10, 10 + n));
	const signer = m.subarray(10 + n, 42 + n);
	const L = ((m[42 + n] << 24) >>> 0) + (m[43 + n] << 16) + (m[44 + n] << 8) + m[45 + n];
	if (L < 1 || L > 1048576) throw new Error('too_large');
	if (m.length < 110 + n + L) throw new Error('truncated');
	if (m.length > 110 + n + L) throw new Error('trailing_bytes');
	const body = new TextDecoder().decode(m.subarray(46 + n, 46 + n + L));
	return { context, signer, body, signed: m.subarray(0, 46 + n + L),
		sig: m.subarray(46 + n + L) };
}

/* Ed25519 verify with WebCrypto: true, false, or throws if unsupported. */
async function edVerify(pk, sig, msg) {
	const k = await crypto.subtle.importKey('raw', pk, { name: 'Ed25519' }, false, ['verify']);
	return crypto.subtle.verify({ name: 'Ed25519' }, k, sig, msg);
}

/* Shorten a long hex id for display; the whole id stays in the title. */
function short(h) { return h.length > 16 ? h.slice(0, 12) + '…' : h; }
