/** Pairing request and pairing scripts; each runs after the PREAMBLE. ARGV of reserve, confirm and cancel: requestId,
 * sourceId, targetId. */

export const RESERVE = `
local requestId, sourceId, targetId = ARGV[1], ARGV[2], ARGV[3]
local function refuse(code) return cjson.encode({ ok = false, code = code }) end
if sourceId == targetId then return refuse('SELF_PAIRING') end
local source = load(sourceId)
if not source then return refuse('NOT_CONNECTED') end
local target = load(targetId)
if not target then return refuse('TARGET_OFFLINE') end
-- This very request open already can only be a resent command: report it as opened.
if isOpenRequest(source, target, requestId) then
  return cjson.encode({ ok = true, source = source, target = target })
end
-- Crossing requests: the target asks the source already, and this request is its consent. They pair at once.
if target.state.kind == 'asking' and isOpenRequest(target, source, target.state.requestId) then
  local crossed = { requestId = target.state.requestId, sourceId = targetId, targetId = sourceId }
  pairBoth(source, target)
  return cjson.encode({ ok = true, source = source, target = target, crossed = crossed })
end
-- Paired with each other already (the source's consent to the target's request was read first; or a resent crossing).
if source.state.kind == 'paired' and counterpart(source) and source.state.peerId == targetId then
  return cjson.encode({ ok = true, source = source, target = target, already = true })
end
if source.state.kind ~= 'free' then return refuse('SOURCE_BUSY') end
if target.state.kind ~= 'free' then return refuse('TARGET_BUSY') end
source.state = { kind = 'asking', requestId = requestId, otherId = targetId }
target.state = { kind = 'asked', requestId = requestId, otherId = sourceId }
save(source)
save(target)
return cjson.encode({ ok = true, source = source, target = target })
`;

export const CONFIRM = `
local requestId, sourceId, targetId = ARGV[1], ARGV[2], ARGV[3]
local source, target = load(sourceId), load(targetId)
if not isOpenRequest(source, target, requestId) then
  return cjson.encode({ ok = false, code = 'NO_PENDING_REQUEST' })
end
pairBoth(source, target)
return cjson.encode({ ok = true, source = source, target = target })
`;

/** Returns 1 when the request was open and is closed now, else 0. */
export const CANCEL = `
local requestId, sourceId, targetId = ARGV[1], ARGV[2], ARGV[3]
local source, target = load(sourceId), load(targetId)
if not isOpenRequest(source, target, requestId) then return 0 end
source.state = freeState()
target.state = freeState()
save(source)
save(target)
return 1
`;

/** ARGV: clientId. */
export const UNPAIR = `
local rec = load(ARGV[1])
if not rec or rec.state.kind ~= 'paired' then return nil end
local peer = counterpart(rec)
if not peer then return nil end
rec.state = freeState()
peer.state = freeState()
save(rec)
save(peer)
return cjson.encode({ record = rec, peer = peer })
`;
