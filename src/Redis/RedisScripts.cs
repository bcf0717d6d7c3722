namespace GuardedAI.Redis;

/// <summary>The Lua scripts. Each runs atomically on the server, so one round trip checks and updates every limit.</summary>
internal static class RedisScripts
{
    public const string Probe = "return 1";

    /// <summary>
    /// KEYS: leases zset, lease hash, counters…  ARGV: lease expiry (ms), lease hash TTL (ms), then per counter: amount, limit, expire-at (s).
    /// Returns {1, values…} or {0, failedIndex, current}.
    /// </summary>
    public const string Reserve = """
        local n = #KEYS - 2
        for i = 1, n do
          local base = 2 + (i - 1) * 3
          local amount = tonumber(ARGV[base + 1])
          if amount > 0 then
            local current = tonumber(redis.call('GET', KEYS[i + 2]) or '0')
            if current + amount > tonumber(ARGV[base + 2]) then return {0, i - 1, current} end
          end
        end
        local result = {1}
        for i = 1, n do
          local base = 2 + (i - 1) * 3
          local amount = ARGV[base + 1]
          result[#result + 1] = redis.call('INCRBY', KEYS[i + 2], amount)
          redis.call('EXPIREAT', KEYS[i + 2], ARGV[base + 3])
          redis.call('HINCRBY', KEYS[2], KEYS[i + 2], amount)
        end
        if n > 0 then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
        redis.call('ZADD', KEYS[1], ARGV[1], KEYS[2])
        return result
        """;

    /// <summary>
    /// KEYS: leases zset, lease hash, settled marker, counters…  ARGV: marker TTL (ms), then per counter: amount, expire-at (s).
    /// Idempotent per reservation: a second settlement of the same id changes nothing. Returns the counters' values.
    /// </summary>
    public const string Settle = """
        local values = {}
        if redis.call('EXISTS', KEYS[3]) == 1 then
          for i = 4, #KEYS do values[#values + 1] = tonumber(redis.call('GET', KEYS[i]) or '0') end
          return values
        end
        local reserved = {}
        local lease = redis.call('HGETALL', KEYS[2])
        for j = 1, #lease, 2 do reserved[lease[j]] = tonumber(lease[j + 1]) end
        for i = 4, #KEYS do
          local base = 1 + (i - 4) * 2
          local delta = tonumber(ARGV[base + 1]) - (reserved[KEYS[i]] or 0)
          reserved[KEYS[i]] = nil
          values[#values + 1] = redis.call('INCRBY', KEYS[i], delta)
          redis.call('EXPIREAT', KEYS[i], ARGV[base + 2])
        end
        for key, amount in pairs(reserved) do
          if redis.call('EXISTS', key) == 1 then redis.call('DECRBY', key, amount) end
        end
        redis.call('DEL', KEYS[2])
        redis.call('ZREM', KEYS[1], KEYS[2])
        redis.call('SET', KEYS[3], '1', 'PX', ARGV[1])
        return values
        """;

    /// <summary>KEYS: leases zset.  ARGV: now (ms), batch size. Returns how many leases were returned to their counters.</summary>
    public const string Reclaim = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
        for _, leaseKey in ipairs(expired) do
          local lease = redis.call('HGETALL', leaseKey)
          for j = 1, #lease, 2 do
            if redis.call('EXISTS', lease[j]) == 1 then redis.call('DECRBY', lease[j], lease[j + 1]) end
          end
          redis.call('DEL', leaseKey)
          redis.call('ZREM', KEYS[1], leaseKey)
        end
        return #expired
        """;

    /// <summary>KEYS: counters…  ARGV: per counter: amount, expire-at (s).</summary>
    public const string Add = """
        for i = 1, #KEYS do
          redis.call('INCRBY', KEYS[i], ARGV[(i - 1) * 2 + 1])
          redis.call('EXPIREAT', KEYS[i], ARGV[(i - 1) * 2 + 2])
        end
        return #KEYS
        """;

    /// <summary>KEYS: breaker hash.  ARGV: scope, updated ticks, payload. Writes only if newer than what is stored.</summary>
    public const string SaveBreaker = """
        local current = redis.call('HGET', KEYS[1], ARGV[1])
        if current then
          local ticks = tonumber(string.match(current, '^(%d+)|'))
          if ticks and ticks > tonumber(ARGV[2]) then return 0 end
        end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
        return 1
        """;
}
