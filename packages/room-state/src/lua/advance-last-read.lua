-- Moves a user's last-read up, never down. KEYS[1]: the room's last-read hash; ARGV: user id, wanted sequence.
-- Answers 1 when it moved, 0 when it already was there (the caller still marks it dirty: a retry after a crash
-- between this script and the dirty mark must mark it), -1 when it is behind.
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local wanted = tonumber(ARGV[2])
if wanted > current then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
if wanted == current then return 0 end
return -1
