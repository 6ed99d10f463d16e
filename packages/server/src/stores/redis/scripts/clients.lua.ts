/**
 * Client lifecycle scripts. Each runs after the PREAMBLE and returns JSON (or nil when nothing changed); the store
 * decodes it. The JSON record given to REGISTER is the newcomer, already free and without detachedUntil.
 */

/** ARGV: record JSON, duplicate policy ('refuse' | 'replace'). */
export const REGISTER = `
local fresh = cjson.decode(ARGV[1])
local policy = ARGV[2]
local holder = load(fresh.clientId)
local displaced = nil
if holder then
  -- The same connection registering again can only be a resent command: it is in already.
  if holder.connectionId == fresh.connectionId then return cjson.encode({ ok = true }) end
  local sameSession = holder.sessionTokenHash ~= nil and holder.sessionTokenHash == fresh.sessionTokenHash
  if sameSession and holder.state.kind == 'paired' then
    local previousConnectionId = holder.connectionId
    if holder.nodeId ~= fresh.nodeId then
      redis.call('SREM', nodeKey(holder.nodeId), holder.clientId)
      redis.call('SADD', nodeKey(fresh.nodeId), holder.clientId)
    end
    holder.connectionId = fresh.connectionId
    holder.nodeId = fresh.nodeId
    holder.protocolVersion = fresh.protocolVersion
    holder.webrtc = fresh.webrtc
    holder.e2eCommit = fresh.e2eCommit
    holder.detachedUntil = nil
    save(holder)
    local resumed = { record = holder, previousConnectionId = previousConnectionId, peer = counterpart(holder) }
    return cjson.encode({ ok = true, resumed = resumed })
  end
  if not sameSession and policy ~= 'replace' then return cjson.encode({ ok = false, code = 'CLIENT_ID_TAKEN' }) end
  displaced = removeRecord(holder)
end
redis.call('ZADD', ORDER, redis.call('INCR', SEQ), fresh.clientId)
redis.call('SADD', nodeKey(fresh.nodeId), fresh.clientId)
save(fresh)
return cjson.encode({ ok = true, displaced = displaced })
`;

/** ARGV: clientId, connectionId, detachedUntil. */
export const DETACH = `
local rec = load(ARGV[1])
if not rec or rec.connectionId ~= ARGV[2] then return nil end
if rec.state.kind == 'paired' and rec.sessionTokenHash ~= nil then
  rec.detachedUntil = ARGV[3]
  save(rec)
  return cjson.encode({ detached = rec, peer = counterpart(rec) })
end
return cjson.encode({ removed = removeRecord(rec) })
`;

/** ARGV: clientId, connectionId. */
export const REMOVE = `
local rec = load(ARGV[1])
if not rec or rec.connectionId ~= ARGV[2] then return nil end
return cjson.encode(removeRecord(rec))
`;

/** ARGV: clientId, connectionId, transport. 1 when recorded; 0 when that connection does not hold a paired client. */
export const TRANSPORT = `
local rec = load(ARGV[1])
if not rec or rec.connectionId ~= ARGV[2] or rec.state.kind ~= 'paired' then return 0 end
rec.state.transport = ARGV[3]
save(rec)
return 1
`;

/**
 * ARGV: record JSON. Writes back the record of a connection its node still holds but the store lost (a write a
 * failover dropped), unless the id is held (then nothing: nil). A paired state is kept only when the peer's record
 * names this client back; anything else comes back free.
 */
export const RESTORE = `
local rec = cjson.decode(ARGV[1])
if load(rec.clientId) then return nil end
rec.detachedUntil = nil
if rec.state.kind ~= 'paired' or not counterpart(rec) then rec.state = freeState() end
redis.call('ZADD', ORDER, redis.call('INCR', SEQ), rec.clientId)
redis.call('SADD', nodeKey(rec.nodeId), rec.clientId)
save(rec)
return cjson.encode(rec)
`;
