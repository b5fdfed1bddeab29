/**
 * The Lua scripts run on the Redis server. Each runs atomically there, so a compare-and-set, a
 * counter increment or a log append decides once for every instance sharing the state.
 *
 * Layout under the prefix `P` (`{espada}:`, a cluster hash tag): a record is the hash `P r:<key>`
 * (fields `v` version, `u` updatedAt, `e` expiresAt when it has one, `d` JSON); the sorted set
 * `P i` holds every record key (score 0, lexicographic), for `list`; a counter is the hash
 * `P c:<key>` (`n` count, `r` resetAt); a log is the hash `P lm:<log>` (`n` positions ever given)
 * plus the list `P le:<log>` of its kept entries, each `<timestamp>:<value>` (core's `encodeLogValue`),
 * and, while writers contend, the append lease `P la:<log>` and waiter `P lw:<log>` (`APPEND_AT`,
 * not persisted). Keys and log names are written in UTF-16BE, so Redis's byte order is the contract's UTF-16 code-unit order.
 *
 * Expiry is decided by the framework's clock (`now` is passed in): an expired record is absent at
 * once; Redis drops it by itself `expiryGrace` later, and `list` drops index entries it finds gone.
 */

/** Lua: is the record (HMGET v, e) live at `now`? */
const LIVE = `
local function live(v, e, now)
  return v and (not e or tonumber(e) > now)
end
`;

/** Writes the record fields; keeps the index; sets or clears Redis's own expiry. */
const WRITE = `
local function write(k, idx, member, v, now, d, e, px, hadExpiry)
  if e == '' then
    redis.call('HSET', k, 'v', v, 'u', now, 'd', d)
    if hadExpiry then
      redis.call('HDEL', k, 'e')
      redis.call('PERSIST', k)
    end
  else
    redis.call('HSET', k, 'v', v, 'u', now, 'd', d, 'e', e)
    redis.call('PEXPIRE', k, px)
  end
  if v == 1 then redis.call('ZADD', idx, 0, member) end
end
`;

/** KEYS: record, index. ARGV: member, now, json, expiresAt ('' for none), native px. Returns the new version. */
export const PUT = `${LIVE}${WRITE}
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local v = 0
if live(cur[1], cur[2], tonumber(ARGV[2])) then v = tonumber(cur[1]) end
v = v + 1
write(KEYS[1], KEYS[2], ARGV[1], v, ARGV[2], ARGV[3], ARGV[4], ARGV[5], cur[2])
return v
`;

/**
 * KEYS: record, index. ARGV: member, now, json, expiresAt, px, expectedVersion.
 * Returns {1, version} when written, {0} when absent, {0, v, u, e, d} with the current record.
 */
export const CAS = `${LIVE}${WRITE}
local cur = redis.call('HMGET', KEYS[1], 'v', 'u', 'e', 'd')
local v = 0
if live(cur[1], cur[3], tonumber(ARGV[2])) then v = tonumber(cur[1]) end
if v ~= tonumber(ARGV[6]) then
  if v == 0 then return {0} end
  return {0, cur[1], cur[2], cur[3] or '', cur[4]}
end
write(KEYS[1], KEYS[2], ARGV[1], v + 1, ARGV[2], ARGV[3], ARGV[4], ARGV[5], cur[3])
return {1, v + 1}
`;

/** KEYS: record, index. ARGV: member, now. Returns 1 when a live record was removed. */
export const DELETE = `${LIVE}
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local existed = live(cur[1], cur[2], tonumber(ARGV[2]))
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if existed then return 1 end
return 0
`;

/**
 * KEYS: index. ARGV: record key prefix, min, max (ZRANGEBYLEX bounds), limit (0 = all), now.
 * Returns a flat array: member, v, u, e ('' for none), d for each live record, in key order.
 */
export const LIST = `${LIVE}
local limit = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
local batch = 256
if limit > 0 and limit < batch then batch = limit end
local out = {}
local n = 0
local min = ARGV[2]
while true do
  local members = redis.call('ZRANGEBYLEX', KEYS[1], min, ARGV[3], 'LIMIT', 0, batch)
  for _, m in ipairs(members) do
    local h = redis.call('HMGET', ARGV[1] .. m, 'v', 'u', 'e', 'd')
    if not h[1] then
      redis.call('ZREM', KEYS[1], m)
    elseif live(h[1], h[3], now) then
      out[#out + 1] = m
      out[#out + 1] = h[1]
      out[#out + 1] = h[2]
      out[#out + 1] = h[3] or ''
      out[#out + 1] = h[4]
      n = n + 1
      if limit > 0 and n >= limit then return out end
    end
  end
  if #members < batch then break end
  min = '(' .. members[#members]
end
return out
`;

/** KEYS: counter. ARGV: now, resetAt of a new window, by, native px of a new window. Returns {count, resetAt} as strings. */
export const INCREMENT = `
local c = redis.call('HMGET', KEYS[1], 'n', 'r')
if c[1] and tonumber(c[2]) > tonumber(ARGV[1]) then
  local text = string.format('%.17g', tonumber(c[1]) + tonumber(ARGV[3]))
  redis.call('HSET', KEYS[1], 'n', text)
  return {text, c[2]}
end
local text = string.format('%.17g', tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'n', text, 'r', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {text, ARGV[2]}
`;

/** KEYS: log meta, log entries. ARGV: the entry `<timestamp>:<value>`. Returns its position. */
export const APPEND = `
local next = redis.call('HINCRBY', KEYS[1], 'n', 1)
redis.call('RPUSH', KEYS[2], ARGV[1])
return next - 1
`;

/**
 * Lua: the reply of a conditional append (or head check) that found the log's next position
 * `next` different from `expected`: {0, next, position of the first missed entry, missed entry…},
 * at most 1000 entries, so the caller continues without a READ.
 */
const MISSED = `
local function missed(next, expected)
  local len = redis.call('LLEN', KEYS[2])
  local first = next - len
  local from = expected
  if from < first then from = first end
  if from >= next then return {0, next, from} end
  local items = redis.call('LRANGE', KEYS[2], from - first, math.min(from - first + 999, len - 1))
  table.insert(items, 1, from)
  table.insert(items, 1, next)
  table.insert(items, 1, 0)
  return items
end
`;

/**
 * Lua: the append lease of a log. Under contention a writer first takes a short lease
 * (`HEAD_AT`), then chains and sends its batch, so a batch is sent only when it will be appended.
 * The lease and the waiter are not written to the AOF nor replicated (`REPL_NONE`): they are a
 * scheduling hint that may vanish (restart, expiry) at any time; what decides an append is the
 * position check alone. KEYS[3] lease (holder token, PX), KEYS[4] the next in line (token, PX).
 */
const LEASE = `
local function busy(owner, px)
  redis.set_repl(redis.REPL_NONE)
  redis.call('SET', KEYS[4], owner, 'NX', 'PX', px)
  return {2, redis.call('PTTL', KEYS[3])}
end
local function take(owner, px)
  redis.set_repl(redis.REPL_NONE)
  redis.call('SET', KEYS[3], owner, 'PX', px)
  if redis.call('GET', KEYS[4]) == owner then redis.call('DEL', KEYS[4]) end
end
`;

/**
 * Conditional append: KEYS: log meta, log entries, lease, waiter. ARGV: expected next position,
 * writer token, lease ms, entries… Appends only when the log's next position equals the expected
 * one and no other writer holds the lease; then hands the lease to the writer waiting for it (or
 * frees it). Returns {1, first position}; {2, lease ms left} when another writer holds the lease
 * (nothing appended: ask again); or the {@link MISSED} reply, the lease then given to this writer
 * so its next batch, chained after what it missed, is appended.
 */
export const APPEND_AT = `${MISSED}${LEASE}
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return busy(ARGV[2], ARGV[3]) end
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local expected = tonumber(ARGV[1])
if next ~= expected then
  take(ARGV[2], ARGV[3])
  return missed(next, expected)
end
redis.call('HINCRBY', KEYS[1], 'n', #ARGV - 3)
for i = 4, #ARGV, 500 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.set_repl(redis.REPL_NONE)
local waiter = redis.call('GET', KEYS[4])
if waiter and waiter ~= ARGV[2] then
  redis.call('SET', KEYS[3], waiter, 'PX', ARGV[3])
  redis.call('DEL', KEYS[4])
elseif holder then
  redis.call('DEL', KEYS[3])
end
return {1, next}
`;

/**
 * Takes the append lease of a log, before a conditional append under contention: KEYS: log meta,
 * log entries, lease, waiter. ARGV: expected next position, writer token, lease ms. Writes nothing
 * durable (so nothing waits for the disk). Returns {1, next} (lease taken, the log is where the
 * writer expects), {2, lease ms left} (another writer holds it; this one is next in line), or the
 * {@link MISSED} reply (lease taken): the writer learns what it missed without sending its batch.
 */
export const HEAD_AT = `${MISSED}${LEASE}
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[2] then return busy(ARGV[2], ARGV[3]) end
take(ARGV[2], ARGV[3])
local next = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local expected = tonumber(ARGV[1])
if next ~= expected then return missed(next, expected) end
return {1, next}
`;

/**
 * KEYS: log meta, log entries. ARGV: fromPosition, limit (-1 = all).
 * Returns {first position returned, entry…}.
 */
export const READ = `
local n = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
local len = redis.call('LLEN', KEYS[2])
local first = n - len
local from = tonumber(ARGV[1])
if from < first then from = first end
local limit = tonumber(ARGV[2])
if limit == 0 or from >= n then return {from} end
local start = from - first
local stop = -1
if limit > 0 then stop = start + limit - 1 end
local items = redis.call('LRANGE', KEYS[2], start, stop)
table.insert(items, 1, from)
return items
`;

/** KEYS: log meta, log entries. ARGV: maxEntries (-1 = none), olderThan ('' = none). Returns how many were removed. */
export const TRIM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local len = redis.call('LLEN', KEYS[2])
local removed = 0
local max = tonumber(ARGV[1])
if max >= 0 and len > max then
  removed = len - max
  redis.call('LTRIM', KEYS[2], removed, -1)
  len = max
end
if ARGV[2] ~= '' then
  local older = tonumber(ARGV[2])
  while len > 0 do
    local e = redis.call('LINDEX', KEYS[2], 0)
    local ts = tonumber(string.sub(e, 1, string.find(e, ':', 1, true) - 1))
    if ts >= older then break end
    redis.call('LPOP', KEYS[2])
    removed = removed + 1
    len = len - 1
  end
end
return removed
`;

/** KEYS: log meta, log entries, append lease, waiter. Returns 1 when the log existed. */
export const DELETE_LOG = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
return existed
`;
