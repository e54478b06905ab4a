// t_entry.js: the entry page served by tallyd (web-listen), in Chromium,
// against a real tallyd and tally-central: the forms from the definition,
// a hard error and a warning from the daemon's own checks (dry run),
// signing, acknowledgement, double entry with a difference, the receipt,
// and the listener's refusals of other sites' requests.
'use strict';
const fs = require('fs');
const http = require('http');
const path = require('path');
const { execFileSync } = require('child_process');
const t = require('./lib');

const rec = (f) => JSON.parse(fs.readFileSync(path.join(t.RECORDS, f),
    'utf8'));

// Type the numbers of r into the form (registered is prefilled).
async function fill(page, r, change = {}) {
	const v = Object.assign({}, r, change);
	for (const f of ['voted', 'issued', 'received', 'valid', 'invalid'])
		await page.fill('#f-' + f, String(v[f]));
	for (const [c, n] of Object.entries(v.votes))
		await page.fill('#v-' + c.replace(/\./g, '\\.'), String(n));
}

// A raw request to the web listener with our own Host header.
function raw(url, method, pth, headers, body) {
	const u = new URL(url);
	return new Promise((resolve, reject) => {
		const req = http.request({ host: u.hostname, port: u.port,
		    method, path: pth, headers }, (res) => {
			res.resume();
			res.on('end', () => resolve(res.statusCode));
		});
		req.on('error', reject);
		req.end(body);
	});
}

async function batches(d) {
	return JSON.parse(t.tly(d, 'status', '--json')).batches;
}

t.run(async () => {
	const c = await t.startCentral('c');
	const d = await t.startDaemon('d', c, ['web-listen 127.0.0.1:0']);
	t.expect(d.url, 'the daemon reports its web port');
	const page = await t.newPage();
	const res = await page.goto(d.url + '/');
	t.expectEq('page status', res.status(), 200);
	await page.waitForSelector('#f-voted');
	t.expectEq('registered prefilled from the definition',
	    await page.inputValue('#f-registered'), '1180');
	t.expect(await page.isDisabled('#submit'), 'nothing to sign yet');
	await t.screenshot(page, 'entry-empty');

	// A hard error: the numbers and the fields named, nothing signable.
	const na = rec('A01-na.json');
	t.note('hard error H2');
	await fill(page, na, { received: na.valid + na.invalid + 1 });
	await page.waitForSelector('.problem[data-rule=H2]');
	const h2 = await page.textContent('.problem[data-rule=H2]');
	t.expect(h2.includes(`${na.valid} + ${na.invalid} = ` +
	    `${na.valid + na.invalid}`) && h2.includes(`received = ` +
	    `${na.valid + na.invalid + 1}`), 'H2 shows the numbers: ' + h2);
	t.expectEq('received marked', await page.getAttribute('#f-received',
	    'aria-invalid'), 'true');
	t.expect(await page.isDisabled('#submit'), 'a hard error blocks');
	await t.screenshot(page, 'entry-hard-error');

	// A warning: W1 asks for an explanation in the form itself.
	t.note('warning W1');
	await page.fill('#f-received', String(na.received));
	await page.fill('#f-issued', String(na.voted + 1));
	await page.fill('#f-received', String(na.received));
	await page.waitForSelector('.warning[data-rule=W1] input');
	await t.waitFor(async () => (await page.$$('.problem')).length === 0,
	    'the hard error clears');
	t.expect(await page.isDisabled('#submit'), 'an unexplained warning ' +
	    'blocks');
	await t.screenshot(page, 'entry-warning');
	await page.fill('#x-W1', 'Một cử tri nhận phiếu rồi bỏ về');
	await page.waitForSelector('#submit:not([disabled])');

	// The photo: larger than the page keeps (a tall PNG), so it is
	// scaled down on the device; the daemon hashes and keeps it.
	t.note('photo');
	const big = await page.screenshot({ fullPage: true });
	await page.setInputFiles('#photo', { name: 'bien-ban.png',
	    mimeType: 'image/png', buffer: big });
	await page.waitForSelector('#photo-state[data-photo]');
	const photo = await page.getAttribute('#photo-state', 'data-photo');
	const db = path.join(t.T, 'd', 'data', 'tallyd.db');
	const kept = path.join(t.T, 'photo.bin');
	execFileSync('sqlite3', [db, `SELECT writefile('${kept}', data) ` +
	    `FROM photos WHERE hex(hash) = upper('${photo}')`]);
	t.expect(fs.statSync(kept).size <= 1024 * 1024, 'photo within cap');
	t.expect(fs.readFileSync(kept).subarray(0, 3).equals(
	    Buffer.from([0xff, 0xd8, 0xff])), 'scaled down to a JPEG');
	t.expectEq('photo hash', execFileSync('b2sum', ['-l', '256', kept],
	    { encoding: 'utf8' }).split(' ')[0], photo);
	await page.waitForSelector('#submit:not([disabled])');
	await t.screenshot(page, 'entry-ready');
	t.expectEq('nothing signed by the checks', (await batches(d)).length,
	    0);

	// Sign; the batch is acknowledged by the central (page polls).
	await page.click('#submit');
	await page.waitForSelector('#batches tr[data-seq="1"]');
	await t.screenshot(page, 'entry-signed');
	await page.waitForSelector('#batches tr[data-seq="1"]' +
	    '[data-state=acknowledged]', { timeout: 30000 });
	await t.waitFor(async () => /Everything acknowledged/.test(
	    await page.textContent('#sync')), 'sync line in words');
	await t.screenshot(page, 'entry-acknowledged');
	const b1 = await batches(d);
	t.expectEq('one batch', b1.length, 1);
	t.expectEq('acknowledged', b1[0].state, 'acknowledged');
	const cdb = fs.readdirSync(path.join(t.T, 'c', 'data'))
	    .find((f) => f.endsWith('.db'));
	t.expect(execFileSync('sqlite3', [path.join(t.T, 'c', 'data', cdb),
	    'SELECT body FROM records'], { encoding: 'utf8' })
	    .includes(`"photo":"${photo}"`), 'the central holds the record ' +
	    'with the photo hash signed');

	// The photo follows the numbers to the central, checked there.
	await t.waitFor(async () => (await (await fetch(c.url +
	    '/v1/photos/' + photo)).json()).complete, 'the photo at the ' +
	    'central');
	t.expect(fs.readFileSync(path.join(t.T, 'c', 'data', 'photos',
	    photo)).equals(fs.readFileSync(kept)), 'the central has the ' +
	    'same bytes');
	await t.waitFor(async () => /1\/1/.test(await page.textContent(
	    '#sync')), 'the page says the photo was sent');

	// Double entry: the second clerk differs in one field.
	t.note('double entry');
	await page.check('#double');
	await page.click('#level-prov');
	const prov = rec('A01-prov.json');
	await fill(page, prov);
	await page.waitForSelector('#submit:not([disabled])');
	await page.click('#submit');
	await page.waitForSelector('#entry-pass:has-text("Second entry")');
	t.expectEq('second entry starts empty', await page.inputValue(
	    '#f-voted'), '');
	await fill(page, prov, { votes: Object.assign({}, prov.votes,
	    { 'P1.2': prov.votes['P1.2'] + 10 }) });
	await page.waitForSelector('#submit:not([disabled])');
	await page.click('#submit');
	await page.waitForSelector('#compare td.diff');
	t.expectEq('cells that differ', (await page.$$('#compare td.diff'))
	    .length, 2);
	t.expectEq('nothing signed while they differ',
	    (await batches(d)).length, 1);
	await t.screenshot(page, 'entry-double-differ');
	await page.fill('#v-P1\\.2', String(prov.votes['P1.2']));
	await page.waitForSelector('#submit:not([disabled])');
	await page.click('#submit');
	await page.waitForSelector('#batches tr[data-seq="2"]' +
	    '[data-state=acknowledged]', { timeout: 30000 });
	t.expectEq('two batches', (await batches(d)).length, 2);

	// The receipt for party agents.
	await page.click('#batches tr[data-seq="2"] button');
	await page.waitForSelector('#receipt:not([hidden])');
	const receipt = await page.textContent('#receipt-body');
	const b2 = (await batches(d))[1];
	t.expect(receipt.includes('Vũ Đức Anh: ' + prov.votes['P1.3']) &&
	    receipt.includes(b2.batch), 'receipt: ' + receipt);
	await t.screenshot(page, 'entry-receipt');

	// The bundle for a USB stick.
	const [dl] = await Promise.all([page.waitForEvent('download'),
	    page.click('#bundle')]);
	t.expect(fs.statSync(await dl.path()).size > 0, 'bundle downloaded');

	// Other sites may not use the listener.
	const port = new URL(d.url).port;
	t.expectEq('foreign Host', await raw(d.url, 'GET', '/v1/status',
	    { Host: 'evil.example:' + port }), 421);
	t.expectEq('form post', await raw(d.url, 'POST', '/v1/records',
	    { Host: '127.0.0.1:' + port, 'Content-Type': 'text/plain' },
	    JSON.stringify(na)), 403);
	t.expectEq('foreign Origin', await raw(d.url, 'POST', '/v1/sync',
	    { Host: '127.0.0.1:' + port, Origin: 'http://evil.example',
	    'Content-Type': 'application/json' }, '{}'), 403);
	t.expectEq('still two batches', (await batches(d)).length, 2);
});
