-- Allocates a room's next sequence. KEYS[1]: the room's counter; KEYS[2]: the (sender, messageId) dedup key;
-- ARGV[1]: dedup TTL (s). Answers {sequence, duplicate}: a resend within the dedup window gets its first sequence
-- back (duplicate 1); a missing counter is never INCRemented from zero: {-1, 0} asks the caller to rebuild it.
local prior = redis.call('GET', KEYS[2])
if prior then return {tonumber(prior), 1} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {-1, 0} end
local seq = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], seq, 'EX', tonumber(ARGV[1]))
return {seq, 0}
