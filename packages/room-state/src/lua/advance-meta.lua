-- Updates the room's meta only with a newer message, so a late or redelivered event never moves it back.
-- KEYS[1]: the room's meta hash; ARGV: sequence, preview, message type, created-at.
-- Answers 1 when it moved, 0 when it already was there (still marked dirty by the caller), -1 when it is behind.
local current = tonumber(redis.call('HGET', KEYS[1], 'lastSequenceId') or '0')
local wanted = tonumber(ARGV[1])
if wanted < current then return -1 end
if wanted == current then return 0 end
redis.call('HSET', KEYS[1], 'lastSequenceId', ARGV[1], 'lastMessage', ARGV[2], 'lastMessageType', ARGV[3], 'lastMessageAt', ARGV[4])
return 1
