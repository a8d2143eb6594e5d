-- Seeds the meta of a room without messages, only when Redis has no meta at all.
-- KEYS[1]: the room's meta hash; ARGV: sequence, preview, message type, created-at.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'lastSequenceId', ARGV[1], 'lastMessage', ARGV[2], 'lastMessageType', ARGV[3], 'lastMessageAt', ARGV[4])
return 1
