// phones.js: on the laptop's own page (127.0.0.1) only, the phones on
// the team's Wi-Fi (lan-listen, PROTOCOL.md 9.6): the address and the
// certificate fingerprint to compare, a pairing code to type on a
// phone, and the paired phones, each of which can be revoked.  Through
// GET /v1/pairings, POST /v1/pairings/code and DELETE /v1/pairings/{id},
// which the command line can use too.
'use strict';
(function () {
	const $ = (id) => document.getElementById(id);
	if (!['127.0.0.1', 'localhost'].includes(location.hostname)) return;

	function cell(text) {
		const td = document.createElement('td');
		td.textContent = text;
		return td;
	}

	async function draw() {
		const r = await fetch('/v1/pairings', { cache: 'no-store' });
		if (!r.ok) return;		// no lan-listen: nothing to show
		const d = await r.json();
		$('phones').hidden = false;
		$('lan-url').textContent = d.url;
		$('lan-fp').textContent = d.fingerprint;
		const rows = d.pairings.map((p) => {
			const tr = document.createElement('tr');
			const b = document.createElement('button');
			b.type = 'button';
			b.textContent = 'Thu hồi / Revoke';
			b.setAttribute('aria-label', 'Revoke ' + p.label);
			b.addEventListener('click', async () => {
				await fetch('/v1/pairings/' + p.id, { method: 'DELETE',
					headers: { 'Content-Type': 'application/json' } });
				draw();
			});
			const td = document.createElement('td');
			td.append(b);
			tr.dataset.id = p.id;
			tr.append(cell(p.label), cell(new Date(p.created * 1000)
			    .toLocaleString()), td);
			return tr;
		});
		if (!rows.length) {
			const tr = document.createElement('tr');
			const td = cell('Chưa có / None yet');
			td.colSpan = 3;
			tr.append(td);
			rows.push(tr);
		}
		$('pairings').replaceChildren(...rows);
	}

	$('pair-code-btn').addEventListener('click', async () => {
		const r = await fetch('/v1/pairings/code', { method: 'POST',
			headers: { 'Content-Type': 'application/json' } });
		const j = await r.json();
		$('pair-code').textContent = r.ok ? j.code + ' (' +
		    new Date(j.expires * 1000).toLocaleTimeString() + ')' :
		    j.error.message;
	});
	draw();
	setInterval(draw, 5000);
})();
