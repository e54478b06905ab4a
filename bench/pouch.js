// pouch.js: the peer, for bench/run.sh.  PouchDB takes the same count
// records as plain JSON documents, on a local pouchdb-server.
//
//	node bench/pouch.js URL RECORDSDIR NAREAS [CONC]
//
// Reads the first NAREAS files RECORDSDIR/<area>.json that `tally gen`
// wrote (one array of records per area), makes one document per record
// (_id "<area>/<level>/<round>"), then on the server at URL:
//   - _bulk_docs with 4 documents per request, CONC requests at a time,
//     into a new database bulk4;
//   - _bulk_docs with 100 documents per request, into bulk100;
//   - replication (POST /_replicate) from bulk4 into a new database repl.
// Prints docs/s for each and one line "RESULT bulk4_s=... bulk100_s=...
// repl_s=... docs=..." for scripts.  Node 18 or later (global fetch).
'use strict';
const fs = require('fs');
const path = require('path');

const [url, dir, nareasArg, concArg] = process.argv.slice(2);
if (!url || !dir || !nareasArg) {
	console.error('usage: node pouch.js url recordsdir nareas [conc]');
	process.exit(2);
}
const nareas = parseInt(nareasArg, 10);
const conc = parseInt(concArg || '64', 10);

async function req(method, p, body) {
	const r = await fetch(url + p, {
		method,
		headers: { 'Content-Type': 'application/json' },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await r.text();
	if (r.status >= 300)
		throw new Error(`${method} ${p}: ${r.status} ${text.slice(0, 200)}`);
	return JSON.parse(text);
}

// Post docs in requests of `per`, conc at a time; docs/s.
async function bulk(db, docs, per) {
	await req('PUT', '/' + db);
	const chunks = [];
	for (let i = 0; i < docs.length; i += per)
		chunks.push(docs.slice(i, i + per));
	let next = 0;
	const t0 = process.hrtime.bigint();
	async function worker() {
		while (next < chunks.length) {
			const c = chunks[next++];
			const res = await req('POST', `/${db}/_bulk_docs`,
			    { docs: c });
			for (const x of res)
				if (!x.ok)
					throw new Error(`${db}: ${JSON.stringify(x)}`);
		}
	}
	await Promise.all(Array.from({ length: conc }, worker));
	return docs.length / (Number(process.hrtime.bigint() - t0) / 1e9);
}

async function main() {
	const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'))
	    .sort().slice(0, nareas);
	const docs = [];
	for (const f of files)
		for (const r of JSON.parse(fs.readFileSync(path.join(dir, f))))
			docs.push(Object.assign({
				_id: `${r.area}/${r.level}/${r.round}`,
			}, r));
	const b4 = await bulk('bulk4', docs, 4);
	console.log(`pouch: _bulk_docs x4, c${conc}: ${b4.toFixed(0)} docs/s`);
	const b100 = await bulk('bulk100', docs, 100);
	console.log(`pouch: _bulk_docs x100, c${conc}: ` +
	    `${b100.toFixed(0)} docs/s`);
	await req('PUT', '/repl');
	const t0 = process.hrtime.bigint();
	const res = await req('POST', '/_replicate',
	    { source: 'bulk4', target: 'repl' });
	const repl = docs.length / (Number(process.hrtime.bigint() - t0) / 1e9);
	if (!res.ok || res.docs_written !== docs.length)
		throw new Error('replication: ' + JSON.stringify(res));
	console.log(`pouch: replication: ${repl.toFixed(0)} docs/s`);
	console.log(`RESULT docs=${docs.length} bulk4_s=${b4.toFixed(1)} ` +
	    `bulk100_s=${b100.toFixed(1)} repl_s=${repl.toFixed(1)}`);
}

main().catch((e) => {
	console.error('pouch: ' + e.message);
	process.exit(1);
});
