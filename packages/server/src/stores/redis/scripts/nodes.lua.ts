/**
 * Node liveness scripts; each runs after the PREAMBLE. A node proves it is alive by renewing `{p}:alive:<nodeId>`
 * (expiring) and is listed in `{p}:nodes` from its first heartbeat; `{p}:node:<nodeId>` holds the ids of the clients
 * whose record names it.
 */

/** ARGV: nodeId, ttl in ms. Returns 1 if the node was listed already (not new, and not swept since), else 0. */
export const HEARTBEAT = `
local nodeId = ARGV[1]
local listed = redis.call('SISMEMBER', NODES, nodeId)
redis.call('SET', aliveKey(nodeId), '1', 'PX', ARGV[2])
redis.call('SADD', NODES, nodeId)
return listed
`;

/**
 * Removes the clients the node holds (their record names the node), freeing their counterparts. With `now`, a client
 * held for reconnect grace (detachedUntil later than now) stays: it may still come back, to any node. Returns true
 * when nothing of the node is left.
 */
const REMOVE_NODE_CLIENTS = `
local function removeNodeClients(nodeId, removals, now)
  local kept = 0
  for _, clientId in ipairs(redis.call('SMEMBERS', nodeKey(nodeId))) do
    local rec = load(clientId)
    if rec and rec.nodeId == nodeId then
      if now and rec.detachedUntil and tonumber(rec.detachedUntil) > now then
        kept = kept + 1
      else
        removals[#removals + 1] = cjson.encode(removeRecord(rec))
      end
    end
  end
  if kept > 0 then return false end
  redis.call('DEL', nodeKey(nodeId))
  return true
end
`;

/**
 * ARGV: now (ms). Forgets every listed node whose alive key is gone, with its clients; a client it holds for reconnect
 * grace stays until its grace has run out (the node stays listed until then). Returns the removals, each as JSON.
 */
export const SWEEP = `${REMOVE_NODE_CLIENTS}
local now = tonumber(ARGV[1])
local removals = {}
for _, nodeId in ipairs(redis.call('SMEMBERS', NODES)) do
  if redis.call('EXISTS', aliveKey(nodeId)) == 0 then
    if removeNodeClients(nodeId, removals, now) then redis.call('SREM', NODES, nodeId) end
  end
end
return removals
`;

/**
 * ARGV: nodeId, now (ms) or ''. A node going away: forgets it now, with its clients. With `now` (a drain), clients it
 * holds for reconnect grace stay, for their sessions to come back elsewhere; the sweep ends the holds that run out.
 * Returns the removals, each as JSON.
 */
export const FORGET = `${REMOVE_NODE_CLIENTS}
local nodeId = ARGV[1]
local removals = {}
redis.call('DEL', aliveKey(nodeId))
if removeNodeClients(nodeId, removals, tonumber(ARGV[2])) then redis.call('SREM', NODES, nodeId) end
return removals
`;
