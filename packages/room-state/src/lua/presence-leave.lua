-- Removes one connection's presence. KEYS[1]: the room's presence sorted set; ARGV: member, now, user prefix.
-- Answers 1 when the user is still online through another live connection.
redis.call('ZREM', KEYS[1], ARGV[1])
local prefix = ARGV[3]
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
  if string.sub(m, 1, string.len(prefix)) == prefix then return 1 end
end
return 0
