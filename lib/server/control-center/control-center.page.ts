import { createHash } from 'node:crypto';

/*
 * The control center's page: one self-contained document (no external assets, the token never embedded). Its script
 * works out the API's address from its own path, reads the token from `?token=` if there is one, and sends it as a
 * Bearer header (and as `?token=` to the event stream, which cannot send headers). Everything from the server is put
 * in the page as text, never as markup.
 */

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #6b7585; --line: #e3e7ee; --accent: #2f6fde; --bad: #c23b3b;
  --ok: #1f8a4c; --bg: #f5f7fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 14px 24px; background: #fff;
  border-bottom: 1px solid var(--line); }
h1 { font-size: 18px; margin: 0 8px 0 0; }
h2 { font-size: 15px; margin: 0; }
small, .muted { color: var(--muted); font-weight: normal; }
code { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; }
.pill { padding: 2px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; }
.pill.on { background: #e2f5ea; color: var(--ok); }
.pill.off { background: #fbe7e7; color: var(--bad); }
.counts { display: flex; gap: 16px; padding: 16px 24px 0; }
.count { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 18px; min-width: 140px; }
.count span { display: block; font-size: 24px; font-weight: 700; }
.count label { color: var(--muted); }
main { display: grid; grid-template-columns: 3fr 2fr; gap: 16px; padding: 16px 24px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; }
.card.wide { grid-column: 1 / -1; }
.card-head { display: flex; justify-content: space-between; align-items: center; }
table { width: 100%; border-collapse: collapse; margin-top: 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td:last-child { text-align: right; }
.state { padding: 1px 8px; border-radius: 4px; font-size: 12px; background: #eef1f6; }
.state.paired { background: #e4edfc; color: var(--accent); }
.state.asking, .state.asked { background: #fff4dc; color: #9a6a00; }
.state.free { background: #e2f5ea; color: var(--ok); }
button { font: inherit; font-size: 12px; padding: 3px 10px; border-radius: 5px; border: 1px solid var(--line);
  background: #fff; cursor: pointer; }
button:hover { border-color: var(--bad); color: var(--bad); }
button:disabled { opacity: .5; cursor: default; }
.empty { color: var(--muted); margin: 10px 0 0; }
.error { margin: 12px 24px 0; padding: 8px 12px; background: #fbe7e7; color: var(--bad); border-radius: 6px; }
.events { list-style: none; margin: 8px 0 0; padding: 0; max-height: 260px; overflow: auto; }
.events li { padding: 4px 0; border-bottom: 1px dashed var(--line); }
.events time { color: var(--muted); margin-right: 8px; font-size: 12px; }
footer { padding: 0 24px 16px; font-size: 12px; }
`;

const SCRIPT = String.raw`
(() => {
  'use strict';
  const base = location.pathname.replace(/\/+$/, '');
  const token = new URLSearchParams(location.search).get('token');
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const $ = (id) => document.getElementById(id);
  const MAX_EVENTS = 50;
  const REFRESH_MS = 3000;

  function node(tag, text, className) {
    const element = document.createElement(tag);
    if (text !== undefined) element.textContent = text;
    if (className) element.className = className;
    return element;
  }
  const time = (value) => new Date(value).toLocaleTimeString();

  async function api(path, method) {
    const response = await fetch(base + '/' + path, { method: method || 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error((method || 'GET') + ' ' + path + ': ' + response.status + ' ' + (body.message || response.statusText));
    }
    return response.json();
  }

  function showError(error) {
    $('error').textContent = String(error && error.message ? error.message : error);
    $('error').hidden = false;
  }

  function action(label, path) {
    const button = node('button', label.split(' ')[0]);
    button.type = 'button';
    button.setAttribute('aria-label', label);
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await api(path, 'POST');
      } catch (error) {
        button.disabled = false;
        showError(error);
      }
      refresh();
    });
    return button;
  }

  function row(cells) {
    const tr = node('tr');
    for (const cell of cells) {
      const td = node('td');
      td.append(cell);
      tr.append(td);
    }
    return tr;
  }

  // Rows are rebuilt only when what they show changed, so a button is not swapped out under the pointer.
  function syncRows(tbody, items, keyOf, cellsOf) {
    const current = new Map(Array.from(tbody.children, (tr) => [tr.dataset.key, tr]));
    const rows = items.map((item) => {
      const key = keyOf(item);
      const signature = JSON.stringify(item);
      const kept = current.get(key);
      if (kept && kept.dataset.signature === signature) return kept;
      const tr = row(cellsOf(item));
      tr.dataset.key = key;
      tr.dataset.signature = signature;
      return tr;
    });
    const unchanged = rows.length === tbody.children.length && rows.every((tr, i) => tbody.children[i] === tr);
    if (!unchanged) tbody.replaceChildren(...rows);
  }

  function renderClients(clients) {
    syncRows($('clients'), clients, (client) => client.clientId, (client) => [
      node('code', client.clientId),
      node('span', client.state, 'state ' + client.state),
      client.peerId ? node('code', client.peerId) : '',
      time(client.connectedAt),
      String(client.protocolVersion),
      action('Disconnect ' + client.clientId, 'clients/' + encodeURIComponent(client.clientId) + '/disconnect'),
    ]);
    $('no-clients').hidden = clients.length > 0;
  }

  function renderPairings(pairings) {
    syncRows($('pairings'), pairings, (pairing) => pairing.clientIds.join(' '), ({ clientIds: [a, b], since, transport }) => {
      const pair = node('span');
      pair.append(node('code', a), ' \u2194 ', node('code', b));
      return [pair, node('span', transport || 'relay', 'transport ' + (transport || 'relay')), time(since), action('Unpair ' + a + ' and ' + b, 'pairings/' + encodeURIComponent(a) + '/unpair')];
    });
    $('no-pairings').hidden = pairings.length > 0;
  }

  function renderCounts(counts) {
    $('count-clients').textContent = String(counts.clients);
    $('count-pairings').textContent = String(counts.pairings);
    $('count-pending').textContent = String(counts.pendingRequests);
  }

  async function load() {
    const filter = $('available-only').checked ? '?available=true' : '';
    const [clients, pairings, counts] = await Promise.all([api('clients' + filter), api('pairings'), api('counts')]);
    renderClients(clients);
    renderPairings(pairings);
    renderCounts(counts);
    $('error').hidden = true;
    $('updated').textContent = 'Lists updated ' + time(Date.now()) + ' from the store (on a cluster node: the whole cluster)';
  }

  let loading = null;
  let stale = false;
  function refresh() {
    if (loading) {
      stale = true;
      return;
    }
    loading = load().catch(showError).finally(() => {
      loading = null;
      if (stale) {
        stale = false;
        refresh();
      }
    });
  }

  function describe(event) {
    switch (event.type) {
      case 'connected': return event.clientId + ' connected';
      case 'disconnected': return event.clientId + ' disconnected (' + event.reason + ')';
      case 'pair-requested': return event.sourceId + ' asked ' + event.targetId + ' to pair';
      case 'paired': return event.sourceId + ' \u2194 ' + event.targetId + ' paired';
      case 'pair-refused': return event.sourceId + ' \u2192 ' + event.targetId + ' refused: ' + event.code;
      case 'unpaired': return event.clientId + ' \u2194 ' + event.peerId + ' unpaired (' + event.reason + ')';
      case 'away': return event.clientId + ' away; pairing with ' + event.peerId + ' held until ' + time(event.until);
      case 'resumed': return event.clientId + ' resumed with ' + event.peerId;
      case 'transport': return event.clientId + ' \u2192 ' + event.peerId + ' now over the ' + (event.transport === 'direct' ? 'direct path' : 'relay');
      default: return JSON.stringify(event);
    }
  }

  function logEvent(event) {
    const item = node('li');
    item.append(node('time', time(event.at)), describe(event));
    const list = $('events');
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
  }

  function setLive(live, text) {
    $('live').textContent = text;
    $('live').className = 'pill ' + (live ? 'on' : 'off');
  }

  function stream() {
    const source = new EventSource(base + '/events' + (token ? '?token=' + encodeURIComponent(token) : ''));
    source.addEventListener('open', () => setLive(true, 'live'));
    source.addEventListener('error', () => setLive(false, source.readyState === EventSource.CLOSED ? 'stream closed' : 'reconnecting'));
    source.addEventListener('ready', (message) => {
      $('node').textContent = JSON.parse(message.data).nodeId;
      refresh();
    });
    source.addEventListener('message', (message) => {
      logEvent(JSON.parse(message.data));
      refresh();
    });
  }

  $('available-only').addEventListener('change', refresh);
  stream();
  refresh();
  setInterval(refresh, REFRESH_MS);
})();
`;

export const CONTROL_CENTER_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>P2P control center</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>P2P control center</h1>
  <span id="live" class="pill off">connecting</span>
  <span class="muted">events from node <code id="node">?</code></span>
</header>
<section class="counts">
  <div class="count"><span id="count-clients">-</span><label>clients</label></div>
  <div class="count"><span id="count-pairings">-</span><label>pairings</label></div>
  <div class="count"><span id="count-pending">-</span><label>pending requests</label></div>
</section>
<p id="error" class="error" role="alert" hidden></p>
<main>
  <section class="card">
    <div class="card-head"><h2>Clients</h2><label><input type="checkbox" id="available-only"> available only</label></div>
    <table>
      <thead><tr><th>clientId</th><th>state</th><th>peer</th><th>connected</th><th>protocol</th><th></th></tr></thead>
      <tbody id="clients"></tbody>
    </table>
    <p id="no-clients" class="empty">No clients connected.</p>
  </section>
  <section class="card">
    <h2>Pairings</h2>
    <table>
      <thead><tr><th>clients</th><th>transport</th><th>since</th><th></th></tr></thead>
      <tbody id="pairings"></tbody>
    </table>
    <p id="no-pairings" class="empty">No pairings.</p>
  </section>
  <section class="card wide">
    <h2>Events <small>(lifecycle events of the node serving this page)</small></h2>
    <ol id="events" class="events"></ol>
  </section>
</main>
<footer id="updated" class="muted"></footer>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Only this page's own style and script run; it talks to its own origin only and cannot be framed. */
export const CONTROL_CENTER_PAGE_CSP = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(SCRIPT)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
