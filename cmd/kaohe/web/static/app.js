// kaohe's pages: the official's key signs in this browser (WebCrypto
// Ed25519), never on the server. The key is kept in IndexedDB as a
// non-extractable CryptoKey: the page can sign with it, nobody can read it.
'use strict';
(function () {
  const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  function b32decode(s) {
    const out = []; let bits = 0, val = 0;
    for (const ch of s.replace(/=+$/, '')) {
      const i = B32.indexOf(ch);
      if (i < 0) throw new Error('not base32: ' + ch);
      val = (val << 5) | i; bits += 5;
      if (bits >= 8) { out.push((val >>> (bits - 8)) & 255); bits -= 8; }
    }
    return new Uint8Array(out);
  }
  function b32encode(b) {
    let out = '', bits = 0, val = 0;
    for (const x of b) { val = (val << 8) | x; bits += 8; while (bits >= 5) { out += B32[(val >>> (bits - 5)) & 31]; bits -= 5; } }
    if (bits > 0) out += B32[(val << (5 - bits)) & 31];
    return out;
  }
  // nkeys' checksum: CRC-16/XMODEM, stored little-endian.
  function crc16(b) {
    let crc = 0;
    for (const x of b) {
      crc ^= x << 8;
      for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
    return crc;
  }
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

  // A seed "SU…" → the 32-byte ed25519 seed (checksum checked).
  function seedBytes(text) {
    const raw = b32decode(text.trim());
    if (raw.length !== 36 || text.trim()[0] !== 'S' || text.trim()[1] !== 'U') throw new Error('not an nkey user seed (SU…)');
    const crc = raw[34] | (raw[35] << 8);
    if (crc16(raw.slice(0, 34)) !== crc) throw new Error('the seed\'s checksum is wrong');
    return raw.slice(2, 34);
  }
  function publicKeyText(pub) {
    const raw = new Uint8Array(35);
    raw[0] = 20 << 3; raw.set(pub, 1);
    const crc = crc16(raw.slice(0, 33));
    raw[33] = crc & 255; raw[34] = crc >> 8;
    return b32encode(raw);
  }
  async function importSeed(text) {
    const pkcs8 = new Uint8Array(48);
    pkcs8.set([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
    pkcs8.set(seedBytes(text), 16);
    const ext = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', ext);
    const key = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'Ed25519' }, false, ['sign']);
    return { key, pub: publicKeyText(unb64url(jwk.x)) };
  }

  function idb() {
    return new Promise((ok, ko) => {
      const r = indexedDB.open('kaohe', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('keys');
      r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
    });
  }
  async function store(op, value) {
    const db = await idb();
    return new Promise((ok, ko) => {
      const tx = db.transaction('keys', op === 'get' ? 'readonly' : 'readwrite');
      const st = tx.objectStore('keys');
      const r = op === 'get' ? st.get('me') : op === 'put' ? st.put(value, 'me') : st.delete('me');
      r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error);
    });
  }

  async function sign(key, text) {
    return b64(await crypto.subtle.sign({ name: 'Ed25519' }, key, new TextEncoder().encode(text)));
  }

  // Canonical JSON as events/doc.go defines it: keys sorted, no
  // whitespace, Go's string escaping without HTML escaping.
  function canon(v) {
    if (v === null || typeof v !== 'object') return JSON.stringify(v).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
    if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
    const ks = Object.keys(v).filter((k) => v[k] !== undefined).sort();
    return '{' + ks.map((k) => canon(k) + ':' + canon(v[k])).join(',') + '}';
  }

  // signCommand gives the JSON line of a command signed by the logged-in
  // official: what it signs is "kaohe-command-v1\n" + the canonical
  // command without signer and sig.
  async function signCommand(c) {
    const me = await store('get');
    if (!me) throw new Error('log in again: this browser holds no key');
    const cmd = { id: c.id, type: c.type, year: c.year, actor: c.actor || { id: '', role: '' }, data: c.data || {} };
    for (const k of ['occurred_at', 'reason', 'causation_id', 'correlation_id']) if (c[k]) cmd[k] = c[k];
    const text = canon(cmd);
    const sig = await sign(me.key, 'kaohe-command-v1\n' + text);
    return text.slice(0, -1) + ',"signer":' + JSON.stringify(me.pub) + ',"sig":' + JSON.stringify(sig) + '}';
  }

  async function api(method, path, body, type) {
    const opt = { method, headers: {} };
    if (body !== undefined) {
      if (body instanceof FormData) opt.body = body;
      else { opt.body = typeof body === 'string' ? body : JSON.stringify(body); opt.headers['Content-Type'] = type || 'application/json'; }
    }
    const r = await fetch(path, opt);
    const ct = r.headers.get('Content-Type') || '';
    const v = ct.includes('json') ? await r.json() : await r.text();
    if (!r.ok) { const e = new Error((v && v.error) || r.statusText); e.info = v; e.status = r.status; throw e; }
    return v;
  }
  const me = () => api('GET', '/api/auth/me');
  const newID = (kind) => 'web-' + kind + '-' + Array.from(crypto.getRandomValues(new Uint8Array(8)), (x) => x.toString(16).padStart(2, '0')).join('');
  async function submit(lines) { return api('POST', '/api/submit', lines.join('\n') + '\n', 'application/x-ndjson'); }
  function status(msg, bad) {
    const el = document.getElementById('status');
    if (el) { el.textContent = msg; el.className = bad ? 'error' : 'ok'; }
  }
  const year = () => Number(document.body.dataset.year);
  const guard = (f) => async (ev) => { if (ev) ev.preventDefault(); try { await f(ev); } catch (e) { status(e.message, true); } };

  async function login(ev) {
    const form = ev.target;
    let text = document.getElementById('seed').value;
    const file = document.getElementById('keyfile').files[0];
    if (file) text = await file.text();
    const m = text.match(/SU[A-Z2-7]{56}/);
    if (!m) throw new Error('no nkey user seed (SU…) in the key');
    const k = await importSeed(m[0]);
    const ch = await api('POST', '/api/auth/challenge', { key: k.pub });
    const sig = await sign(k.key, ch.prefix + ch.challenge);
    await api('POST', '/api/auth/session', { key: k.pub, challenge: ch.challenge, sig });
    await store('put', k);
    location.href = form.dataset.next || '/me';
  }

  // Department: the filled cells become commands on the server (as kaohe
  // submit reads a sheet), signed here, submitted all or nothing.
  async function signAndSubmit(cmds) {
    if (!cmds.length) { status('—'); return null; }
    const lines = [];
    for (const c of cmds) lines.push(await signCommand(c));
    return submit(lines);
  }
  function cellError(line, msg) {
    const row = document.querySelector('#sheet tr[data-line="' + (line - 1) + '"]');
    if (!row) return false;
    row.querySelector('.cell-error').textContent = msg; row.classList.add('bad');
    return true;
  }
  async function sheet() {
    document.querySelectorAll('#sheet .cell-error').forEach((e) => { e.textContent = ''; });
    document.querySelectorAll('#sheet tr.bad').forEach((e) => e.classList.remove('bad'));
    const cells = []; let bad = false;
    document.querySelectorAll('#sheet tbody tr').forEach((tr) => {
      const value = tr.querySelector('.value').value.trim();
      if (!value) return;
      const line = Number(tr.dataset.line) + 1;
      if (!/^-?[0-9]{1,13}(\.[0-9]{1,6})?$/.test(value)) { bad = cellError(line, '不是数字 not a number') || true; return; }
      cells.push({ line, unit: tr.dataset.unit, indicator: tr.dataset.indicator, part: tr.dataset.part, value, reason: tr.querySelector('.reason').value.trim() });
    });
    if (bad) throw new Error('请更正标出的单元格 fix the marked cells');
    let cmds;
    try {
      cmds = await api('POST', '/api/sheet/commands', { year: year(), cells });
    } catch (e) {
      const m = /row (\d+)/.exec(e.message);
      if (m) cellError(Number(m[1]), e.message);
      throw e;
    }
    try {
      const r = await signAndSubmit(cmds);
      if (r) { status(r.output); setTimeout(() => location.reload(), 600); }
    } catch (e) {
      const m = e.info && /-r(\d+)$/.exec(e.info.command || '');
      if (m) cellError(Number(m[1]), e.message);
      throw e;
    }
  }
  async function uploadSheet(ev) {
    const cmds = await api('POST', '/api/sheet/commands', new FormData(ev.target));
    const r = await signAndSubmit(cmds);
    if (r) { status(r.output); setTimeout(() => location.reload(), 600); }
  }
  async function uploadSigned(ev) {
    const r = await api('POST', '/api/submit', new FormData(ev.target));
    status(r.output);
  }

  // Office.
  function esc(s) { const d = document.createElement('div'); d.textContent = s == null ? '' : String(s); return d.innerHTML; }
  function live(el) {
    const src = new EventSource('/api/stream/ranking?year=' + el.dataset.year);
    src.addEventListener('ranking', (m) => {
      const u = JSON.parse(m.data);
      for (const cat of u.categories || []) {
        const tb = el.querySelector('table[data-category="' + cat.id + '"] tbody');
        if (!tb) continue;
        tb.innerHTML = (cat.ranking || []).map((r) => '<tr><td class="n">' + r.rank + '</td><td>' + esc(r.name) + '</td><td class="n">' + esc(r.composite) + '</td><td>' + esc(r.grade || '') + '</td></tr>').join('');
      }
      document.getElementById('live-seq').textContent = 'seq ' + u.seq;
      refreshProgress();
    });
  }
  async function refreshProgress() {
    const t = document.getElementById('progress');
    if (!t) return;
    for (const p of await api('GET', '/api/progress?year=' + year())) {
      const tr = t.querySelector('tr[data-actor="' + CSS.escape(p.actor.id) + '"]');
      if (!tr) continue;
      tr.querySelector('.entered').textContent = p.entered + ' / ' + p.expected;
      tr.querySelector('.missing').textContent = p.missing.join(', ');
    }
  }
  async function whatIf(ev) {
    const sec = ev.target.closest('.appeal');
    const d = await api('POST', '/api/appeals/simulate', { year: year(), unit: sec.dataset.unit, exclude: sec.dataset.disputed.split(',').filter(Boolean) });
    const st = (s) => s ? esc(s.composite) + ' #' + s.rank + ' ' + esc(s.grade || '') : '—';
    const div = sec.querySelector('.diff');
    div.innerHTML = '<table class="whatif"><tr>' + div.dataset.labels.split('|').map((l) => '<th>' + esc(l) + '</th>').join('') + '</tr>' +
      (d.units || []).map((c) => '<tr><td>' + esc(c.name) + '</td><td>' + st(c.before) + '</td><td>' + st(c.after) + '</td><td>' + esc((c.moved || []).join(', ')) + '</td></tr>').join('') + '</table>' +
      '<p>digest ' + esc(d.from.digest).slice(0, 12) + ' → ' + esc(d.to.digest).slice(0, 12) + '</p>';
  }
  async function resolve(ev) {
    const sec = ev.target.closest('.appeal'); const f = new FormData(ev.target);
    const who = await me();
    const r = await signAndSubmit([{ id: newID('resolve'), type: 'ResolveAppeal', year: year(), actor: who.actor, reason: f.get('reason'),
      data: { unit: sec.dataset.unit, appeal: sec.dataset.appeal, outcome: f.get('outcome') } }]);
    status(r.output); setTimeout(() => location.reload(), 600);
  }
  async function importTable(ev) {
    const c = await api('POST', '/api/scheme/import?year=' + year(), new FormData(ev.target));
    const r = await signAndSubmit([c]);
    status(r.output); setTimeout(() => location.reload(), 600);
  }
  async function publish() {
    const who = await me();
    const r = await signAndSubmit([{ id: newID('publish'), type: 'PublishResults', year: year(), actor: who.actor, data: {} }]);
    status(r.output); setTimeout(() => location.reload(), 600);
  }

  // Unit.
  async function appeal(ev) {
    const f = ev.target; const who = await me();
    const disputed = Array.from(document.querySelectorAll('input.dispute:checked'), (x) => x.value);
    const data = { unit: f.dataset.unit, claim: new FormData(f).get('claim') };
    if (disputed.length) data.disputed = disputed;
    const r = await signAndSubmit([{ id: newID('appeal'), type: 'FileAppeal', year: year(), actor: who.actor, data }]);
    status(r.output); setTimeout(() => location.reload(), 600);
  }

  async function logout() {
    await api('POST', '/api/auth/logout');
    await store('delete');
    location.href = '/';
  }

  const on = (sel, evt, f) => document.querySelectorAll(sel).forEach((el) => el.addEventListener(evt, guard(f)));
  document.addEventListener('DOMContentLoaded', () => {
    on('#login', 'submit', login);
    on('#logout', 'click', logout);
    on('#sheet', 'submit', sheet);
    on('#upload', 'submit', uploadSheet);
    on('#upload-signed', 'submit', uploadSigned);
    on('.whatif', 'click', whatIf);
    on('form.resolve', 'submit', resolve);
    on('#publish', 'click', publish);
    on('#import', 'submit', importTable);
    on('#appeal', 'submit', appeal);
    on('#print', 'click', async () => window.print());
    const l = document.getElementById('live');
    if (l) live(l);
  });
  window.kaohe = { canon, signCommand, importSeed };
})();
