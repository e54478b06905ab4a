// t_harness.js: the browser harness itself works: Chromium starts,
// loads a page from a real tally-central on 127.0.0.1, and the
// screenshots are written.
'use strict';
const fs = require('fs');
const path = require('path');
const t = require('./lib');

t.run(async () => {
	const c = await t.startCentral('c');
	const page = await t.newPage();
	const res = await page.goto(c.url + '/v1/status');
	t.expectEq('status code', res.status(), 200);
	const body = JSON.parse(await page.evaluate(() =>
	    document.body.innerText));
	t.expect(typeof body === 'object' && body !== null, 'a JSON object');
	await t.screenshot(page, 'harness-status');
	for (const w of [390, 1280])
		t.expect(fs.statSync(path.join(t.SHOTS,
		    `harness-status-${w}.png`)).size > 0, `screenshot at ${w} px`);
	t.note('chromium loaded /v1/status: ' + Object.keys(body).join(','));
});
