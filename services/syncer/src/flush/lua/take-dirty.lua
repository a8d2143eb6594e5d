-- Moves up to ARGV[1] entries from the dirty set (KEYS[1]) into the in-flight set (KEYS[2]) and answers
-- everything in flight, including entries a crashed flush left behind. Taking an entry out of the dirty set
-- before its value is read closes the lost-update window: a change during the flush marks it dirty again.
local taken = redis.call('SPOP', KEYS[1], ARGV[1])
for _, m in ipairs(taken) do redis.call('SADD', KEYS[2], m) end
return redis.call('SMEMBERS', KEYS[2])
