// t_dashboard.js: the committee's dashboard (PROTOCOL.md 8.9) follows
// ingest without reloading: records arrive while it is open and the
// reporting figures grow; turnout by polling area (8.13) shows how many
// areas fall in each band, the lowest areas, and every area of a chosen
// constituency; a conflict between two devices shows both sides with the
// exact 'tally decision resolve' command for each.
'use strict';
const fs = require('fs');
const path = require('path');
const t = require('./lib');

t.run(async () => {
	const c = await t.startCentral('c');
	const a = await t.startDaemon('a', c);
	const b = await t.startDaemon('b', c);
	const page = await t.newPage();
	await page.goto(c.url + '/');
	// A marker that a full reload would lose.
	await page.evaluate(() => { window.notReloaded = true; });
	const reporting = () => page.evaluate(() =>
	    Number(document.getElementById('updated').dataset.reporting));
	await t.waitFor(async () => (await reporting()) === 0, 'first answer');

	const files = fs.readdirSync(t.RECORDS).filter((f) =>
	    f.endsWith('.json')).sort();
	let seen = 0;
	for (const f of files.slice(0, 4)) {
		t.tly(a, 'record', path.join(t.RECORDS, f));
		await t.syncUntilDone(a);
		const want = seen + 1;
		seen = await t.waitFor(async () => {
			const n = await reporting();
			return n >= want ? n : 0;
		}, `dashboard shows record ${want}`);
	}
	t.expect(await page.evaluate(() => window.notReloaded === true),
	    'the page updated without a reload');
	t.note(`reporting ${seen} after 4 records`);

	// Turnout by polling area: the answer counts what was recorded.
	const recorded = files.slice(0, 4).map((f) => JSON.parse(
	    fs.readFileSync(path.join(t.RECORDS, f), 'utf8')))
	    .filter((r) => r.level === 'na');
	const tu = await t.waitFor(async () => {
		const r = await page.request.get(c.url + '/v1/turnout?level=na');
		const j = await r.json();
		return j.reporting === recorded.length ? j : null;
	}, 'turnout counts the na records');
	t.expectEq('bands hold every reporting area', tu.bands.reduce(
	    (n, b) => n + b.areas, 0) + tu.unknown, recorded.length);
	t.expectEq('lowest lists them', tu.lowest.length, recorded.length);
	const low = recorded.reduce((m, r) => r.voted * m.registered <
	    m.voted * r.registered ? r : m);
	t.expectEq('the lowest area first', tu.lowest[0].area, low.area);
	t.expectEq('its voted', tu.lowest[0].voted, low.voted);
	t.expectEq('unknown level', (await page.request.get(c.url +
	    '/v1/turnout?level=zz')).status(), 404);
	await page.selectOption('#turnout-level', 'na');
	await t.waitFor(() => page.evaluate((n) =>
	    document.querySelectorAll('#lowest tbody tr th').length === n,
	    recorded.length), 'the lowest areas are listed');
	const bandText = await page.$eval('#chart-turnout svg',
	    (e) => e.getAttribute('aria-label'));
	t.expect(bandText.includes(`${recorded.length} of ${tu.areas} ` +
	    'polling areas'), 'the chart says how many: ' + bandText);
	// Drill down to the constituency of the first record.
	await page.selectOption('#turnout-cons', low.constituency);
	const per = await t.waitFor(() => page.evaluate(() => {
		const s = document.querySelector('#chart-areas svg');
		return s ? s.querySelectorAll('rect').length : 0;
	}), 'every area of the constituency is drawn');
	const def = JSON.parse(fs.readFileSync(t.ELECTION, 'utf8'));
	t.expectEq('one bar per area', per, def.areas.filter((a) =>
	    a.constituencies.na === low.constituency).length);
	await t.screenshot(page, 'dashboard-turnout');

	// A01/na entered differently on device b: a conflict, both sides.
	const a01 = JSON.parse(fs.readFileSync(path.join(t.RECORDS,
	    'A01-na.json'), 'utf8'));
	if (!files.slice(0, 4).includes('A01-na.json')) {
		t.tly(a, 'record', path.join(t.RECORDS, 'A01-na.json'));
		await t.syncUntilDone(a);
	}
	const v = a01.votes;
	[v['NA1.1'], v['NA1.2']] = [v['NA1.2'], v['NA1.1']];
	const other = path.join(t.T, 'A01-b.json');
	fs.writeFileSync(other, JSON.stringify(a01));
	t.tly(b, 'record', other);
	await t.syncUntilDone(b);
	await t.waitFor(() => page.evaluate(() =>
	    document.querySelectorAll('#conflicts .side').length === 2),
	    'both sides of the conflict shown');
	const cmds = await page.$$eval('#conflicts pre.cmd', (es) =>
	    es.map((e) => e.textContent));
	t.expectEq('commands', cmds.length, 2);
	for (const cmd of cmds)
		t.expect(/^tally decision resolve --key ADJUDICATOR\.key --election ELECTION --area A01 --level na --round 1 --record [0-9a-f]{64}:0 --over [0-9a-f]{64}:0,[0-9a-f]{64}:0 --out /.test(cmd),
		    'resolve command: ' + cmd);
	t.expect(cmds[0] !== cmds[1], 'one command per side');
	const dis = await page.$$eval('#cons .st', (es) =>
	    es.map((e) => e.textContent));
	t.expect(dis.includes('disputed'), 'the constituency shows disputed');
	await t.screenshot(page, 'dashboard');

	// A central holding more conflicts than one answer carries (8.7:
	// "more") makes the page say so.  1,000 conflicts are too many to
	// make here, so this answer is the central's own with "more" set.
	await page.route('**/v1/conflicts', async (route) => {
		const h = { ...route.request().headers() };
		delete h['if-none-match'];
		const r = await route.fetch({ headers: h });
		const j = await r.json();
		j.more = true;
		await route.fulfill({ status: 200, contentType: 'application/json',
		    headers: { ETag: '"more"' }, body: JSON.stringify(j) });
	});
	await t.waitFor(() => page.evaluate(() => /More conflicts exist than shown/
	    .test(document.getElementById('conflicts').textContent)),
	    'the page says that more conflicts exist');
	t.expectEq('both sides still shown', await page.$$eval('#conflicts .side',
	    (es) => es.length), 2);
	await page.unroute('**/v1/conflicts');

	// Keyboard: every control is reachable with Tab and has a label.
	const unlabelled = await page.$$eval('select, input, button', (es) =>
	    es.filter((e) => !e.labels || e.labels.length === 0).length);
	t.expectEq('controls without a label', unlabelled, 0);
});
