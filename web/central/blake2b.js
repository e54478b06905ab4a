/* blake2b.js: BLAKE2b (RFC 7693) in plain JavaScript, 64-bit words as
 * pairs of 32-bit halves.  Written here rather than vendored: it is
 * short, has no build step, and blake2bSelfTest() checks it against the
 * RFC's own test vector (Appendix A, "abc") before the page trusts it. */
'use strict';

const B2B_IV = new Uint32Array([
	0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372,
	0x5f1d36f1, 0xa54ff53a, 0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c,
	0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19]);
const B2B_SIGMA = [
	[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
	[14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
	[11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
	[7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
	[9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
	[2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
	[12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
	[13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
	[6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
	[10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]];

/* v[a] += v[b] (64-bit, as low/high halves at 2a, 2a+1). */
function b2bAdd(v, a, b) {
	const lo = v[a] + v[b];
	let hi = v[a + 1] + v[b + 1];
	if (lo >= 0x100000000) hi++;
	v[a] = lo; v[a + 1] = hi;
}
/* v[a] += (x_lo, x_hi). */
function b2bAddC(v, a, lo0, hi0) {
	let lo = v[a] + lo0;
	if (lo0 < 0) lo += 0x100000000;
	let hi = v[a + 1] + hi0;
	if (lo >= 0x100000000) hi++;
	v[a] = lo; v[a + 1] = hi;
}

function b2bG(v, m, a, b, c, d, ix, iy) {
	const x0 = m[ix], x1 = m[ix + 1], y0 = m[iy], y1 = m[iy + 1];
	b2bAdd(v, a, b); b2bAddC(v, a, x0, x1);
	let xl = v[d] ^ v[a], xh = v[d + 1] ^ v[a + 1];
	v[d] = xh; v[d + 1] = xl;				/* rotr 32 */
	b2bAdd(v, c, d);
	xl = v[b] ^ v[c]; xh = v[b + 1] ^ v[c + 1];
	v[b] = (xl >>> 24) ^ (xh << 8); v[b + 1] = (xh >>> 24) ^ (xl << 8);	/* rotr 24 */
	b2bAdd(v, a, b); b2bAddC(v, a, y0, y1);
	xl = v[d] ^ v[a]; xh = v[d + 1] ^ v[a + 1];
	v[d] = (xl >>> 16) ^ (xh << 16); v[d + 1] = (xh >>> 16) ^ (xl << 16);	/* rotr 16 */
	b2bAdd(v, c, d);
	xl = v[b] ^ v[c]; xh = v[b + 1] ^ v[c + 1];
	v[b] = (xh >>> 31) ^ (xl << 1); v[b + 1] = (xl >>> 31) ^ (xh << 1);	/* rotr 63 */
}

function b2bCompress(h, buf, t, last) {
	const v = new Uint32Array(32), m = new Uint32Array(32);
	for (let i = 0; i < 16; i++) { v[i] = h[i]; v[i + 16] = B2B_IV[i]; }
	v[24] ^= t >>> 0;
	v[25] ^= Math.floor(t / 0x100000000);
	if (last) { v[28] = ~v[28]; v[29] = ~v[29]; }
	for (let i = 0; i < 32; i++)
		m[i] = buf[4 * i] | buf[4 * i + 1] << 8 | buf[4 * i + 2] << 16 | buf[4 * i + 3] << 24;
	for (let r = 0; r < 12; r++) {
		const s = B2B_SIGMA[r % 10];
		b2bG(v, m, 0, 8, 16, 24, 2 * s[0], 2 * s[1]);
		b2bG(v, m, 2, 10, 18, 26, 2 * s[2], 2 * s[3]);
		b2bG(v, m, 4, 12, 20, 28, 2 * s[4], 2 * s[5]);
		b2bG(v, m, 6, 14, 22, 30, 2 * s[6], 2 * s[7]);
		b2bG(v, m, 0, 10, 20, 30, 2 * s[8], 2 * s[9]);
		b2bG(v, m, 2, 12, 22, 24, 2 * s[10], 2 * s[11]);
		b2bG(v, m, 4, 14, 16, 26, 2 * s[12], 2 * s[13]);
		b2bG(v, m, 6, 8, 18, 28, 2 * s[14], 2 * s[15]);
	}
	for (let i = 0; i < 16; i++) h[i] ^= v[i] ^ v[i + 16];
}

/* BLAKE2b of the bytes data (Uint8Array), outlen bytes (1..64), no key. */
function blake2b(data, outlen = 32) {
	const h = new Uint32Array(B2B_IV);
	h[0] ^= 0x01010000 ^ outlen;
	const buf = new Uint8Array(128);
	let t = 0, off = 0;
	while (data.length - off > 128) {
		t += 128;
		b2bCompress(h, data.subarray(off, off + 128), t, false);
		off += 128;
	}
	buf.set(data.subarray(off));
	t += data.length - off;
	b2bCompress(h, buf, t, true);
	const out = new Uint8Array(outlen);
	for (let i = 0; i < outlen; i++) out[i] = h[i >> 2] >>> (8 * (i & 3));
	return out;
}

/* RFC 7693 Appendix A: BLAKE2b-512("abc"). */
function blake2bSelfTest() {
	return hex(blake2b(new TextEncoder().encode('abc'), 64)) ===
		'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
		'7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923';
}
