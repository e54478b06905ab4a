// pair.js: the pairing form, the only page the phones' port serves to a
// browser that is not paired (PROTOCOL.md 9.6).  A right code sets the
// pairing cookie; the entry page then loads in its place.
'use strict';
(function () {
	const form = document.getElementById('pair-form');
	const said = document.getElementById('pair-said');

	form.addEventListener('submit', async (ev) => {
		ev.preventDefault();
		said.className = '';
		said.textContent = '…';
		let r, j = null;
		try {
			r = await fetch('/v1/pair', { method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({
					code: document.getElementById('pair-code').value.trim(),
					label: document.getElementById('pair-label').value.trim() }) });
			try { j = await r.json(); } catch (e) { j = null; }
		} catch (e) {
			said.className = 'bad';
			said.textContent = 'Không kết nối được / The laptop cannot be reached: ' + e.message;
			return;
		}
		if (r.ok) {
			location.replace('/');
			return;
		}
		said.className = 'bad';
		said.textContent = 'Không ghép nối được / Not paired: ' +
		    (j && j.error ? j.error.message : 'HTTP ' + r.status);
	});
})();
