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
