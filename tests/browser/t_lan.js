// t_lan.js: phones on the team's Wi-Fi (lan-listen, PROTOCOL.md 9.6).
// tallyd listens on 127.0.0.2 with TLS only, under a certificate it made
// on its first start, whose fingerprint the laptop's page shows.  An
// unpaired browser gets the pairing form and nothing else; a wrong code
// pairs nothing; the code shown on the laptop pairs the phone once, and
// the phone then uses the entry page; the laptop lists the pairing and
// revokes it, after which the phone gets only the pairing form again.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const tls = require('tls');
const { spawnSync } = require('child_process');
const t = require('./lib');

// peerFingerprint(url): the SHA-256 fingerprint of the certificate the
// server at url presents, as "AB:CD:...".
function peerFingerprint(url) {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const s = tls.connect({ host: u.hostname, port: Number(u.port),
		    rejectUnauthorized: false }, () => {
			resolve(s.getPeerCertificate().fingerprint256);
			s.end();
		});
		s.on('error', reject);
	});
}

t.run(async () => {
	// lan-listen needs web-listen, where the codes are shown.
	fs.mkdirSync(path.join(t.T, 'n'), { recursive: true });
	const conf = path.join(t.T, 'n', 'tallyd.conf');
	fs.writeFileSync(conf, [`datadir ${t.T}/n/data`,
	    `socket ${t.T}/n/s.sock`, `election ${t.ELECTION}`, 'mode test',
	    'lan-listen 127.0.0.2:0'].join('\n') + '\n');
	const n = spawnSync(path.join(t.BIN, 'tallyd'), ['-n', '-c', conf],
	    { encoding: 'utf8' });
	t.expectEq('lan-listen alone: exit', n.status, 2);
	t.expect(n.stderr.includes('lan-listen needs web-listen'),
	    'says why: ' + n.stderr);

	const d = await t.startDaemon('d', null, ['web-listen 127.0.0.1:0',
	    'lan-listen 127.0.0.2:0']);
	t.expect(d.lan && d.lan.startsWith('https://127.0.0.2:'), 'lan url');
	const page = await t.newPage({ ignoreHTTPSErrors: true });

	// The certificate: made on first start, the one served, the one shown.
	const pem = fs.readFileSync(path.join(t.T, 'd', 'data', 'lan-cert.pem'));
	const fp = new crypto.X509Certificate(pem).fingerprint256;
	t.expectEq('served certificate', await peerFingerprint(d.lan), fp);
	await page.goto(d.url + '/');
	await t.waitFor(() => page.isVisible('#phones'), 'the phones panel');
	t.expectEq('fingerprint shown', await page.textContent('#lan-fp'), fp);
	t.expectEq('address shown', await page.textContent('#lan-url'),
	    d.lan + '/');

	// Unpaired: the pairing form, and nothing else.
	const phone = await page.context().newPage();
	await phone.goto(d.lan + '/');
	t.expect(await phone.$('#pair-form') !== null, 'the pairing form');
	t.expect(await phone.$('#area') === null, 'no entry form');
	for (const p of ['/index.html', '/app.js', '/v1/status', '/v1/election',
	    '/v1/bundle'])
		t.expectEq('unpaired ' + p, (await phone.request.get(d.lan + p))
		    .status(), 401);
	t.expectEq('unpaired POST', (await phone.request.post(d.lan +
	    '/v1/records', { data: {}, headers: { Origin: d.lan } })).status(),
	    401);
	await t.screenshot(phone, 'phone-pair');

	// A code from the laptop; a wrong one first.
	await page.click('#pair-code-btn');
	const code = (await t.waitFor(async () => /^(\d{6}) /.exec(
	    await page.textContent('#pair-code')), 'a code'))[1];
	await phone.fill('#pair-code', code === '000000' ? '111111' : '000000');
	await phone.click('#pair-submit');
	await t.waitFor(async () => (await phone.textContent('#pair-said'))
	    .includes('Not paired'), 'a wrong code is refused');
	t.expectEq('still unpaired', (await phone.request.get(d.lan +
	    '/v1/status')).status(), 401);
	await phone.fill('#pair-code', code);
	await phone.fill('#pair-label', 'phone 1');
	await phone.click('#pair-submit');
	await t.waitFor(() => phone.evaluate(() =>
	    document.querySelectorAll('#area option').length > 0),
	    'the entry page on the phone');
	t.expectEq('paired: status', (await phone.request.get(d.lan +
	    '/v1/status')).status(), 200);
	t.expectEq('paired: no pairings from the phone',
	    (await phone.request.get(d.lan + '/v1/pairings')).status(), 403);
	await t.screenshot(phone, 'phone-entry');
	// The code was used once.
	const again = await phone.request.post(d.lan + '/v1/pair', {
	    data: { code, label: 'phone 2' }, headers: { Origin: d.lan } });
	t.expectEq('a used code', again.status(), 403);

	// The laptop lists the phone and revokes it.
	await t.waitFor(() => page.evaluate(() =>
	    document.querySelectorAll('#pairings tr[data-id]').length === 1),
	    'the pairing is listed');
	t.expect((await page.textContent('#pairings')).includes('phone 1'),
	    'by its label');
	await t.screenshot(page, 'entry-phones');
	await page.click('#pairings button');
	await t.waitFor(() => page.evaluate(() =>
	    document.querySelectorAll('#pairings tr[data-id]').length === 0),
	    'the pairing is gone');
	t.expectEq('revoked: status', (await phone.request.get(d.lan +
	    '/v1/status')).status(), 401);
	await phone.reload();
	t.expect(await phone.$('#pair-form') !== null, 'the form again');
	t.expect(fs.readFileSync(path.join(t.T, 'd', 'data', 'pairings'),
	    'utf8') === '', 'no pairing kept');
});
