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
        ReserveScript = new RedisScript(Reserve);
        Reclaim = now + "\n" + ReclaimBody;
        Time = now + "\nreturn now";
    }

    public const string Probe = "return 1";

    /// <summary><see cref="Reserve"/>, called by its SHA1.</summary>
    public RedisScript ReserveScript { get; }

    /// <summary><see cref="Settle"/>, called by its SHA1.</summary>
    public RedisScript SettleScript { get; } = new(Settle);

    /// <summary>Returns the server's time (Unix ms).</summary>
    public string Time { get; }

    /// <summary>See <see cref="ReserveBody"/>.</summary>
    public string Reserve { get; }

    /// <summary>See <see cref="ReclaimBody"/>.</summary>
    public string Reclaim { get; }

    /// <summary>
    /// KEYS: leases zset, lease hash, counters…  ARGV: lease duration (ms), extra lease hash TTL (ms), the latest start and
    /// the earliest end (ms) of the charged calendar windows (both 0 when none is charged), then per counter: amount,
    /// limit, expire-at (s: positive for a window whose end moves — a conversation or a run — set on every call;
    /// negative for a calendar window's fixed end, set only when the key is created, since it never changes).
    /// Returns {1, now, values…}, {0, failedIndex, current, now}, or {2, now} when the server's time is outside a
    /// charged window (the caller's clock disagrees with the server's: nothing is changed).
    /// </summary>
    /// <remarks>
    /// Written for the server's time per call (issue 16): one MGET instead of a GET per counter, an EXPIREAT only where
    /// it changes something, and the lease written with one HSET. The lease hash is added to (HINCRBY) instead when it
    /// already exists or a counter is charged twice, as before.
    /// </remarks>
    private const string ReserveBody = """
        local n = #KEYS - 2
        local windowEnd = tonumber(ARGV[4])
        if windowEnd > 0 and (now < tonumber(ARGV[3]) or now >= windowEnd) then return {2, now} end
        if n == 0 then
          redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), KEYS[2])
          return {1, now}
        end
        local counters = {}
        for i = 1, n do counters[i] = KEYS[i + 2] end
        local current = redis.call('MGET', unpack(counters))
        for i = 1, n do
          local base = 4 + (i - 1) * 3
          local amount = tonumber(ARGV[base + 1])
          if amount > 0 then
            local value = tonumber(current[i] or '0')
            if value + amount > tonumber(ARGV[base + 2]) then return {0, i - 1, value, now} end
          end
        end
        local result = {1, now}
        local fields, seen, repeated = {}, {}, false
        for i = 1, n do
          local base = 4 + (i - 1) * 3
          local key = KEYS[i + 2]
          local amount = ARGV[base + 1]
          result[#result + 1] = redis.call('INCRBY', key, amount)
          local expireAt = tonumber(ARGV[base + 3])
          if expireAt > 0 then redis.call('EXPIREAT', key, ARGV[base + 3])
          elseif not current[i] then redis.call('EXPIREAT', key, -expireAt) end
          if seen[key] then repeated = true end
          seen[key] = true
          fields[#fields + 1] = key
          fields[#fields + 1] = amount
        end
        if repeated or redis.call('EXISTS', KEYS[2]) == 1 then
          for i = 1, n do redis.call('HINCRBY', KEYS[2], KEYS[i + 2], ARGV[4 + (i - 1) * 3 + 1]) end
        else
          redis.call('HSET', KEYS[2], unpack(fields))
        end
        local leaseMs = tonumber(ARGV[1])
        redis.call('PEXPIRE', KEYS[2], leaseMs + tonumber(ARGV[2]))
        redis.call('ZADD', KEYS[1], now + leaseMs, KEYS[2])
        return result
        """;

    /// <summary>
    /// KEYS: leases zset, lease hash, settled marker, counters…  ARGV: marker TTL (ms), then per counter: amount,
    /// expire-at (s, signed as for the reserve script). Idempotent per reservation: the marker is set first (SET NX), and a
    /// second settlement of the same id changes nothing. Returns the counters' values. A counter whose amount equals what
    /// was reserved is only read; a key that a settlement creates (it expired meanwhile) gets its expiry.
    /// </summary>
    public const string Settle = """
        local values = {}
        local n = #KEYS - 3
        if not redis.call('SET', KEYS[3], '1', 'PX', ARGV[1], 'NX') then
          if n > 0 then
            local counters = {}
            for i = 1, n do counters[i] = KEYS[i + 3] end
            local read = redis.call('MGET', unpack(counters))
            for i = 1, n do values[i] = tonumber(read[i] or '0') end
          end
          return values
        end
        local reserved = {}
        local lease = redis.call('HGETALL', KEYS[2])
        for j = 1, #lease, 2 do reserved[lease[j]] = tonumber(lease[j + 1]) end
        local unchanged = {}
        for i = 1, n do
          local base = 1 + (i - 1) * 2
          local key = KEYS[i + 3]
          local delta = tonumber(ARGV[base + 1]) - (reserved[key] or 0)
          reserved[key] = nil
          local expireAt = tonumber(ARGV[base + 2])
          if delta ~= 0 or expireAt > 0 then
            local value = redis.call('INCRBY', key, delta)
            values[i] = value
            if expireAt > 0 then redis.call('EXPIREAT', key, ARGV[base + 2])
            elseif value == delta then redis.call('EXPIREAT', key, -expireAt) end
          else
            unchanged[#unchanged + 1] = i
          end
        end
        if #unchanged > 0 then
          local keys = {}
          for j, i in ipairs(unchanged) do keys[j] = KEYS[i + 3] end
          local read = redis.call('MGET', unpack(keys))
          for j, i in ipairs(unchanged) do values[i] = tonumber(read[j] or '0') end
        end
        for key, amount in pairs(reserved) do
          if redis.call('EXISTS', key) == 1 then redis.call('DECRBY', key, amount) end
        end
        if #lease > 0 then redis.call('DEL', KEYS[2]) end
        redis.call('ZREM', KEYS[1], KEYS[2])
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
