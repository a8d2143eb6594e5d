-- Registers or refreshes one connection's presence. KEYS[1]: the room's presence sorted set;
-- ARGV: member (user|connection|server), now, user prefix (user|), expiry of the entry, TTL of the set (ms).
-- Answers 1 when the user was already online through a live entry (another connection, or this one unexpired).
local prefix = ARGV[3]
local was = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf')) do
  if string.sub(m, 1, string.len(prefix)) == prefix and m ~= ARGV[1] then was = 1 break end
end
if was == 0 and redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  if tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1])) > tonumber(ARGV[2]) then was = 1 end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return was
