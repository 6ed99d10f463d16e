/* global P2pCharts */
/**
 * The control center's page script (served inline in its page, after control-center.charts.js; see
 * ../control-center.page.ts). The API's answers are typed by the server's declarations, as JSON carries them.
 * @import { P2pClientInfo, P2pClientPage, P2pPairingInfo } from '../../pairing/pairing.service.js'
 * @import { P2pTrafficStats } from '../../metrics/p2p-metrics.service.js'
 * @import { DirectionTraffic } from '../../metrics/pairing-traffic.table.js'
 * @import { StoreCounts } from '../../stores/pairing-store.interface.js'
 * @import { P2pLifecycleEvent } from '../../pairing/p2p-lifecycle.event.js'
 */
/**
 * A value as JSON.parse gives it back: dates are strings.
 * @template T
 * @typedef {T extends Date ? string : T extends object ? { [K in keyof T]: AsJson<T[K]> } : T} AsJson
 */
/** @typedef {AsJson<P2pClientInfo>} ClientInfo */
/** @typedef {AsJson<P2pPairingInfo> & { ab: DirectionTraffic | null, ba: DirectionTraffic | null }} PairingRow */
/**
 * The elements read as more than an HTMLElement, by id.
 * @typedef {{ find: HTMLInputElement, 'available-only': HTMLInputElement, 'first-page': HTMLButtonElement,
 *   'next-page': HTMLButtonElement, clients: HTMLTableSectionElement, pairings: HTMLTableSectionElement }} PageElements
 */
(() => {
  'use strict';
  const { formatNumber, formatBytes, lineChart, barChart } = P2pCharts;
  const base = location.pathname.replace(/\/+$/, '');
  const token = new URLSearchParams(location.search).get('token');
  /** @type {Record<string, string>} */
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  // Every id asked for is in the page (control-center.page.html).
  const $ = /** @type {<Id extends string>(id: Id) => Id extends keyof PageElements ? PageElements[Id] : HTMLElement} */ (
    (id) => document.getElementById(id)
  );
  const MAX_EVENTS = 50;
  const REFRESH_MS = 3000;
  // Lists are read a page at a time, so the page stays quick with 100,000 clients.
  const PAGE_SIZE = 100;
  const MAX_PAIRINGS_SHOWN = 500;
  /** @type {string | null} */
  let pageCursor = null; // the cursor of the page shown; null for the first page
  /** @type {string | null} */
  let nextCursor = null;
  let pageNumber = 1;

  /**
   * @template {keyof HTMLElementTagNameMap} Tag
   * @param {Tag} tag
   * @param {string} [text]
   * @param {string} [className]
   * @returns {HTMLElementTagNameMap[Tag]}
   */
  function node(tag, text, className) {
    const element = document.createElement(tag);
    if (text !== undefined) element.textContent = text;
    if (className) element.className = className;
    return element;
  }
  const time = (/** @type {string | number} */ value) => new Date(value).toLocaleTimeString();

  /**
   * @param {string} path
   * @param {'POST'} [method]
   * @returns {Promise<any>} the answer's JSON, typed where it is used
   */
  async function api(path, method) {
    const response = await fetch(base + '/' + path, { method: method || 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) {
      /** @type {{ message?: string }} */
      const body = await response.json().catch(() => ({}));
      const error = /** @type {Error & { status?: number }} */ (
        new Error((method || 'GET') + ' ' + path + ': ' + response.status + ' ' + (body.message || response.statusText))
      );
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  /**
   * Ids go in the query string: a path segment '.' or '..' would be collapsed by the URL before it is sent.
   * @param {string} route
   * @param {string} clientId
   */
  const byId = (route, clientId) => route + '?clientId=' + encodeURIComponent(clientId);

  /** @param {any} error whatever was thrown */
  function showError(error) {
    $('error').textContent = String(error && error.message ? error.message : error);
    $('error').hidden = false;
  }

  /**
   * @param {string} label
   * @param {string} path
   */
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

  /** @param {Array<Node | string>} cells */
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
  /**
   * @template T
   * @param {HTMLTableSectionElement} tbody
   * @param {T[]} items
   * @param {(item: T) => string} keyOf
   * @param {(item: T) => Array<Node | string>} cellsOf
   */
  function syncRows(tbody, items, keyOf, cellsOf) {
    const current = new Map(Array.from(tbody.rows, (tr) => [tr.dataset.key, tr]));
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

  /** @param {ClientInfo[]} clients */
  function renderClients(clients) {
    syncRows(
      $('clients'),
      clients,
      (client) => client.clientId,
      (client) => [
        node('code', client.clientId),
        node('span', client.state, 'state ' + client.state),
        client.peerId ? node('code', client.peerId) : '',
        time(client.connectedAt),
        String(client.protocolVersion),
        actions(
          client.state === 'paired' ? action('Unpair ' + client.clientId, byId('unpair', client.clientId)) : '',
          action('Disconnect ' + client.clientId, byId('disconnect', client.clientId)),
        ),
      ],
    );
    $('no-clients').hidden = clients.length > 0;
  }

  /** @param {Array<HTMLButtonElement | ''>} buttons */
  function actions(...buttons) {
    const span = node('span');
    span.append(...buttons.flatMap((button, i) => (i > 0 && button ? [' ', button] : [button])));
    return span;
  }

  /**
   * The page of clients shown, or the one client searched for by id.
   * @returns {Promise<ClientInfo[]>}
   */
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
    /** @type {AsJson<P2pClientPage>} */
    const page = await api('clients?limit=' + PAGE_SIZE + available + cursor);
    nextCursor = page.next;
    $('page-info').textContent = 'page ' + pageNumber;
    return page.clients;
  }

  /** @param {PairingRow[]} pairings */
  function renderPairings(pairings) {
    // Each direction is counted by the node its sender is on: '-' for a sender held by another node.
    const direction = (/** @type {DirectionTraffic | null} */ entry) =>
      node('span', entry ? formatNumber(entry.messages) + ' \u00b7 ' + formatBytes(entry.bytes) : '-', 'traffic');
    syncRows(
      $('pairings'),
      pairings,
      (pairing) => pairing.clientIds.join(' '),
      ({ clientIds: [a, b], since, ab, ba, transport }) => {
        const pair = node('span');
        pair.append(node('code', a), ' \u2194 ', node('code', b));
        return [
          pair,
          time(since),
          direction(ab),
          direction(ba),
          node('span', transport || 'relay', 'transport ' + (transport || 'relay')),
          action('Unpair ' + a + ' and ' + b, byId('unpair', a)),
        ];
      },
    );
    $('no-pairings').hidden = pairings.length > 0;
  }

  /** @param {StoreCounts} counts */
  function renderCounts(counts) {
    $('count-clients').textContent = String(counts.clients);
    $('count-pairings').textContent = String(counts.pairings);
    $('count-pending').textContent = String(counts.pendingRequests);
  }

  /** @param {P2pTrafficStats} stats */
  function renderStats(stats) {
    const now = stats.samples.length > 0 ? stats.samples[stats.samples.length - 1].at : Date.now();
    const pick = (/** @type {'relaysPerSecond' | 'clients' | 'pairings'} */ key) =>
      stats.samples.map((sample) => ({ at: sample.at, value: sample[key] }));
    lineChart($('chart-relays'), [{ key: 'relays', values: pick('relaysPerSecond') }], now);
    lineChart(
      $('chart-population'),
      [
        { key: 'clients', values: pick('clients') },
        { key: 'pairings', values: pick('pairings') },
      ],
      now,
    );
    /** @type {ChartBar[]} */
    const bars = [];
    for (const outcome in stats.pairRequests) {
      bars.push({
        label: outcome === 'paired' ? 'paired' : 'request: ' + outcome,
        value: stats.pairRequests[outcome],
        key: outcome === 'paired' ? 'requests' : 'refusals',
      });
    }
    for (const code in stats.refusals) {
      if (!(code in stats.pairRequests)) bars.push({ label: code, value: stats.refusals[code], key: 'refusals' });
    }
    bars.sort((a, b) => b.value - a.value);
    barChart($('chart-refusals'), bars);
    $('relay-totals').textContent =
      formatNumber(stats.relays.emit + stats.relays.ack + stats.relays.frame) +
      ' relays (' +
      formatBytes(stats.relays.bytes) +
      ') since the node started';
  }

  /** @type {Map<string, DirectionTraffic>} */
  let traffic = new Map();
  /** @type {number | null} */
  let pairingCount = null; // from the last counts read; null until the first
  async function load() {
    // Past a few hundred pairings the list is left out: each paired client's row has its peer and an Unpair button.
    // The first load reads the counts first, to know; later ones go by the counts of the load before.
    if (pairingCount === null) pairingCount = /** @type {StoreCounts} */ (await api('counts')).pairings;
    const showPairings = pairingCount <= MAX_PAIRINGS_SHOWN;
    /** @type {[StoreCounts, ClientInfo[], AsJson<P2pPairingInfo>[], P2pTrafficStats]} */
    const [counts, clients, pairings, stats] = await Promise.all([
      api('counts'),
      loadClients(),
      showPairings ? api('pairings') : [],
      api('stats'),
    ]);
    pairingCount = counts.pairings;
    traffic = new Map(stats.traffic.map((entry) => [entry.from + ' ' + entry.to, entry]));
    renderStats(stats);
    renderClients(clients);
    renderPairings(
      pairings.map((pairing) => {
        const [a, b] = pairing.clientIds;
        return { ...pairing, ab: traffic.get(a + ' ' + b) || null, ba: traffic.get(b + ' ' + a) || null };
      }),
    );
    $('no-pairings').hidden = !showPairings || pairings.length > 0;
    $('many-pairings').hidden = showPairings;
    $('next-page').disabled = nextCursor === null;
    $('first-page').disabled = pageCursor === null;
    renderCounts(counts);
    $('error').hidden = true;
    $('updated').textContent = 'Lists updated ' + time(Date.now()) + ' from the store (on a cluster node: the whole cluster)';
  }

  /** @type {Promise<void> | null} */
  let loading = null;
  let stale = false;
  function refresh() {
    if (loading) {
      stale = true;
      return;
    }
    loading = load()
      .catch(showError)
      .finally(() => {
        loading = null;
        if (stale) {
          stale = false;
          refresh();
        }
      });
  }

  /** @param {P2pLifecycleEvent} event */
  function describe(event) {
    switch (event.type) {
      case 'connected':
        return event.clientId + ' connected';
      case 'disconnected':
        return event.clientId + ' disconnected (' + event.reason + ')';
      case 'pair-requested':
        return event.sourceId + ' asked ' + event.targetId + ' to pair';
      case 'paired':
        return event.sourceId + ' \u2194 ' + event.targetId + ' paired';
      case 'pair-refused':
        return event.sourceId + ' \u2192 ' + event.targetId + ' refused: ' + event.code;
      case 'unpaired':
        return event.clientId + ' \u2194 ' + event.peerId + ' unpaired (' + event.reason + ')';
      case 'away':
        return event.clientId + ' away; pairing with ' + event.peerId + ' held until ' + time(event.until);
      case 'resumed':
        return event.clientId + ' resumed with ' + event.peerId;
      case 'transport':
        return event.clientId + ' \u2192 ' + event.peerId + ' now over the ' + (event.transport === 'direct' ? 'direct path' : 'relay');
      default:
        return JSON.stringify(event);
    }
  }

  /** @param {P2pLifecycleEvent} event */
  function logEvent(event) {
    const item = node('li');
    item.append(node('time', time(event.at)), describe(event));
    const list = $('events');
    list.prepend(item);
    while (list.children.length > MAX_EVENTS) list.lastElementChild?.remove();
  }

  /**
   * @param {boolean} live
   * @param {string} text
   */
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

  /**
   * @param {string | null} cursor
   * @param {number} number
   */
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
