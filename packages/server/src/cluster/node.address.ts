import { randomBytes, randomUUID } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';

/**
 * Node addressing: every connection id and pairing request id a cluster node creates starts with that node's tag,
 * `<tag>~`, so any node can tell from an id alone which node's channel reaches it, without a directory to keep in step
 * with the store. A tag is random for each life of a node: an id of a node's previous life names a channel nobody
 * listens to, which is right, since its connection is gone.
 */
const SEPARATOR = '~';

/** A new node tag: 11 base64url characters (64 random bits), never containing the separator. */
export function newNodeTag(): string {
  return randomBytes(8).toString('base64url');
}

/** The tag of the node that created `id`, or undefined for an id without one. */
export function nodeTagOf(id: string): string | undefined {
  const at = id.indexOf(SEPARATOR);
  return at > 0 ? id.slice(0, at) : undefined;
}

/** A pairing request id that names the node where the request was opened (its source's node). */
export function newTaggedRequestId(tag: string): string {
  return `${tag}${SEPARATOR}${randomUUID()}`;
}

type SocketFactory = (client: unknown, auth: unknown) => Promise<Socket>;

/**
 * Makes the id of every socket of `namespace` start with `tag~`. Socket.IO has no option for socket ids: this wraps
 * the namespace's socket factory (`_createSocket`, Socket.IO 4.x), the one step after which Socket.IO first files the
 * socket under its id. The client learns its id from the CONNECT packet, sent later, so both sides see the same id.
 */
export function tagSocketIds(namespace: Namespace, tag: string): void {
  const target = namespace as unknown as { _createSocket?: SocketFactory };
  const create = target._createSocket;
  if (typeof create !== 'function') {
    throw new Error('P2pModule: this Socket.IO version has no Namespace._createSocket; cluster nodes need Socket.IO 4.x');
  }
  const prefix = `${tag}${SEPARATOR}`;
  target._createSocket = async function createTaggedSocket(this: Namespace, client, auth) {
    const socket = await create.call(this, client, auth);
    if (!socket.id.startsWith(prefix)) (socket as { id: string }).id = prefix + socket.id;
    return socket;
  };
}
