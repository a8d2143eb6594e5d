-- Puts entries (ARGV) back into the dirty set (KEYS[1]) for a later run and out of the in-flight set (KEYS[2]).
for _, m in ipairs(ARGV) do
  redis.call('SREM', KEYS[2], m)
  redis.call('SADD', KEYS[1], m)
end
return #ARGV
