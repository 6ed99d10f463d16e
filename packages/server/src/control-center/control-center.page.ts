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
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; min-width: 0; overflow-x: auto; }
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
.charts { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 16px; margin-top: 8px; }
.chart h3 { font-size: 13px; margin: 0 0 4px; font-weight: 600; }
.chart svg { width: 100%; height: 150px; display: block; }
.chart svg text { font: 10px system-ui, sans-serif; fill: var(--muted); }
.chart svg text.bar-label { fill: var(--ink); }
.legend { font-size: 12px; color: var(--muted); }
.legend .key { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin: 0 4px 0 10px; }
.legend .key.relays, .legend .key.clients { background: #2f6fde; }
.legend .key.pairings { background: #1f8a4c; }
.legend .key.requests { background: #2f6fde; }
.legend .key.refusals { background: #c23b3b; }
.traffic { color: var(--muted); font-size: 12px; }
.tools { display: flex; align-items: center; gap: 8px; margin-top: 8px; }
.tools input { font: inherit; font-size: 13px; padding: 3px 8px; border: 1px solid var(--line); border-radius: 5px; }
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
  // Lists are read a page at a time, so the page stays quick with 100,000 clients.
  const PAGE_SIZE = 100;
  const MAX_PAIRINGS_SHOWN = 500;
  let pageCursor = null; // the cursor of the page shown; null for the first page
  let nextCursor = null;
  let pageNumber = 1;

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
      const error = new Error((method || 'GET') + ' ' + path + ': ' + response.status + ' ' + (body.message || response.statusText));
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  // Ids go in the query string: a path segment '.' or '..' would be collapsed by the URL before it is sent.
  const byId = (route, clientId) => route + '?clientId=' + encodeURIComponent(clientId);

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
      actions(
        client.state === 'paired' ? action('Unpair ' + client.clientId, byId('unpair', client.clientId)) : '',
        action('Disconnect ' + client.clientId, byId('disconnect', client.clientId)),
      ),
    ]);
    $('no-clients').hidden = clients.length > 0;
  }

  function actions(...buttons) {
    const span = node('span');
    span.append(...buttons.flatMap((button, i) => (i > 0 && button ? [' ', button] : [button])));
    return span;
  }

  /** The page of clients shown, or the one client searched for by id. */
  async function loadClients() {
    const wanted = $('find').value.trim();
    if (wanted) {
      nextCursor = null;
      const found = await api(byId('client', wanted)).catch((error) => {
        if (error.status === 404 || error.status === 400) return null;
        throw error;
      });
      $('page-info').textContent = found ? '' : wanted + ' is not connected';
      return found ? [found] : [];
    }
    const available = $('available-only').checked ? '&available=true' : '';
    const cursor = pageCursor ? '&cursor=' + encodeURIComponent(pageCursor) : '';
    const page = await api('clients?limit=' + PAGE_SIZE + available + cursor);
    nextCursor = page.next;
    $('page-info').textContent = 'page ' + pageNumber;
    return page.clients;
  }

  function renderPairings(pairings) {
    // Each direction is counted by the node its sender is on: '-' for a sender held by another node.
    const direction = (entry) => node('span', entry ? formatNumber(entry.messages) + ' \u00b7 ' + formatBytes(entry.bytes) : '-', 'traffic');
    syncRows($('pairings'), pairings, (pairing) => pairing.clientIds.join(' '), ({ clientIds: [a, b], since, ab, ba, transport }) => {
      const pair = node('span');
      pair.append(node('code', a), ' \u2194 ', node('code', b));
      return [pair, time(since), direction(ab), direction(ba), node('span', transport || 'relay', 'transport ' + (transport || 'relay')), action('Unpair ' + a + ' and ' + b, byId('unpair', a))];
    });
    $('no-pairings').hidden = pairings.length > 0;
  }

  function renderCounts(counts) {
    $('count-clients').textContent = String(counts.clients);
    $('count-pairings').textContent = String(counts.pairings);
    $('count-pending').textContent = String(counts.pendingRequests);
  }

  const SVG = 'http://www.w3.org/2000/svg';
  const WINDOW_MS = 15 * 60 * 1000;
  const COLORS = { relays: '#2f6fde', clients: '#2f6fde', pairings: '#1f8a4c', requests: '#2f6fde', refusals: '#c23b3b' };

  function svgNode(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const name in attributes) element.setAttribute(name, String(attributes[name]));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /** A round top for the y axis: 1, 2 or 5 times a power of ten, at least max. */
  function niceMax(max) {
    if (!(max > 0)) return 1;
    const power = Math.pow(10, Math.floor(Math.log10(max)));
    for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
    return 10 * power;
  }

  function formatNumber(value) {
    if (value >= 1e6) return (value / 1e6).toFixed(1) + 'M';
    if (value >= 1e4) return (value / 1e3).toFixed(0) + 'k';
    if (value >= 1e3) return (value / 1e3).toFixed(1) + 'k';
    return String(Math.round(value * 10) / 10);
  }

  function formatBytes(value) {
    if (value >= 1048576) return (value / 1048576).toFixed(1) + ' MiB';
    if (value >= 1024) return (value / 1024).toFixed(1) + ' KiB';
    return value + ' B';
  }

  /** Lines over the last 15 minutes; series is [{key, values: [{at, value}]}]. The svg says its latest values. */
  function lineChart(svg, series, now) {
    const width = 300;
    const height = 150;
    const left = 34;
    const bottom = 16;
    const plotWidth = width - left - 4;
    const plotHeight = height - bottom - 6;
    let max = 0;
    for (const line of series) for (const point of line.values) if (point.value !== null && point.value > max) max = point.value;
    const top = niceMax(max);
    const x = (at) => left + plotWidth * Math.max(0, (at - (now - WINDOW_MS)) / WINDOW_MS);
    const y = (value) => 6 + plotHeight * (1 - value / top);
    const children = [];
    for (const fraction of [0, 0.5, 1]) {
      const lineY = y(top * fraction);
      children.push(svgNode('line', { x1: left, x2: width - 4, y1: lineY, y2: lineY, stroke: '#e3e7ee', 'stroke-width': 1 }));
      children.push(svgNode('text', { x: left - 4, y: lineY + 3, 'text-anchor': 'end' }, formatNumber(top * fraction)));
    }
    children.push(svgNode('text', { x: left, y: height - 3 }, '-15 min'));
    children.push(svgNode('text', { x: width - 4, y: height - 3, 'text-anchor': 'end' }, 'now'));
    for (const line of series) {
      const points = line.values.filter((point) => point.value !== null && point.at >= now - WINDOW_MS);
      if (points.length === 0) continue;
      const coordinates = points.map((point) => x(point.at).toFixed(1) + ',' + y(point.value).toFixed(1));
      if (points.length === 1) coordinates.unshift(x(points[0].at - 1000).toFixed(1) + ',' + y(points[0].value).toFixed(1));
      children.push(svgNode('polyline', { points: coordinates.join(' '), fill: 'none', stroke: COLORS[line.key], 'stroke-width': 2,
        'stroke-linejoin': 'round', 'data-series': line.key }));
      // The latest and the highest value of each line, for tests and for anyone reading the page's DOM.
      svg.setAttribute('data-' + line.key, String(points[points.length - 1].value));
      svg.setAttribute('data-' + line.key + '-max', String(Math.max(...points.map((point) => point.value))));
    }
    svg.replaceChildren(...children);
  }

  /** Horizontal bars, one per label: [{label, value, key}], largest first. */
  function barChart(svg, bars) {
    const width = 300;
    const rowHeight = 16;
    const labelWidth = 130;
    const shown = bars.slice(0, 8);
    svg.setAttribute('viewBox', '0 0 ' + width + ' ' + Math.max(150, shown.length * rowHeight + 8));
    const top = niceMax(shown.reduce((max, bar) => Math.max(max, bar.value), 0));
    const children = shown.map((bar, i) => {
      const group = svgNode('g', { 'data-label': bar.label, 'data-value': bar.value });
      const barY = 4 + i * rowHeight;
      group.append(
        svgNode('text', { x: labelWidth - 6, y: barY + 11, 'text-anchor': 'end', class: 'bar-label' }, bar.label),
        svgNode('rect', { x: labelWidth, y: barY + 2, height: rowHeight - 5, width: Math.max(1, (width - labelWidth - 40) * bar.value / top),
          fill: COLORS[bar.key] }),
        svgNode('text', { x: labelWidth + (width - labelWidth - 40) * bar.value / top + 4, y: barY + 11 }, formatNumber(bar.value)),
      );
      return group;
    });
    if (shown.length === 0) children.push(svgNode('text', { x: 8, y: 20 }, 'No pairing requests yet.'));
    svg.replaceChildren(...children);
  }

  function renderStats(stats) {
    const now = stats.samples.length > 0 ? stats.samples[stats.samples.length - 1].at : Date.now();
    const pick = (key) => stats.samples.map((sample) => ({ at: sample.at, value: sample[key] }));
    lineChart($('chart-relays'), [{ key: 'relays', values: pick('relaysPerSecond') }], now);
    lineChart($('chart-population'), [{ key: 'clients', values: pick('clients') }, { key: 'pairings', values: pick('pairings') }], now);
    const bars = [];
    for (const outcome in stats.pairRequests) {
      bars.push({ label: outcome === 'paired' ? 'paired' : 'request: ' + outcome, value: stats.pairRequests[outcome], key: outcome === 'paired' ? 'requests' : 'refusals' });
    }
    for (const code in stats.refusals) {
      if (!(code in stats.pairRequests)) bars.push({ label: code, value: stats.refusals[code], key: 'refusals' });
    }
    bars.sort((a, b) => b.value - a.value);
    barChart($('chart-refusals'), bars);
    $('relay-totals').textContent = formatNumber(stats.relays.emit + stats.relays.ack + stats.relays.frame) + ' relays (' + formatBytes(stats.relays.bytes) + ') since the node started';
  }

  let traffic = new Map();
  let pairingCount = null; // from the last counts read; null until the first
  async function load() {
    // Past a few hundred pairings the list is left out: each paired client's row has its peer and an Unpair button.
    // The first load reads the counts first, to know; later ones go by the counts of the load before.
    if (pairingCount === null) pairingCount = (await api('counts')).pairings;
    const showPairings = pairingCount <= MAX_PAIRINGS_SHOWN;
    const [counts, clients, pairings, stats] = await Promise.all([api('counts'), loadClients(), showPairings ? api('pairings') : [], api('stats')]);
    pairingCount = counts.pairings;
    traffic = new Map(stats.traffic.map((entry) => [entry.from + ' ' + entry.to, entry]));
    renderStats(stats);
    renderClients(clients);
    renderPairings(pairings.map((pairing) => {
      const [a, b] = pairing.clientIds;
      return { ...pairing, ab: traffic.get(a + ' ' + b) || null, ba: traffic.get(b + ' ' + a) || null };
    }));
    $('no-pairings').hidden = !showPairings || pairings.length > 0;
    $('many-pairings').hidden = showPairings;
    $('next-page').disabled = nextCursor === null;
    $('first-page').disabled = pageCursor === null;
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

  function showPage(cursor, number) {
    pageCursor = cursor;
    pageNumber = number;
    refresh();
  }
  $('available-only').addEventListener('change', () => showPage(null, 1));
  $('first-page').addEventListener('click', () => showPage(null, 1));
  $('next-page').addEventListener('click', () => nextCursor !== null && showPage(nextCursor, pageNumber + 1));
  $('find').addEventListener('input', refresh);
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
  <section class="card wide">
    <div class="card-head"><h2>Traffic <small>(this node, last 15 minutes)</small></h2><span id="relay-totals" class="muted"></span></div>
    <div class="charts">
      <div class="chart"><h3>Relays per second</h3><svg id="chart-relays" viewBox="0 0 300 150" role="img" aria-label="relays per second"></svg></div>
      <div class="chart"><h3>Clients and pairings <span class="legend"><span class="key clients"></span>clients<span class="key pairings"></span>pairings</span></h3>
        <svg id="chart-population" viewBox="0 0 300 150" role="img" aria-label="clients and pairings"></svg></div>
      <div class="chart"><h3>Pairing requests and refusals, by code <span class="legend">since start</span></h3>
        <svg id="chart-refusals" viewBox="0 0 300 150" role="img" aria-label="pairing requests and refusals by code"></svg></div>
    </div>
  </section>
  <section class="card">
    <div class="card-head"><h2>Clients</h2><label><input type="checkbox" id="available-only"> available only</label></div>
    <div class="tools">
      <input id="find" type="search" placeholder="find a clientId" aria-label="find a clientId" autocomplete="off">
      <button type="button" id="first-page" disabled>First page</button>
      <button type="button" id="next-page" disabled>Next page</button>
      <span id="page-info" class="muted"></span>
    </div>
    <table>
      <thead><tr><th>clientId</th><th>state</th><th>peer</th><th>connected</th><th>protocol</th><th></th></tr></thead>
      <tbody id="clients"></tbody>
    </table>
    <p id="no-clients" class="empty">No clients connected.</p>
  </section>
  <section class="card">
    <h2>Pairings</h2>
    <table>
      <thead><tr><th>clients</th><th>since</th><th title="sent by the first to the second">\u2192</th><th title="sent by the second to the first">\u2190</th><th>transport</th><th></th></tr></thead>
      <tbody id="pairings"></tbody>
    </table>
    <p id="no-pairings" class="empty">No pairings.</p>
    <p class="traffic">\u2192 and \u2190: messages and bytes each way, counted by the node the sender is on (- for another node).</p>
    <p id="many-pairings" class="empty" hidden>Too many pairings to list here: each paired client's row shows its peer.</p>
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
