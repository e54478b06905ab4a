// t_public.js: the public view (PROTOCOL.md 8.9, 8.10) checks records in
// the viewer's browser, on a closed central (13.8) whose authority
// certified the device.  A record as the central holds it shows
// "verified", with its signer's certificate (serial, role, scope,
// window) and its photo; the same record whose batch bytes were altered
// on the way (one vote digit changed) shows "NOT verified"; so does a
// record whose photo the central cannot produce, a record whose signer's
// certificate does not cover its area or is not valid at the receipt
// time, one whose certificate another authority signed, and, once the viewer pinned the committee's
// fingerprint, one that a central with another authority vouches for.
// Without "public yes" there is no public view.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./lib');

// A 1x1 PNG: the photo of the paper record.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4' +
    '2mP4DwABAQEAG7buVgAAAABJRU5ErkJggg==', 'base64');

// open(page, url, area): the public view of area; resolves with each
// record's verdict text and data-verified flag.
async function open(page, url, area) {
	await page.goto('about:blank');		// a new document each time
	await page.goto(`${url}/public#area=${area}`);
	await t.waitFor(() => page.evaluate(() =>
	    document.getElementById('area').dataset.done === '1'),
	    `area ${area} checked`);
	return page.$$eval('#area article', (es) => es.map((e) => ({
		verdict: e.querySelector('.verdict').textContent,
		flag: e.dataset.verified,
		text: e.textContent,
	})));
}

// notVerified(got, why): one record, NOT verified, saying why.
function notVerified(what, got, why) {
	t.expectEq(what + ': records', got.length, 1);
	t.expectEq(what + ': verdict', got[0].verdict, 'NOT verified');
	t.expectEq(what + ': flag', got[0].flag, '0');
	t.expect(got[0].text.includes(why), `${what}: says '${why}' in: ` +
	    got[0].text);
}

// trustWith(page, answer): serve answer (an object) as GET /v1/trust.
async function trustWith(page, answer) {
	await page.unroute('**/v1/trust');
	await page.route('**/v1/trust', (route) => route.fulfill({
		status: 200, contentType: 'application/json',
		body: JSON.stringify(answer) }));
}

t.run(async () => {
	const off = await t.startCentral('off');
	const page = await t.newPage();
	const res = await page.goto(off.url + '/public');
	t.expectEq('public view off by default', res.status(), 404);

	const auth = t.authority('authority');
	t.enroll(auth, 'd', 'A01,A02,A05', 1);
	const c = await t.startCentral('c', ['public yes'], auth);
	const d = await t.startDaemon('d', c);
	// A01/na without a photo; A02/na with its photo, which the daemon
	// sends after the numbers; A05/na names a photo nobody has.
	const rec = JSON.parse(fs.readFileSync(path.join(t.RECORDS,
	    'A01-na.json'), 'utf8'));
	delete rec.photo;
	const f = path.join(t.T, 'A01-na.json');
	fs.writeFileSync(f, JSON.stringify(rec));
	t.tly(d, 'record', f);
	fs.writeFileSync(path.join(t.T, 'photo.png'), PNG);
	const ph = JSON.parse(execFileSync('curl', ['-sf', '--unix-socket',
	    d.sock, '-H', 'Content-Type: image/png', '--data-binary',
	    '@' + path.join(t.T, 'photo.png'), 'http://local/v1/photos'],
	    { encoding: 'utf8' })).photo;
	const rec2 = JSON.parse(fs.readFileSync(path.join(t.RECORDS,
	    'A02-na.json'), 'utf8'));
	rec2.photo = ph;
	fs.writeFileSync(path.join(t.T, 'A02-na.json'), JSON.stringify(rec2));
	t.tly(d, 'record', path.join(t.T, 'A02-na.json'));
	t.tly(d, 'record', path.join(t.RECORDS, 'A05-na.json'));
	await t.syncUntilDone(d);
	await t.waitFor(() => JSON.parse(t.tly(d, 'status', '--json'))
	    .photos.sent === 1, 'the photo reaches the central');

	let got = await open(page, c.url, 'A01');
	t.expectEq('A01 records', got.length, 1);
	t.expectEq('A01 verdict', got[0].verdict, 'verified');
	t.expectEq('A01 flag', got[0].flag, '1');
	for (const s of ['device signature verifies', 'signer certified by ' +
	    'the authority: certificate 1, role clerk', 'The signer’s ' +
	    'certificate', 'A01, A02, A05', 'all levels', '2099-12-31',
	    'central the authority certified (certificate 1000)'])
		t.expect(got[0].text.includes(s), `A01 says '${s}'`);
	const fp = await page.textContent('#auth-fp');
	t.expectEq('the authority fingerprint', fp.replace(/ /g, ''), auth.id);
	t.expect((await page.textContent('#auth-source')).includes(
	    'this central announced it'), 'says where the key came from');
	await t.screenshot(page, 'public-verified');

	got = await open(page, c.url, 'A02');
	t.expectEq('A02 verdict', got[0].verdict, 'verified');
	t.expect(got[0].text.includes('photo matches the signed hash'),
	    'A02: the photo is checked');
	t.expect(await page.$('#area article img') !== null, 'A02: the photo');

	// The photo hash is signed but the central has no image: not verified.
	got = await open(page, c.url, 'A05');
	notVerified('A05', got, 'photo');

	// The trust objects as the central serves them, to alter below.
	const trust = await (await page.request.get(c.url + '/v1/trust')).json();
	const devCert = fs.readFileSync(path.join(auth.dir, 'certs', 'd.cert'))
	    .toString('base64');
	t.expect(trust.objects.includes(devCert), 'the device certificate is served');
	const others = trust.objects.filter((o) => o !== devCert);
	const req = path.join(t.T, 'd', 'data', 'device.req');

	// A certificate of the same authority for other areas only.
	const narrow = fs.readFileSync(t.certIssue(auth, req, 'A02,A03', 7,
	    path.join(t.T, 'narrow.cert'))).toString('base64');
	await trustWith(page, { ...trust, objects: others.concat([narrow]) });
	got = await open(page, c.url, 'A01');
	notVerified('out of scope', got, 'certificate 7 does not cover ' +
	    'record 0 (area A01, level na)');
	t.expect(got[0].text.includes('A02, A03'), 'shows the scope it has');
	await t.screenshot(page, 'public-out-of-scope');

	// A certificate of the same authority that is not yet valid.
	const later = fs.readFileSync(t.certIssue(auth, req, '*', 8,
	    path.join(t.T, 'later.cert'), ['--not-before', '2098-01-01']))
	    .toString('base64');
	await trustWith(page, { ...trust, objects: others.concat([later]) });
	got = await open(page, c.url, 'A01');
	notVerified('outside its window', got, 'certificate 8 is not valid at');

	// The device certificate signed by another authority.
	const rogue = t.authority('rogue');
	const forged = fs.readFileSync(t.certIssue(rogue, req, '*', 1,
	    path.join(t.T, 'forged.cert'))).toString('base64');
	await trustWith(page, { ...trust, objects: others.concat([forged]) });
	got = await open(page, c.url, 'A01');
	notVerified('another authority', got, 'signed by another key');

	// A central announcing the other authority, whose objects all are
	// its own, shows verified until the viewer pins the committee's
	// fingerprint; then nothing it vouches for verifies.
	await trustWith(page, { authority: rogue.id, revocations: 0,
	    objects: [forged] });
	got = await open(page, c.url, 'A01');
	t.expect(got[0].text.includes('signer certified'), 'the rogue answer ' +
	    'alone looks certified: the reason to pin');
	await page.fill('#auth-pin', auth.id.match(/.{4}/g).join(' '));
	await page.click('#auth-form button[type=submit]');
	await t.waitFor(() => page.$('#auth-mismatch'), 'the mismatch shows');
	await t.waitFor(() => page.evaluate(() =>
	    document.getElementById('area').dataset.done === '1'),
	    'A01 checked again');
	got = await open(page, c.url, 'A01');
	notVerified('pinned authority', got, 'signed by another key');
	t.expect((await page.textContent('#auth-source')).includes('you ' +
	    'pinned it'), 'says the key is pinned');
	await t.screenshot(page, 'public-pinned-mismatch');
	await page.unroute('**/v1/trust');

	// The real answer under the pinned key verifies again.
	got = await open(page, c.url, 'A01');
	t.expectEq('pinned, real answer', got[0].verdict, 'verified');
	t.expect(await page.$('#auth-mismatch') === null, 'no mismatch');

	// The same A01 batch, one vote digit altered on its way to the page.
	await page.route(/\/v1\/batches\/[0-9a-f]{64}$/, async (route) => {
		const r = await route.fetch();
		const b = Buffer.from(await r.body());
		const i = b.indexOf(Buffer.from('"NA1.1":' + rec.votes['NA1.1']));
		t.expect(i > 0, 'the vote is in the batch bytes');
		const at = i + '"NA1.1":'.length;
		b[at] = b[at] === 0x31 ? 0x32 : 0x31;
		await route.fulfill({ status: 200, body: b,
		    contentType: 'application/octet-stream' });
	});
	got = await open(page, c.url, 'A01');
	notVerified('tampered', got, 'signature does not verify');
	await t.screenshot(page, 'public-tampered');
	await page.unroute(/\/v1\/batches\/[0-9a-f]{64}$/);

	// The results part links down to the polling areas.
	await page.goto(c.url + '/public');
	await t.waitFor(() => page.evaluate(() =>
	    document.querySelectorAll('#results a[href="#area=A01"]').length > 0),
	    'results link to area A01');
	await t.screenshot(page, 'public-results');
});
