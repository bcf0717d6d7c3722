namespace GuardedAI.Redis;

/// <summary>
/// The Lua scripts. Each runs atomically on the server, so one round trip checks and updates every limit. The scripts
/// that need the time take it from the server (<c>TIME</c>): every instance then agrees which window is current and
/// when a lease expires, whatever its own clock says.
/// </summary>
internal sealed class RedisScripts
{
    /// <summary>Sets the Lua local <c>now</c> to the server's time in Unix milliseconds.</summary>
    private const string ServerTime = """
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        """;

    /// <param name="testClockKey">
    /// Tests only: a key whose value (Unix ms), when present, replaces the server's <c>TIME</c>, so a test can put the
    /// shared clock just before midnight. Null in production: the scripts then contain no such read.
    /// </param>
    public RedisScripts(string? testClockKey)
    {
        var now = testClockKey is null ? ServerTime : $$"""
            local now = tonumber(redis.call('GET', '{{testClockKey.Replace("'", "\\'", StringComparison.Ordinal)}}'))
            if not now then
              local clock = redis.call('TIME')
              now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            end
            """;
        Reserve = now + "\n" + ReserveBody;
        Reclaim = now + "\n" + ReclaimBody;
        Time = now + "\nreturn now";
    }

    public const string Probe = "return 1";

    /// <summary>Returns the server's time (Unix ms).</summary>
    public string Time { get; }

    /// <summary>See <see cref="ReserveBody"/>.</summary>
    public string Reserve { get; }

    /// <summary>See <see cref="ReclaimBody"/>.</summary>
    public string Reclaim { get; }

    /// <summary>
    /// KEYS: leases zset, lease hash, counters…  ARGV: lease duration (ms), extra lease hash TTL (ms), then per counter:
    /// amount, limit, expire-at (s), window start (ms), window end (ms) — both 0 for a counter that is not a calendar window.
    /// Returns {1, now, values…}, {0, failedIndex, current, now}, or {2, now} when the server's time is outside a
    /// counter's window (the caller's clock disagrees with the server's: nothing is changed).
    /// </summary>
    private const string ReserveBody = """
        local n = #KEYS - 2
        for i = 1, n do
          local base = 2 + (i - 1) * 5
          local windowEnd = tonumber(ARGV[base + 5])
          if windowEnd > 0 and (now < tonumber(ARGV[base + 4]) or now >= windowEnd) then return {2, now} end
        end
        for i = 1, n do
          local base = 2 + (i - 1) * 5
          local amount = tonumber(ARGV[base + 1])
          if amount > 0 then
            local current = tonumber(redis.call('GET', KEYS[i + 2]) or '0')
            if current + amount > tonumber(ARGV[base + 2]) then return {0, i - 1, current, now} end
          end
        end
        local result = {1, now}
        for i = 1, n do
          local base = 2 + (i - 1) * 5
          local amount = ARGV[base + 1]
          result[#result + 1] = redis.call('INCRBY', KEYS[i + 2], amount)
          redis.call('EXPIREAT', KEYS[i + 2], ARGV[base + 3])
          redis.call('HINCRBY', KEYS[2], KEYS[i + 2], amount)
        end
        local leaseMs = tonumber(ARGV[1])
        if n > 0 then redis.call('PEXPIRE', KEYS[2], leaseMs + tonumber(ARGV[2])) end
        redis.call('ZADD', KEYS[1], now + leaseMs, KEYS[2])
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

    /// <summary>KEYS: leases zset.  ARGV: batch size. Returns {how many leases expired by the server's time were returned, now}.</summary>
    private const string ReclaimBody = """
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, ARGV[1])
        for _, leaseKey in ipairs(expired) do
          local lease = redis.call('HGETALL', leaseKey)
          for j = 1, #lease, 2 do
            if redis.call('EXISTS', lease[j]) == 1 then redis.call('DECRBY', lease[j], lease[j + 1]) end
          end
          redis.call('DEL', leaseKey)
          redis.call('ZREM', KEYS[1], leaseKey)
        end
        return {#expired, now}
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
