// t_public.js: the public view (PROTOCOL.md 8.9, 8.10) checks records in
// the viewer's browser.  A record as the central holds it shows
// "verified"; the same record whose batch bytes were altered on the way
// (one vote digit changed) shows "NOT verified"; a record whose photo the
// central cannot produce is not called verified either.  Without
// "public yes" there is no public view.
'use strict';
const fs = require('fs');
const path = require('path');
const t = require('./lib');

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

t.run(async () => {
	const closed = await t.startCentral('closed');
	const page = await t.newPage();
	const res = await page.goto(closed.url + '/public');
	t.expectEq('public view off by default', res.status(), 404);

	const c = await t.startCentral('c', ['public yes']);
	const d = await t.startDaemon('d', c);
	// A01/na without a photo; A05/na with its photo hash.
	const rec = JSON.parse(fs.readFileSync(path.join(t.RECORDS,
	    'A01-na.json'), 'utf8'));
	delete rec.photo;
	const f = path.join(t.T, 'A01-na.json');
	fs.writeFileSync(f, JSON.stringify(rec));
	t.tly(d, 'record', f);
	t.tly(d, 'record', path.join(t.RECORDS, 'A05-na.json'));
	await t.syncUntilDone(d);

	let got = await open(page, c.url, 'A01');
	t.expectEq('A01 records', got.length, 1);
	t.expectEq('A01 verdict', got[0].verdict, 'verified');
	t.expectEq('A01 flag', got[0].flag, '1');
	t.expect(got[0].text.includes('device signature verifies'),
	    'the signature line');
	await t.screenshot(page, 'public-verified');

	// The photo hash is signed but the central has no image: not verified.
	got = await open(page, c.url, 'A05');
	t.expectEq('A05 verdict', got[0].verdict, 'NOT verified');
	t.expect(got[0].text.includes('photo'), 'says why: the photo');

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
	t.expectEq('tampered verdict', got[0].verdict, 'NOT verified');
	t.expectEq('tampered flag', got[0].flag, '0');
	t.expect(got[0].text.includes('signature does not verify'),
	    'the signature fails');
	await t.screenshot(page, 'public-tampered');
	await page.unroute(/\/v1\/batches\/[0-9a-f]{64}$/);

	// The results part links down to the polling areas.
	await page.goto(c.url + '/public');
	await t.waitFor(() => page.evaluate(() =>
	    document.querySelectorAll('#results a[href="#area=A01"]').length > 0),
	    'results link to area A01');
	await t.screenshot(page, 'public-results');
});
