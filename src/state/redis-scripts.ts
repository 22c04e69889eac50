// The Lua scripts the Redis store runs. Each is atomic in Redis, so no count is lost between
// replicas, and each publishes what it changed on the store's channel, so the other replicas'
// local copies follow by message instead of polling. Every record carries versions (`hv` for
// health, `cv` for counters and averages, `v` for spend) that only grow, so a replica can tell a
// newer message from an older one whichever connection brought it first.
//
// Numbers go out as strings: Redis turns a Lua number reply into an integer, and an EMA or a
// float needs its fractional part.

/**
 * Health compare-and-set. KEYS: record, ids set. ARGV: expected hv, health JSON, channel, id, origin.
 * Returns {1, hv} when written, else {0, hv, current health JSON or ''}.
 */
export const casHealthScript = `
local hv = tonumber(redis.call('HGET', KEYS[1], 'hv') or '0')
if hv ~= tonumber(ARGV[1]) then
  return {0, hv, redis.call('HGET', KEYS[1], 'health') or ''}
end
hv = redis.call('HINCRBY', KEYS[1], 'hv', 1)
redis.call('HSET', KEYS[1], 'health', ARGV[2])
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('PUBLISH', ARGV[3], cjson.encode({t = 'h', id = ARGV[4], o = ARGV[5], hv = tostring(hv), h = ARGV[2]}))
return {1, hv}
`;

/**
 * Adds counter deltas and folds samples into the averages. KEYS: record, ids set. ARGV: channel,
 * id, origin, requests delta, errors delta, inflight delta, the prefix of the replicas' liveness
 * keys, then for each average (latencyEmaMs, firstTokenEmaMs) a count n and n pairs of (sample,
 * alpha). Returns {cv, requests, errors, inflight, latencyEmaMs or '', firstTokenEmaMs or ''}.
 *
 * Requests in flight are kept per replica (`inflight:<origin>`) and summed over the replicas that
 * are alive (their liveness key exists), so a replica that died mid-request leaves no count behind.
 */
export const countersScript = `
local key = KEYS[1]
local requests = redis.call('HINCRBY', key, 'requests', ARGV[4])
local errors = redis.call('HINCRBY', key, 'errors', ARGV[5])
local mine = 'inflight:' .. ARGV[3]
local own = tonumber(redis.call('HGET', key, mine) or '0') + tonumber(ARGV[6])
if own > 0 then redis.call('HSET', key, mine, own) else redis.call('HDEL', key, mine) end
local inflight = 0
local fields = redis.call('HGETALL', key)
for index = 1, #fields, 2 do
  local name = fields[index]
  if string.sub(name, 1, 9) == 'inflight:' then
    local origin = string.sub(name, 10)
    if origin == ARGV[3] or redis.call('EXISTS', ARGV[7] .. origin) == 1 then
      inflight = inflight + tonumber(fields[index + 1])
    else
      redis.call('HDEL', key, name)
    end
  end
end
redis.call('HSET', key, 'inflight', inflight)
local at = 8
local averages = {}
for _, field in ipairs({'latencyEmaMs', 'firstTokenEmaMs'}) do
  local n = tonumber(ARGV[at])
  local stored = redis.call('HGET', key, field)
  local average = stored and tonumber(stored) or nil
  for k = 0, n - 1 do
    local sample = tonumber(ARGV[at + 1 + 2 * k])
    local alpha = tonumber(ARGV[at + 2 + 2 * k])
    if average == nil then average = sample else average = alpha * sample + (1 - alpha) * average end
  end
  at = at + 1 + 2 * n
  if average == nil then
    averages[field] = ''
  else
    averages[field] = string.format('%.17g', average)
    redis.call('HSET', key, field, averages[field])
  end
end
local cv = redis.call('HINCRBY', key, 'cv', 1)
redis.call('SADD', KEYS[2], ARGV[2])
local reply = {tostring(cv), tostring(requests), tostring(errors), tostring(inflight), averages.latencyEmaMs, averages.firstTokenEmaMs}
redis.call('PUBLISH', ARGV[1], cjson.encode({t = 'c', id = ARGV[2], o = ARGV[3], c = reply}))
return reply
`;

/**
 * Adds to a spend scope; cost is in integer nano-USD so sums are exact. KEYS: spend hash, scopes
 * set. ARGV: channel, scope, origin, requests, input tokens, output tokens, cost nano-USD.
 * Returns {v, requests, inputTokens, outputTokens, costNanos}.
 */
export const spendScript = `
local key = KEYS[1]
local reply = {
  tostring(redis.call('HINCRBY', key, 'v', 1)),
  tostring(redis.call('HINCRBY', key, 'requests', ARGV[4])),
  tostring(redis.call('HINCRBY', key, 'inputTokens', ARGV[5])),
  tostring(redis.call('HINCRBY', key, 'outputTokens', ARGV[6])),
  tostring(redis.call('HINCRBY', key, 'costNanos', ARGV[7])),
}
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({t = 's', id = ARGV[2], o = ARGV[3], s = reply}))
return reply
`;

/**
 * Starts a record afresh, keeping its versions growing. KEYS: record, ids set. ARGV: channel, id,
 * origin, fresh health JSON. Returns {hv, cv}.
 */
export const resetScript = `
local key = KEYS[1]
local fields = redis.call('HKEYS', key)
for _, name in ipairs(fields) do
  if string.sub(name, 1, 9) == 'inflight:' then redis.call('HDEL', key, name) end
end
redis.call('HSET', key, 'health', ARGV[4], 'requests', 0, 'errors', 0, 'inflight', 0)
redis.call('HDEL', key, 'latencyEmaMs', 'firstTokenEmaMs')
local hv = redis.call('HINCRBY', key, 'hv', 1)
local cv = redis.call('HINCRBY', key, 'cv', 1)
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[1], cjson.encode({t = 'r', id = ARGV[2], o = ARGV[3], hv = tostring(hv), cv = tostring(cv)}))
return {hv, cv}
`;

/**
 * Writes a hash only if it does not exist (a Redis that came back empty, re-seeded from a replica's
 * copy). KEYS: the hash, its set. ARGV: id, then field/value pairs. Returns 1 if written.
 */
export const seedScript = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/** Deletes a lease only if this holder still has it. KEYS: lease. ARGV: token. */
export const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Adds one replica's counts of one history step and sets when the step expires, in one command
 * (all of it or none). KEYS: the step's hash. ARGV: ms until it expires, then field/increment pairs.
 */
export const historyStepScript = `
for index = 2, #ARGV, 2 do redis.call('HINCRBY', KEYS[1], ARGV[index], ARGV[index + 1]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;
