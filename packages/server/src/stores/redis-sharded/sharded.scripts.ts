import type { Cluster, Redis } from 'ioredis';

/**
 * Lua of the sharded store. A partition script gets KEYS[1] = the partition's root `{<tag>}` and touches only keys
 * under it (one slot). The meta scripts get KEYS[1] = `{<keyPrefix>:meta}` (node liveness and the connection
 * sequence). No script ever touches two partitions: what spans two clients is done by the store, under locks.
 */
const PARTITION = `
local BASE = KEYS[1]
local ORDER = BASE .. ':order'
local FREE = BASE .. ':free'
local ASKING = BASE .. ':asking'
local PAIRED = BASE .. ':paired'
-- Locks taken and not released yet: clientId -> the op's other clients. Set and cleared with the lock, in the same
-- script: an entry whose lock is gone is an operation that never finished (its lock lapsed).
local PEND = BASE .. ':pend'
-- Clients whose link may be one-sided (an operation was abandoned next to them): the sweep checks them.
local SUSPECTS = BASE .. ':suspects'
local function clientKey(id) return BASE .. ':c:' .. id end
local function lockKey(id) return BASE .. ':l:' .. id end
local function nodeKey(nodeId) return BASE .. ':node:' .. nodeId end
local function nowMs()
  local time = redis.call('TIME')
  return time[1] .. string.format('%03d', math.floor(tonumber(time[2]) / 1000))
end
`;

/**
 * ARGV: opId, clientId, ttl ms, the op's other clientIds (comma-separated). Takes the client's lock for the op unless
 * another op holds it. Returns { 0 } when held by another, else { 1, raw record or '', Redis time in ms, its sequence number or '' }. A pending
 * entry left by an op that lapsed without releasing (its process died) makes it and its partners suspects first.
 */
const LOCK = `${PARTITION}
local id, opId, ttl = ARGV[2], ARGV[1], ARGV[3]
local lock = lockKey(id)
local holder = redis.call('GET', lock)
if holder and holder ~= opId then return { 0 } end
if not holder then
  local stale = redis.call('HGET', PEND, id)
  if stale then
    redis.call('SADD', SUSPECTS, id)
    for other in string.gmatch(stale, '[^,]+') do redis.call('SADD', SUSPECTS, other) end
  end
end
local now = nowMs()
redis.call('SET', lock, opId, 'PX', ttl)
redis.call('HSET', PEND, id, ARGV[4])
local seq = redis.call('ZSCORE', ORDER, id) or ''
return { 1, redis.call('GET', clientKey(id)) or '', now, seq }
`;

/**
 * ARGV: opId, clientId, mode ('put' | 'drop' | 'release'), record JSON (put), sequence number ('' to keep the
 * current one), the node the stored record names ('' when none), the node and the state kind of the record put (the
 * store passes what it knows, so the script decodes no JSON). Writes the client's half of an operation and releases its lock, if the op still holds that lock:
 * returns 1, or 0 (nothing written) when the lock lapsed or another op took it.
 */
const COMMIT = `${PARTITION}
local opId, id, mode = ARGV[1], ARGV[2], ARGV[3]
local lock = lockKey(id)
if redis.call('GET', lock) ~= opId then return 0 end
if mode ~= 'release' then
  if ARGV[6] ~= '' and ARGV[6] ~= ARGV[7] then redis.call('SREM', nodeKey(ARGV[6]), id) end
  if mode == 'drop' then
    redis.call('DEL', clientKey(id))
    redis.call('ZREM', ORDER, id)
    redis.call('ZREM', FREE, id)
    redis.call('SREM', ASKING, id)
    redis.call('SREM', PAIRED, id)
  else
    if ARGV[5] ~= '' then redis.call('ZADD', ORDER, ARGV[5], id) end
    redis.call('SET', clientKey(id), ARGV[4])
    if ARGV[6] ~= ARGV[7] then redis.call('SADD', nodeKey(ARGV[7]), id) end
    local kind = ARGV[8]
    if kind == 'asking' then redis.call('SADD', ASKING, id) else redis.call('SREM', ASKING, id) end
    if kind == 'paired' then redis.call('SADD', PAIRED, id) else redis.call('SREM', PAIRED, id) end
    local seq = redis.call('ZSCORE', ORDER, id)
    if kind == 'free' and seq then redis.call('ZADD', FREE, seq, id) else redis.call('ZREM', FREE, id) end
  end
end
redis.call('DEL', lock)
redis.call('HDEL', PEND, id)
return 1
`;

/**
 * The one-client fast paths, one script instead of lock and commit, taken only when no operation holds the client's
 * lock (else they answer 'locked' and the store runs the full transaction).
 *
 * ARGV: clientId, record JSON (free), sequence number, nodeId. Adds a client whose id nobody holds: 'added', or
 * 'locked' / 'taken' (a record exists: the transaction decides about the holder).
 */
const ADD_NEW = `${PARTITION}
local id = ARGV[1]
if redis.call('EXISTS', lockKey(id)) == 1 then return 'locked' end
if redis.call('EXISTS', clientKey(id)) == 1 then return 'taken' end
redis.call('SET', clientKey(id), ARGV[2])
redis.call('ZADD', ORDER, ARGV[3], id)
redis.call('ZADD', FREE, ARGV[3], id)
redis.call('SADD', nodeKey(ARGV[4]), id)
return 'added'
`;

/**
 * ARGV: clientId, connectionId. Removes a free client held by that connection: its raw record; '' when there is
 * nothing to remove (unknown id, another connection), 'locked' or 'linked' (not free: the transaction frees the
 * other side) otherwise.
 */
const REMOVE_FREE = `${PARTITION}
local id = ARGV[1]
if redis.call('EXISTS', lockKey(id)) == 1 then return 'locked' end
local raw = redis.call('GET', clientKey(id))
if not raw then return '' end
local rec = cjson.decode(raw)
if rec.connectionId ~= ARGV[2] then return '' end
if rec.state.kind ~= 'free' then return 'linked' end
redis.call('DEL', clientKey(id))
redis.call('ZREM', ORDER, id)
redis.call('ZREM', FREE, id)
redis.call('SREM', nodeKey(rec.nodeId), id)
return raw
`;

/**
 * ARGV: '1' for free clients only, after, until, limit, '1' for raw records. Returns { more (0 or 1), id, seq, ... }
 * then (records) the raw records of the ids, in the same order.
 */
const PAGE = `${PARTITION}
local key = ORDER
if ARGV[1] == '1' then key = FREE end
local limit = tonumber(ARGV[4])
local range = redis.call('ZRANGEBYSCORE', key, '(' .. ARGV[2], ARGV[3], 'WITHSCORES', 'LIMIT', 0, limit + 1)
local out = { 0 }
local ids = {}
for i = 1, #range, 2 do
  if #ids == limit then
    out[1] = 1
    break
  end
  ids[#ids + 1] = range[i]
  out[#out + 1] = range[i]
  out[#out + 1] = range[i + 1]
end
if ARGV[5] == '1' then
  for _, id in ipairs(ids) do out[#out + 1] = redis.call('GET', clientKey(id)) or '' end
end
return out
`;

/** { id, seq, raw record, ... } of every client of the partition. */
const LIST = `${PARTITION}
local out = {}
local range = redis.call('ZRANGE', ORDER, 0, -1, 'WITHSCORES')
for i = 1, #range, 2 do
  local raw = redis.call('GET', clientKey(range[i]))
  if raw then
    out[#out + 1] = range[i + 1]
    out[#out + 1] = raw
  end
end
return out
`;

/** The raw records of the partition's paired clients. */
const PAIRED_RECORDS = `${PARTITION}
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', PAIRED)) do
  local raw = redis.call('GET', clientKey(id))
  if raw then out[#out + 1] = raw end
end
return out
`;

const COUNTS = `${PARTITION}
return { redis.call('ZCARD', ORDER), redis.call('SCARD', PAIRED), redis.call('SCARD', ASKING) }
`;

/** ARGV: nodeId. The ids of the partition's clients whose record names the node. */
const NODE_CLIENTS = `${PARTITION}
return redis.call('SMEMBERS', nodeKey(ARGV[1]))
`;

/**
 * The suspects to check: first every lock that lapsed unreleased (an abandoned op) turns itself and its partners into
 * suspects. Returns the suspects; the sweep takes each out with UNSUSPECT once it checked it.
 */
const SUSPECTED = `${PARTITION}
for _, id in ipairs(redis.call('HKEYS', PEND)) do
  if redis.call('EXISTS', lockKey(id)) == 0 then
    redis.call('SADD', SUSPECTS, id)
    local partners = redis.call('HGET', PEND, id)
    if partners then
      for other in string.gmatch(partners, '[^,]+') do redis.call('SADD', SUSPECTS, other) end
    end
    redis.call('HDEL', PEND, id)
  end
end
return redis.call('SMEMBERS', SUSPECTS)
`;

/** ARGV: clientIds to check at the next sweep of the partition (a rollback that could not run, or ran late). */
const SUSPECT = `${PARTITION}
return redis.call('SADD', SUSPECTS, unpack(ARGV))
`;

/** ARGV: clientIds checked. */
const UNSUSPECT = `${PARTITION}
return redis.call('SREM', SUSPECTS, unpack(ARGV))
`;

const META = `
local BASE = KEYS[1]
local NODES = BASE .. ':nodes'
local function aliveKey(nodeId) return BASE .. ':alive:' .. nodeId end
`;

/** ARGV: nodeId, ttl ms. 1 if the node was listed already (not new, not forgotten since), else 0. */
const HEARTBEAT = `${META}
local listed = redis.call('SISMEMBER', NODES, ARGV[1])
redis.call('SET', aliveKey(ARGV[1]), '1', 'PX', ARGV[2])
redis.call('SADD', NODES, ARGV[1])
return listed
`;

/** The listed nodes whose liveness lapsed. */
const DEAD_NODES = `${META}
local dead = {}
for _, nodeId in ipairs(redis.call('SMEMBERS', NODES)) do
  if redis.call('EXISTS', aliveKey(nodeId)) == 0 then dead[#dead + 1] = nodeId end
end
return dead
`;

/** ARGV: nodeId. Ends the node's liveness at once (it goes away). */
const LAPSE = `${META}
return redis.call('DEL', aliveKey(ARGV[1]))
`;

/** ARGV: nodeId. Unlists the node, unless it beat again meanwhile. */
const UNLIST = `${META}
if redis.call('EXISTS', aliveKey(ARGV[1])) == 1 then return 0 end
return redis.call('SREM', NODES, ARGV[1])
`;

const SCRIPTS = {
  lock: LOCK,
  commit: COMMIT,
  addNew: ADD_NEW,
  removeFree: REMOVE_FREE,
  page: PAGE,
  list: LIST,
  paired: PAIRED_RECORDS,
  counts: COUNTS,
  nodeClients: NODE_CLIENTS,
  suspected: SUSPECTED,
  suspect: SUSPECT,
  unsuspect: UNSUSPECT,
  heartbeat: HEARTBEAT,
  deadNodes: DEAD_NODES,
  lapse: LAPSE,
  unlist: UNLIST,
} as const;

export type ShardedScript = keyof typeof SCRIPTS;

export function shardedCommandName(script: ShardedScript): string {
  return `p2pSharded_${script}`;
}

/** Defines every script on the client (EVALSHA, with EVAL when Redis lost it); the same texts for every store. */
export function defineShardedScripts(redis: Redis | Cluster): void {
  for (const script of Object.keys(SCRIPTS) as ShardedScript[]) {
    redis.defineCommand(shardedCommandName(script), { numberOfKeys: 1, lua: SCRIPTS[script] });
  }
}
