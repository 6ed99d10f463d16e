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

/** Removes every client the node holds (its record names the node), freeing their counterparts. */
const REMOVE_NODE_CLIENTS = `
local function removeNodeClients(nodeId, removals)
  for _, clientId in ipairs(redis.call('SMEMBERS', nodeKey(nodeId))) do
    local rec = load(clientId)
    if rec and rec.nodeId == nodeId then removals[#removals + 1] = cjson.encode(removeRecord(rec)) end
  end
  redis.call('DEL', nodeKey(nodeId))
end
`;

/** Forgets every listed node whose alive key is gone, with its clients. Returns the removals, each as JSON. */
export const SWEEP = `${REMOVE_NODE_CLIENTS}
local removals = {}
for _, nodeId in ipairs(redis.call('SMEMBERS', NODES)) do
  if redis.call('EXISTS', aliveKey(nodeId)) == 0 then
    removeNodeClients(nodeId, removals)
    redis.call('SREM', NODES, nodeId)
  end
end
return removals
`;

/** ARGV: nodeId. A clean shutdown: forgets the node now, with its clients. Returns the removals, each as JSON. */
export const FORGET = `${REMOVE_NODE_CLIENTS}
local nodeId = ARGV[1]
local removals = {}
removeNodeClients(nodeId, removals)
redis.call('DEL', aliveKey(nodeId))
redis.call('SREM', NODES, nodeId)
return removals
`;
