/* global document, location, history, window, URLSearchParams, URL, Blob */
// The browser sample: each tab is one client, named by ?clientId= (a random one is put in the URL if missing).
// Open two tabs, pair one with the other, and send messages: the peer acknowledges each one.
// WebRTC: when the gateway allows it (its `webrtc` option), the pairing moves to a direct data channel and the page
// shows "direct"; it falls back to the relay when the channel closes. `?webrtc=off` keeps the tab on the relay;
// `?ice=relay` uses TURN only (iceTransportPolicy 'relay').
// End-to-end encryption: `?e2e=on` (both tabs must have it) seals every message so the gateway relays only ciphertext;
// the page shows the pairing's verification code, which must be the same in both tabs (docs/e2e.md).
import { P2pClient } from '/browser/p2p-client.js';
import { io } from '/browser/socket.io-client.js';

const params = new URLSearchParams(location.search);
let clientId = params.get('clientId');
if (!clientId) {
  clientId = `tab-${Math.random().toString(36).slice(2, 8)}`;
  params.set('clientId', clientId);
  history.replaceState(null, '', `${location.pathname}?${params}`);
}

const $ = (id) => document.getElementById(id);
$('me').textContent = clientId;

function log(text) {
  const item = document.createElement('li');
  item.textContent = text;
  $('log').append(item);
}

function showStatus() {
  const { state, peerId } = client;
  $('status').textContent = !socket.connected ? 'disconnected' : state === 'paired' ? `paired with ${peerId}` : state;
}

const socket = io({ autoConnect: false });
const webrtc = params.get('webrtc') === 'off' ? false : { iceTransportPolicy: params.get('ice') === 'relay' ? 'relay' : 'all' };
const e2e = params.get('e2e') === 'on';
const client = new P2pClient(socket, { clientId, webrtc, e2e });

// The e2e toggle reloads the tab with the other setting; the code shows once the pairing's keys are agreed.
$('e2e').textContent = e2e ? 'on' : 'off';
$('e2e-toggle').textContent = e2e ? 'Turn end-to-end encryption off' : 'Turn end-to-end encryption on';
$('e2e-toggle').addEventListener('click', () => {
  params.set('e2e', e2e ? 'off' : 'on');
  location.search = `?${params}`;
});
client.on('secured', (code) => {
  log(`end-to-end encrypted, verification code ${code}`);
  $('code').textContent = code;
});

function showTransport() {
  $('transport').textContent = client.transport;
}
showTransport();
client.on('transport', (transport) => {
  log(`transport: ${transport}`);
  showTransport();
});

socket.on('connect', () => {
  log('connected');
  showStatus();
  void refreshClients();
});
socket.on('connect_error', (error) => log(`cannot connect: ${error.data?.message ?? error.message}`));
socket.on('disconnect', showStatus);

client.on('request', (sourceId) => log(`${sourceId} asks to pair`));
client.on('paired', (peerId) => {
  log(`paired with ${peerId}`);
  showStatus();
  void refreshClients();
});
client.on('unpaired', (peerId, reason) => {
  log(`unpaired from ${peerId} (${reason})`);
  $('code').textContent = '';
  showStatus();
  void refreshClients();
});
client.on('error', (error) => log(`error: ${error.code} ${error.message}`));

// A message from the peer, acknowledged with a receipt.
socket.on('chat', (text, ack) => {
  log(`${client.peerId} says: ${text}`);
  if (typeof ack === 'function') ack(`read by ${clientId}`);
});

async function refreshClients() {
  const others = (await client.listClients({ available: true })).filter((id) => id !== clientId);
  $('available').replaceChildren(
    ...others.map((id) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Pair with ${id}`;
      button.addEventListener('click', () => pair(id));
      return button;
    }),
  );
}

async function pair(targetId) {
  try {
    await client.pair(targetId);
  } catch (error) {
    log(`pairing with ${targetId} failed: ${error.code}`);
  }
}

$('refresh').addEventListener('click', () => void refreshClients());
$('pair-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const target = $('target').value.trim();
  if (target) void pair(target);
});
$('unpair').addEventListener('click', () => client.unpair().catch((error) => log(`unpair failed: ${error.code}`)));
$('send-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = $('message').value;
  $('message').value = '';
  log(`you say: ${text}`);
  try {
    log(`\u2713 ${await client.emitWithAck('chat', text)}`);
  } catch (error) {
    log(`not delivered: ${error.code}`);
  }
});

// Files: a file chosen or dropped here appears in the paired tab with a progress bar, then a download link.
function transferRow(label) {
  const item = document.createElement('li');
  const bar = document.createElement('progress');
  const text = document.createElement('span');
  item.append(label, bar, text);
  $('transfers').append(item);
  return {
    progress(done, total) {
      bar.max = total || 1;
      bar.value = done;
      text.textContent = `${done} / ${total ?? '?'} bytes`;
    },
    finish(message, link) {
      bar.value = bar.max;
      text.textContent = message;
      if (link) item.append(' ', link);
    },
  };
}

async function sendFile(file) {
  const row = transferRow(`\u2191 ${file.name}`);
  row.progress(0, file.size);
  try {
    const receipt = await client.sendStream(file, {
      meta: { name: file.name, type: file.type },
      onProgress: (done, total) => row.progress(done, total),
    });
    row.finish(`sent ${receipt.bytes} bytes, sha256 ${receipt.sha256}`);
  } catch (error) {
    row.finish(`not sent: ${error.code} ${error.message}`);
  }
}

client.on('stream', (incoming) => {
  const name = String(incoming.meta?.name ?? 'file');
  const row = transferRow(`\u2193 ${name}`);
  incoming.accept();
  void (async () => {
    const parts = [];
    let done = 0;
    try {
      for await (const part of incoming.readable) {
        parts.push(part);
        done += part.byteLength;
        row.progress(done, incoming.size);
      }
      const { sha256 } = await incoming.done;
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob(parts, { type: String(incoming.meta?.type ?? '') }));
      link.download = name;
      link.textContent = 'download';
      row.finish(`received ${done} bytes, sha256 ${sha256}`, link);
    } catch (error) {
      row.finish(`failed: ${error.code ?? ''} ${error.message}`);
    }
  })();
});

$('file').addEventListener('change', () => {
  for (const file of $('file').files) void sendFile(file);
  $('file').value = '';
});
$('drop').addEventListener('dragover', (event) => {
  event.preventDefault();
  $('drop').classList.add('over');
});
$('drop').addEventListener('dragleave', () => $('drop').classList.remove('over'));
$('drop').addEventListener('drop', (event) => {
  event.preventDefault();
  $('drop').classList.remove('over');
  for (const file of event.dataTransfer.files) void sendFile(file);
});

// Leaving on purpose: the peer hears of it at once instead of after the server's reconnect grace.
window.addEventListener('pagehide', () => socket.disconnect());

socket.connect();
