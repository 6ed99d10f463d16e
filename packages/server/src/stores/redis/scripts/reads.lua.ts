/** Read-only scripts, so that each answer is one consistent snapshot; each runs after the PREAMBLE. */

/** Every record's raw JSON, in connection order. */
export const LIST = `
local out = {}
for _, clientId in ipairs(redis.call('ZRANGE', ORDER, 0, -1)) do
  local raw = redis.call('GET', clientKey(clientId))
  if raw then out[#out + 1] = raw end
end
return out
`;

/**
 * One page of a walk in connection order. ARGV: '1' for free clients only, the position to start after ('' for the
 * start), the walk's last position ('' to take the current one), the most entries to return, '1' for raw records
 * instead of ids. Returns { until, more (0 or 1), last position read (or ''), entries... }, where the ids come as one
 * JSON array (one reply to parse instead of one per id). ZRANGEBYSCORE with LIMIT costs O(log N + limit): no scan of
 * the whole set.
 */
export const PAGE = `
local key = ORDER
if ARGV[1] == '1' then key = FREE end
local after = ARGV[2]
if after == '' then after = '0' end
local last = ARGV[3]
if last == '' then last = redis.call('GET', SEQ) or '0' end
local limit = tonumber(ARGV[4])
local range = redis.call('ZRANGEBYSCORE', key, '(' .. after, last, 'WITHSCORES', 'LIMIT', 0, limit + 1)
local out = { last, 0, '' }
local ids = {}
for i = 1, #range, 2 do
  if #ids == limit then
    out[2] = 1
    break
  end
  ids[#ids + 1] = range[i]
  out[3] = range[i + 1]
end
if ARGV[5] ~= '1' then
  -- cjson writes an empty table as {}.
  out[4] = #ids == 0 and '[]' or cjson.encode(ids)
  return out
end
for _, clientId in ipairs(ids) do
  -- A record and its ORDER entry change in the same script: a listed id has its record.
  local raw = redis.call('GET', clientKey(clientId))
  if raw then out[#out + 1] = raw end
end
return out
`;

/** The raw JSON of every paired record. */
export const PAIRED = `
local out = {}
for _, clientId in ipairs(redis.call('SMEMBERS', BY_STATE.paired)) do
  local raw = redis.call('GET', clientKey(clientId))
  if raw then out[#out + 1] = raw end
end
return out
`;

/** { clients, paired clients, asking clients }. */
export const COUNTS = `
return { redis.call('ZCARD', ORDER), redis.call('SCARD', BY_STATE.paired), redis.call('SCARD', BY_STATE.asking) }
`;
