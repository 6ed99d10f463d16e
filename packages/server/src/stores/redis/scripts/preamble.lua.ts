/**
 * Lua shared by every script of the Redis store, put in front of each script body at build time.
 *
 * KEYS[1] is the store's base, `{<keyPrefix>}`: every key is built from it, so all keys of one store share that hash
 * tag and live in one slot (a script that touches them is Redis Cluster safe). A client record is a JSON string in
 * which numbers travel as decimal strings, so cjson never rounds them; absent fields are omitted, never null.
 */
export const PREAMBLE = `
local BASE = KEYS[1]
local ORDER = BASE .. ':order'
local SEQ = BASE .. ':seq'
local NODES = BASE .. ':nodes'
-- The free clients, scored like ORDER by their connection sequence number, so that a page of them is one range read.
local FREE = BASE .. ':free'
-- Clients by state, for counts and pairings: every write of a record goes through save(), which keeps these right.
local BY_STATE = { asking = BASE .. ':asking', paired = BASE .. ':paired' }

local function clientKey(clientId) return BASE .. ':c:' .. clientId end
local function nodeKey(nodeId) return BASE .. ':node:' .. nodeId end
local function aliveKey(nodeId) return BASE .. ':alive:' .. nodeId end

local function freeState() return { kind = 'free' } end

local function load(clientId)
  local raw = redis.call('GET', clientKey(clientId))
  if raw then return cjson.decode(raw) end
  return nil
end

local function save(rec)
  redis.call('SET', clientKey(rec.clientId), cjson.encode(rec))
  for kind, key in pairs(BY_STATE) do
    if rec.state.kind == kind then
      redis.call('SADD', key, rec.clientId)
    else
      redis.call('SREM', key, rec.clientId)
    end
  end
  if rec.state.kind == 'free' then
    local seq = redis.call('ZSCORE', ORDER, rec.clientId)
    if seq then redis.call('ZADD', FREE, seq, rec.clientId) end
  else
    redis.call('ZREM', FREE, rec.clientId)
  end
end

local function drop(rec)
  redis.call('DEL', clientKey(rec.clientId))
  redis.call('ZREM', ORDER, rec.clientId)
  redis.call('ZREM', FREE, rec.clientId)
  redis.call('SREM', nodeKey(rec.nodeId), rec.clientId)
  for _, key in pairs(BY_STATE) do redis.call('SREM', key, rec.clientId) end
end

-- The client a state names: the peer, or the other side of an open request; nil when free.
local function otherIdOf(state)
  if state.kind == 'paired' then return state.peerId end
  return state.otherId
end

-- The client rec's state names, provided its state names rec back: a half link is never followed.
local function counterpart(rec)
  local otherId = otherIdOf(rec.state)
  if not otherId then return nil end
  local other = load(otherId)
  if other and otherIdOf(other.state) == rec.clientId then return other end
  return nil
end

-- Deletes rec and frees its counterpart; the removal as RemovedClient has it.
local function removeRecord(rec)
  local other = counterpart(rec)
  drop(rec)
  local removal = { record = rec, leftState = rec.state }
  if other then
    other.state = freeState()
    save(other)
    removal.other = other
  end
  return removal
end

-- Whether source asks target under requestId, and target is asked by source under it.
local function isOpenRequest(source, target, requestId)
  return source ~= nil and target ~= nil
    and source.state.kind == 'asking' and source.state.requestId == requestId
    and source.state.otherId == target.clientId
    and target.state.kind == 'asked' and target.state.requestId == requestId
    and target.state.otherId == source.clientId
end

-- Pairs a and b (both saved). Pairings start at Redis's clock, one clock for every node; as a string of milliseconds,
-- like every number.
local function pairBoth(a, b)
  local time = redis.call('TIME')
  local since = time[1] .. string.format('%03d', math.floor(tonumber(time[2]) / 1000))
  a.state = { kind = 'paired', peerId = b.clientId, since = since }
  b.state = { kind = 'paired', peerId = a.clientId, since = since }
  save(a)
  save(b)
end
`;
