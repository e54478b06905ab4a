// lib.js: helpers for browser tests.  Require it from a test script.
//
// As tests/integration/lib.sh does, every test runs the real binaries on
// 127.0.0.1 (port 0) in its own temporary directory, waits on each
// server's readiness fd (never on time), and cleans up on exit.  Pages
// are driven in the system's headless Chromium (/usr/bin/chromium, or
// $CHROMIUM) through playwright-core; no browser is downloaded.
// Screenshots go to $BUILD/screenshots/NAME-390.png and NAME-1280.png.
//
// Usage:
//   const t = require('./lib');
//   t.run(async () => {
//     const c = await t.startCentral('c');
//     const page = await t.newPage();
//     await page.goto(c.url + '/v1/...');
//     await t.screenshot(page, 'x');
//     t.expect(cond, 'what');
//   });

'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { chromium } = require('playwright-core');

const ROOT = path.resolve(__dirname, '..', '..');
const BIN = path.resolve(ROOT, process.env.BIN || 'bin');
const BUILD = path.resolve(ROOT, process.env.BUILD || 'build');
const VEC = path.join(ROOT, 'tests', 'vectors');
const ELECTION = path.join(VEC, 'election-small.json');
const RECORDS = path.join(VEC, 'records-small');
const SHOTS = path.join(BUILD, 'screenshots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const READY_MS = 30000;		// bound on a server's readiness
const WAIT_MS = 30000;		// default bound of waitFor

// The flags this needs on a machine without a display, a sandbox or the
// network; each run gets a new, empty user-data-dir.
const CHROMIUM_ARGS = [
	'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
	'--no-first-run', '--disable-background-networking',
	'--disable-component-update', '--disable-sync',
];

const T = fs.mkdtempSync(path.join(process.env.TMPDIR || os.tmpdir(),
    'tally-br.'));
const children = [];
let context = null;

function note(msg) { console.log('-- ' + msg); }

// expect(cond, what): throw (the test fails) unless cond holds.
function expect(cond, what) {
	if (!cond)
		throw new Error('expectation failed: ' + what);
}

function expectEq(what, got, want) {
	if (got !== want)
		throw new Error(`${what}: got '${got}', expected '${want}'`);
}

// waitFor(fn, what, ms): poll fn (which may be async) until it returns
// a truthy value, bounded by ms; each try waits for the previous one.
async function waitFor(fn, what, ms = WAIT_MS) {
	const until = Date.now() + ms;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last)
				return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > until)
			throw new Error(`${what}: not within ${ms} ms (last: ${last})`);
		await new Promise((r) => setTimeout(r, 20));	// a poll interval
	}
}

// keygen(name): a key pair at T/keys/NAME.{key,pub}
function keygen(name) {
	const d = path.join(T, 'keys');
	fs.mkdirSync(d, { recursive: true });
	const key = path.join(d, name + '.key');
	if (!fs.existsSync(key))
		execFileSync(path.join(BIN, 'tally'), ['keygen', '-o',
		    path.join(d, name)], { stdio: 'ignore' });
	return { key, pub: path.join(d, name + '.pub') };
}

// spawnReady(name, prog, args): start prog with fd 3 a pipe, resolve with
// its first line (the readiness line), bounded by READY_MS.  Its stderr
// goes to T/NAME/NAME.log.
function spawnReady(name, prog, args) {
	const dir = path.join(T, name);
	const log = fs.openSync(path.join(dir, path.basename(prog) + '.log'),
	    'a');
	const child = spawn(prog, args.concat(['-R', '3']),
	    { stdio: ['ignore', log, log, 'pipe'] });
	fs.closeSync(log);
	children.push(child);
	return new Promise((resolve, reject) => {
		let buf = '';
		const timer = setTimeout(() => reject(new Error(
		    `${name} did not get ready within ${READY_MS} ms`)), READY_MS);
		child.stdio[3].on('data', (d) => {
			buf += d;
			const nl = buf.indexOf('\n');
			if (nl >= 0) {
				clearTimeout(timer);
				resolve({ child, line: buf.slice(0, nl) });
			}
		});
		child.on('exit', (code, sig) => {
			clearTimeout(timer);
			reject(new Error(`${name} exited (${code ?? sig}) before ready`));
		});
	});
}

// tallyc(...args): the tally CLI without a daemon; its stdout.
function tallyc(...args) {
	return execFileSync(path.join(BIN, 'tally'), args,
	    { encoding: 'utf8' });
}

// authority(name): an authority at T/NAME: its key pair NAME/auth.{key,pub}
// and the signed definition NAME/election.sig, as the committee makes
// them (tally authority init, tally election sign); { dir, key, pub,
// sig, id } (id: the authority key id in hex).
function authority(name) {
	const dir = path.join(T, name);
	fs.mkdirSync(path.join(dir, 'certs'), { recursive: true });
	const base = path.join(dir, 'auth');
	tallyc('authority', 'init', '-o', base);
	const sig = path.join(dir, 'election.sig');
	tallyc('election', 'sign', '--authority', base + '.key', '--out', sig,
	    ELECTION);
	const id = fs.readFileSync(base + '.pub', 'utf8').split(' ')[1].trim();
	return { dir, key: base + '.key', pub: base + '.pub', sig, id };
}

// enroll(auth, name, areas, serial, extra): the device key of daemon NAME
// (T/NAME/data/device.key, where tallyd looks) certified by auth for
// areas (e.g. 'A01,A05' or '*') at every level, installed beside the key;
// extra: more 'tally cert issue' options.  Returns the certificate's path
// in the authority's certs/.
function enroll(auth, name, areas, serial, extra = []) {
	const data = path.join(T, name, 'data');
	fs.mkdirSync(data, { recursive: true });
	const key = path.join(data, 'device.key');
	if (!fs.existsSync(key))
		tallyc('enroll', 'request', '--key', key, '--name', name,
		    '--no-qr');
	const cert = path.join(auth.dir, 'certs', name + '.cert');
	certIssue(auth, path.join(data, 'device.req'), areas, serial, cert,
	    extra);
	tallyc('enroll', 'install', '--key', key, '--authority', auth.pub,
	    cert);
	return cert;
}

// certIssue(auth, req, areas, serial, out, extra): a clerk certificate for
// the request file req, for areas at every level, valid from 2020 until
// 2099 unless extra says otherwise.
function certIssue(auth, req, areas, serial, out, extra = []) {
	tallyc('cert', 'issue', '--authority', auth.key, '--request', req,
	    '--election', ELECTION, '--areas', areas, '--levels', '*',
	    '--not-before', '2020-01-01', '--not-after', '2099-12-31',
	    '--serial', String(serial), '--out', out, ...extra);
	return out;
}

// startCentral(name, extra, auth): tally-central with the key
// T/keys/NAME.key and the store T/NAME/data; resolves with { name, url,
// port, pub, auth }.  extra: more configuration lines.  With auth (from
// authority()) the central is closed (PROTOCOL.md 13.8): the signed
// definition, the certificates in auth's certs/ and its own central
// certificate (serial 1000), T/NAME/central.cert.
async function startCentral(name, extra = [], auth = null) {
	const dir = path.join(T, name);
	fs.mkdirSync(dir, { recursive: true });
	const k = keygen(name);
	const conf = path.join(dir, 'central.conf');
	let closed = [], cc = null;
	if (auth) {
		cc = path.join(dir, 'central.cert');
		tallyc('cert', 'central', '--authority', auth.key, '--key',
		    k.pub, '--election', ELECTION, '--not-after',
		    '2099-12-31', '--serial', '1000', '--out', cc);
		closed = [`authority ${auth.pub}`, `central-cert ${cc}`,
		    `certificates ${auth.dir}/certs`,
		    `definition-signature ${auth.sig}`];
	}
	fs.writeFileSync(conf, [`datadir ${dir}/data`, 'listen 127.0.0.1:0',
	    `key ${k.key}`, `election ${ELECTION}`, 'mode test']
	    .concat(closed, extra).join('\n') + '\n');
	const { child, line } = await spawnReady(name,
	    path.join(BIN, 'tally-central'), ['-c', conf]);
	const m = /^READY port=(\d+)$/.exec(line);
	if (!m)
		throw new Error(`central ${name}: bad readiness line '${line}'`);
	const port = Number(m[1]);
	return { name, child, port, url: `http://127.0.0.1:${port}`,
	    pub: k.pub, auth, cert: cc };
}

// startDaemon(name, central, extra): tallyd with its store at T/NAME/data,
// its socket T/NAME/tallyd.sock, sending to central (from startCentral)
// unless null (to a closed central: with its authority and central
// certificate; enroll() the daemon first); resolves with { name, sock,
// line, url, lan }: url is the entry page's (http://127.0.0.1:N) when
// extra has "web-listen 127.0.0.1:0", lan the phones' (https://IP:N)
// when it also has "lan-listen IP:0".
async function startDaemon(name, central, extra = []) {
	const dir = path.join(T, name);
	fs.mkdirSync(dir, { recursive: true });
	const sock = path.join(dir, 'tallyd.sock');
	const lines = [`datadir ${dir}/data`, `socket ${sock}`,
	    `election ${ELECTION}`, 'mode test', 'backoff-min 1',
	    'backoff-max 2'];
	if (central && central.auth)
		lines.push(`central ${central.url}`,
		    `authority ${central.auth.pub}`,
		    `central-cert ${central.cert}`);
	else if (central)
		lines.push(`central ${central.url}`, `central-key ${central.pub}`);
	const conf = path.join(dir, 'tallyd.conf');
	fs.writeFileSync(conf, lines.concat(extra).join('\n') + '\n');
	const { child, line } = await spawnReady(name,
	    path.join(BIN, 'tallyd'), ['-c', conf]);
	const m = /^READY(?: web=(\d+))?(?: lan=(\d+))?$/.exec(line);
	if (!m)
		throw new Error(`daemon ${name}: bad readiness line '${line}'`);
	const lan = extra.map((x) => /^lan-listen ([0-9.]+):/.exec(x))
	    .find((x) => x);
	return { name, child, sock, line,
	    url: m[1] ? `http://127.0.0.1:${m[1]}` : null,
	    lan: m[2] && lan ? `https://${lan[1]}:${m[2]}` : null };
}

// tly(daemon, ...args): the tally CLI against a daemon; its stdout.
function tly(daemon, ...args) {
	return execFileSync(path.join(BIN, 'tally'),
	    ['-s', daemon.sock].concat(args), { encoding: 'utf8' });
}

// syncUntilDone(daemon): run 'tally sync' until nothing is pending
// (bounded by waitFor).
async function syncUntilDone(daemon) {
	await waitFor(() => {
		const o = JSON.parse(tly(daemon, 'sync', '--json'));
		return o.outcome === 'ok' && o.pending === 0;
	}, `daemon ${daemon.name} syncs`);
}

// newPage(opts): a page in the one browser context of this test; the
// first call's opts (e.g. { ignoreHTTPSErrors: true }) go to the context.
async function newPage(opts = {}) {
	if (!context) {
		const profile = fs.mkdtempSync(path.join(T, 'profile.'));
		context = await chromium.launchPersistentContext(profile, {
			executablePath: CHROMIUM,
			headless: true,
			args: CHROMIUM_ARGS,
			viewport: { width: 1280, height: 800 },
			offline: false,
			...opts,
		});
	}
	const page = await context.newPage();
	page.on('pageerror', (e) => console.log('page error: ' + e.message));
	return page;
}

// screenshot(page, name): the whole page at a phone's width (390 px) and
// at a laptop's (1280 px), in $BUILD/screenshots/; the page is left at
// the laptop width.  It fails when the page is wider than the window.
async function screenshot(page, name) {
	fs.mkdirSync(SHOTS, { recursive: true });
	for (const [w, h] of [[390, 844], [1280, 800]]) {
		await page.setViewportSize({ width: w, height: h });
		await page.screenshot({ path: path.join(SHOTS, `${name}-${w}.png`),
		    fullPage: true });
		// Nothing may be wider than a phone's screen.
		const sw = await page.evaluate(() =>
		    document.documentElement.scrollWidth);
		if (sw > w)
			throw new Error(`${name}: the page is ${sw} px wide at ${w} px`);
	}
}

async function cleanup() {
	if (context)
		await context.close().catch(() => {});
	for (const c of children)
		if (c.exitCode === null && c.signalCode === null)
			c.kill('SIGTERM');
	await Promise.all(children.map((c) => new Promise((r) => {
		if (c.exitCode !== null || c.signalCode !== null)
			r();
		else
			c.on('exit', r);
	})));
	if (process.env.KEEP === '1')
		console.log('kept ' + T);
	else
		fs.rmSync(T, { recursive: true, force: true });
}

function dumpLogs() {
	for (const d of fs.readdirSync(T)) {
		const dir = path.join(T, d);
		if (!fs.statSync(dir).isDirectory())
			continue;
		for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.log'))) {
			const text = fs.readFileSync(path.join(dir, f), 'utf8');
			console.log(`== ${dir}/${f}`);
			console.log(text.split('\n').slice(-20).join('\n'));
		}
	}
}

// run(fn): run the test body; exit 0 if it resolves, 1 (with the
// servers' logs) if it throws.  Cleans up either way.
function run(fn) {
	(async () => {
		let code = 0;
		try {
			await fn();
		} catch (e) {
			console.log('FAIL: ' + (e && e.stack ? e.stack : e));
			dumpLogs();
			code = 1;
		}
		await cleanup();
		process.exit(code);
	})();
}

module.exports = {
	ROOT, BIN, BUILD, T, VEC, ELECTION, RECORDS, SHOTS,
	note, expect, expectEq, waitFor, keygen, tallyc, authority, enroll,
	certIssue, startCentral, startDaemon,
	tly, syncUntilDone, newPage, screenshot, run,
};
