-- Removes expired entries. KEYS[1]: the room's presence sorted set; ARGV[1]: now.
-- Answers {next expiry or -1, users left without a live entry...}.
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if #expired > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1]) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local result = { first[2] or '-1' }
local live = redis.call('ZRANGE', KEYS[1], 0, -1)
local seen = {}
for _, m in ipairs(expired) do
  local user = string.match(m, '^([^|]+)|')
  if user and not seen[user] then
    seen[user] = true
    local still = false
    for _, l in ipairs(live) do
      if string.sub(l, 1, string.len(user) + 1) == user .. '|' then still = true break end
    end
    if not still then table.insert(result, user) end
  end
end
return result
