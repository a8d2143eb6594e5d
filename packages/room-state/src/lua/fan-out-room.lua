-- Everything the fan-out changes and reads in one room for one batch, in one call (all keys carry the room's
-- hash tag, so they share a cluster slot). Per-user room lists and the global dirty sets live in other slots
-- and are written by the caller afterwards.
-- KEYS: meta hash, presence sorted set, last-read hash, members set, routes sorted set.
-- ARGV: now (ms), newest sequence, its preview, its type, its created-at, then pairs (sender id, sender's newest sequence).
-- Answers { meta state, live servers, present users, { user, state, ... }, last-read hash (flat), members }
-- where a state is 1 moved, 0 already there, -1 behind (as advance-meta.lua and advance-last-read.lua).
local now = ARGV[1]
local newest = tonumber(ARGV[2])

local metaState = -1
local current = tonumber(redis.call('HGET', KEYS[1], 'lastSequenceId') or '0')
if newest > current then
  redis.call('HSET', KEYS[1], 'lastSequenceId', ARGV[2], 'lastMessage', ARGV[3], 'lastMessageType', ARGV[4], 'lastMessageAt', ARGV[5])
  metaState = 1
elseif newest == current then
  metaState = 0
end

-- Routes: expired holders are pruned, live ones answered (as RouteRegistry.liveServers).
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
local servers = redis.call('ZRANGEBYSCORE', KEYS[5], now, '+inf')

-- Users with a live presence entry (member = user|connection|server).
local present, isPresent = {}, {}
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], now, '+inf')) do
  local user = string.match(m, '^([^|]+)|')
  if user and not isPresent[user] then
    isPresent[user] = true
    table.insert(present, user)
  end
end

-- Each sender reads up to their own newest message, everyone present up to the batch's newest.
local order, wanted = {}, {}
for i = 6, #ARGV, 2 do
  if not wanted[ARGV[i]] then table.insert(order, ARGV[i]) end
  wanted[ARGV[i]] = ARGV[i + 1]
end
for _, user in ipairs(present) do
  if not wanted[user] then table.insert(order, user) end
  wanted[user] = ARGV[2]
end
local states = {}
for _, user in ipairs(order) do
  local seq = tonumber(wanted[user])
  local was = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  local state = -1
  if seq > was then
    redis.call('HSET', KEYS[3], user, wanted[user])
    state = 1
  elseif seq == was then
    state = 0
  end
  table.insert(states, user)
  table.insert(states, state)
  table.insert(states, wanted[user])
end

return { metaState, servers, present, states, redis.call('HGETALL', KEYS[3]), redis.call('SMEMBERS', KEYS[4]) }
