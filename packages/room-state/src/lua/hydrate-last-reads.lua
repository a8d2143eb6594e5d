-- Merges last-read values from the system of record (each only upwards) and marks the hash as hydrated.
-- KEYS[1]: the room's last-read hash; ARGV: user id, sequence, user id, sequence, ...
for i = 1, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]) or '0')
  if tonumber(ARGV[i + 1]) > current then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', KEYS[1], '~hydrated', '1')
return 1
