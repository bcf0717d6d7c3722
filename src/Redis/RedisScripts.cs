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
        Reclaim = LeaseFunctions + "\n" + now + "\n" + ReclaimBody;
        Time = now + "\nreturn now";
    }

    public const string Probe = "return 1";

    /// <summary>Returns 1 when the server's Lua has the <c>struct</c> library the reserve and settle scripts read their
    /// numbers with (Redis and Valkey build it in; a server that emulates Redis may not).</summary>
    public const string StructProbe = "return struct.unpack('<d', struct.pack('<d', 1))";

    /// <summary><see cref="Reserve"/>, called by its SHA1.</summary>
    public RedisScript ReserveScript { get; }

    /// <summary><see cref="Settle"/>, called by its SHA1.</summary>
    public RedisScript SettleScript { get; } = new(Settle);

    /// <summary>Returns the server's time (Unix ms).</summary>
    public string Time { get; }

    /// <summary>The reserve script's text: the server's time, then <see cref="ReserveBody"/>.</summary>
    public string Reserve { get; }

    /// <summary>See <see cref="ReclaimBody"/>.</summary>
    public string Reclaim { get; }

    /// <summary>
    /// The Lua functions the settle and reclaim scripts share. <c>leaseAmounts</c> reads a lease (what
    /// <see cref="ReserveBody"/> stores) into a table of counter key → amount held, adding up a counter that appears
    /// twice; a lease is a string of entries <c>&lt;key's length in bytes&gt; &lt;amount&gt; &lt;key&gt;</c> with nothing
    /// between them, so the length prefix lets a key hold any byte, a space or a newline included.
    /// <c>previousLeaseAmounts</c> reads the same from a lease of the previous layout (a hash of counter key → amount).
    /// <c>giveBack</c> returns amounts held to their counters, skipping a counter that is gone (it expired with its window).
    /// </summary>
    private const string LeaseFunctions = """
        local function leaseAmounts(lease)
          local amounts, pos = {}, 1
          while pos <= #lease do
            local _, last, length, amount = string.find(lease, '^(%d+) (%-?%d+) ', pos)
            length = tonumber(length)
            local key = string.sub(lease, last + 1, last + length)
            amounts[key] = (amounts[key] or 0) + tonumber(amount)
            pos = last + length + 1
          end
          return amounts
        end
        local function previousLeaseAmounts(leaseKey)
          local fields, amounts = redis.call('HGETALL', leaseKey), {}
          for j = 1, #fields, 2 do amounts[fields[j]] = tonumber(fields[j + 1]) end
          return amounts
        end
        local function giveBack(amounts)
          for key, amount in pairs(amounts) do
            if amount ~= 0 and redis.call('EXISTS', key) == 1 then redis.call('DECRBY', key, amount) end
          end
        end
        """;

    /// <summary>
    /// Counter values read once by <see cref="ReserveBody"/> and <see cref="Settle"/>, which then work on them in Lua and
    /// write each counter once at their end. <c>readCounters(first, count)</c> reads the
    /// counters <c>KEYS[first + 1 .. first + count]</c> into <c>value</c> (a number; 0 for a key that does not exist;
    /// <c>false</c> for a key holding something that is not an integer, or a key of another type, which a call that
    /// charges it reports as its own error) and <c>exists</c>. <c>writeCounters(first, count, delta, moving, created)</c>
    /// writes back, once each, the counters a script changed: what it added (<c>delta</c>, even 0: <c>INCRBY</c> makes a
    /// missing key), then the expiry of a window whose end moves (<c>moving</c>) or of a key the script made
    /// (<c>created</c>). <c>notInteger</c> is the error of a call that charges a counter read as <c>false</c>: a message, not an error
    /// reply, so the other calls of the request are answered (StackExchange.Redis refuses an error nested in an array as
    /// an unexpected response).
    /// <c>numbers(packed, at, count)</c> reads <c>count</c> numbers from byte <c>at</c> of a packed argument (little-endian
    /// doubles, see <see cref="ScriptRequests"/>) into a table, followed by the byte after them. A request's answers are
    /// one table of numbers, <c>out</c>, which each call extends with its count of numbers then the numbers, or with −1
    /// and its error message in <c>errors</c>; <c>packAnswers(out, count, errors)</c> makes the reply, the first
    /// <c>count</c> numbers packed as little-endian doubles, then the error messages in order (see <see cref="ScriptAnswer"/>).
    /// <c>text(cache, number)</c> is <c>tostring(number)</c>, kept in <c>cache</c>: a number passed to <c>redis.call</c>
    /// is written out by the C library's <c>printf</c> (~0.4 µs) on every call, and the calls of a request mostly share
    /// their lease durations.
    /// </summary>
    private const string CounterFunctions = """
        local function readCounters(first, count)
          local value, exists = {}, {}
          if count == 0 then return value, exists end
          local names = {}
          for k = 1, count do names[k] = KEYS[first + k] end
          local read = redis.call('MGET', unpack(names))
          for k = 1, count do
            local v = read[k]
            if v then
              value[k] = tonumber(v) or false
              exists[k] = true
            elseif redis.call('EXISTS', names[k]) == 1 then
              value[k] = false
              exists[k] = true
            else
              value[k] = 0
              exists[k] = false
            end
          end
          return value, exists
        end
        local function writeCounters(first, count, delta, moving, created)
          for k = 1, count do
            if delta[k] then
              local key = KEYS[first + k]
              redis.call('INCRBY', key, delta[k])
              if moving[k] then redis.call('EXPIREAT', key, moving[k])
              elseif created[k] then redis.call('EXPIREAT', key, created[k]) end
            end
          end
        end
        local function notInteger(key)
          return 'GuardedAI counter ' .. key .. ' does not hold an integer'
        end
        local function packAnswers(out, count, errors)
          local reply = {struct.pack('<' .. string.rep('d', count), unpack(out, 1, count))}
          for i = 1, #errors do reply[i + 1] = errors[i] end
          return reply
        end
        local function text(cache, number)
          local t = cache[number]
          if not t then
            t = tostring(number)
            cache[number] = t
          end
          return t
        end
        local formats = {}
        local function numbers(packed, at, count)
          local format = formats[count]
          if not format then
            format = '<' .. string.rep('d', count)
            formats[count] = format
          end
          return {struct.unpack(format, packed, at)}
        end
        """;

    /// <summary>
    /// Reserves one call or several (a batch: calls that waited for a request slot), each decided as if the calls ran one
    /// after another in the order given: all of a call's counters fit their limits and are incremented, or none is.
    /// KEYS: held zset, the distinct counters the calls charge (c of them), then one lease key per call.
    /// ARGV: c; the calls' numbers, packed (see <c>numbers</c>): per call its lease duration (ms), extra lease TTL (ms), the
    /// latest start and the earliest end (ms) of its charged calendar windows (both 0 when none is charged), its number of
    /// counters n, then per counter: its position among the distinct counters (1-based), amount, limit, expire-at (s:
    /// positive for a window whose end moves — a conversation or a run — set on every call; negative for a calendar
    /// window's fixed end, set only when the key is created, since it never changes); then per call its lease (see
    /// <see cref="LeaseFunctions"/>), which the client writes.
    /// Answers (packed, see <c>packAnswers</c>) per call {1, now, values…}, {0, failedIndex, current, now}, {2, now} when the server's time is outside a
    /// charged window (the caller's clock disagrees with the server's: nothing is changed), or an error message (a
    /// string) when the call charges a counter that holds something other than an integer (nothing of it is changed;
    /// the other calls go on).
    /// </summary>
    /// <remarks>
    /// Issue 16: the server spends most of a script's time calling into Redis from Lua (~1 µs a <c>redis.call</c>) and
    /// reading the request. So the counters are read with one <c>MGET</c>, the calls are decided in Lua, and each counter
    /// is written once at the end (<c>INCRBY</c> of what the calls added, then its expiry); one <c>ZADD</c> enters every
    /// lease in the held set. The lease is one string written with one <c>SET … PX … NX</c> (formerly a hash: an
    /// <c>EXISTS</c>, an <c>HSET</c> and a <c>PEXPIRE</c>; building it in Lua took ~4 µs of a ~28 µs script). Its key is
    /// the one the settlement marks as settled (<c>s:&lt;id&gt;</c>), so the settlement reads the lease and marks the id
    /// in one <c>SET … GET</c>. When the key is already there (the same id reserved twice), the new amounts are appended
    /// to the lease it holds. The numbers come packed in one argument: each argument costs the server ~35 ns to read and
    /// each <c>tonumber</c> ~100 ns, and thirty of them a call were ~3 µs of the ~17 µs a reservation took in a batch
    /// (<c>struct.unpack</c> reads thirty in ~1 µs). Each call's answer goes straight into the request's table of numbers
    /// (a table of its own, copied into the request's, cost ~0.9 µs a call), and the lease's lifetime and its score in the
    /// held set are written out as text once for each lease duration in a request (see <c>text</c>): with the same in the
    /// settlement, a pair in a batch of eleven took ~10 % less script time.
    /// </remarks>
    private const string ReserveBody = CounterFunctions + "\n" + """
        local c = tonumber(ARGV[1])
        local packed = ARGV[2]
        local value, exists = readCounters(1, c)
        local delta, moving, created = {}, {}, {}
        local out, o, errors, held, heldCount = {}, 0, {}, {}, 0
        local ttlTexts, scoreTexts = {}, {}
        local byte = 1
        for r = 1, #KEYS - 1 - c do
          local leaseMs, extraTtl, windowStart, windowEnd, n, after = struct.unpack('<ddddd', packed, byte)
          local v = numbers(packed, after, n * 4)
          byte = v[n * 4 + 1]
          if windowEnd > 0 and (now < windowStart or now >= windowEnd) then
            out[o + 1], out[o + 2], out[o + 3] = 2, 2, now
            o = o + 3
          else
            local refused = false
            for j = 0, n - 1 do
              local at = j * 4
              local k = v[at + 1]
              local current = value[k]
              if not current then
                out[o + 1] = -1
                o = o + 1
                errors[#errors + 1] = notInteger(KEYS[k + 1])
                refused = true
                break
              end
              local amount = v[at + 2]
              if amount > 0 and current + amount > v[at + 3] then
                out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] = 4, 0, j, current, now
                o = o + 5
                refused = true
                break
              end
            end
            if not refused then
              out[o + 1], out[o + 2], out[o + 3] = n + 2, 1, now
              o = o + 3
              for j = 0, n - 1 do
                local at = j * 4
                local k = v[at + 1]
                local amount = v[at + 2]
                local total = value[k] + amount
                value[k] = total
                delta[k] = (delta[k] or 0) + amount
                o = o + 1
                out[o] = total
                local expireAt = v[at + 4]
                if expireAt > 0 then moving[k] = expireAt
                elseif not exists[k] then
                  exists[k] = true
                  created[k] = -expireAt
                end
              end
              local leaseKey = KEYS[1 + c + r]
              if n > 0 then
                local lease = ARGV[2 + r]
                local ttl = text(ttlTexts, leaseMs + extraTtl)
                if not redis.call('SET', leaseKey, lease, 'PX', ttl, 'NX') then
                  local previous = redis.call('GET', leaseKey)
                  if previous ~= '1' then lease = previous .. lease end
                  redis.call('SET', leaseKey, lease, 'PX', ttl)
                end
              end
              held[heldCount + 1], held[heldCount + 2] = text(scoreTexts, now + leaseMs), leaseKey
              heldCount = heldCount + 2
            end
          end
        end
        writeCounters(1, c, delta, moving, created)
        if heldCount > 0 then redis.call('ZADD', KEYS[1], unpack(held, 1, heldCount)) end
        return packAnswers(out, o, errors)
        """;

    /// <summary>
    /// Settles one call or several (a batch), each applied as if the settlements ran one after another in the order
    /// given: a call's reserved amounts are replaced by its actual ones.
    /// KEYS: held zset, the previous layout's leases zset (see remarks), the distinct counters the calls charge (c of
    /// them), then per call its lease key and its previous layout's lease hash. ARGV: c; the calls' numbers, packed as for
    /// <see cref="ReserveBody"/>: per call its settled-marker TTL (ms), its number of counters n, then per counter: its
    /// position among the distinct counters (1-based), amount, expire-at (s, signed as for <see cref="ReserveBody"/>), the
    /// amount reserved (a counter charged twice by one call: both its amounts on its first charge, 0 on the second); then
    /// per call the lease its reservation wrote (as <see cref="ReserveBody"/> stores it), or an
    /// empty string.
    /// Idempotent per reservation: the lease key is swapped for the marker <c>1</c> (<c>SET … GET</c>), and a second
    /// settlement of the same id finds the marker and changes nothing. What the lease held of a counter the settlement
    /// does not name goes back to it. Answers (packed, see <c>packAnswers</c>) per call the values of its counters, or an error message when
    /// it names a counter that holds something other than an integer: that is found before its lease is touched, so
    /// nothing of it changes and it can be settled once the counter is mended. A counter whose amount equals what was
    /// reserved is only read; a key that a settlement creates (it expired meanwhile) gets its expiry.
    /// </summary>
    /// <remarks>
    /// The layout before issue 16's change kept each lease as a hash (<c>l:&lt;id&gt;</c>, in the <c>leases</c> zset) and
    /// marked a settled id with <c>1</c> at <c>s:&lt;id&gt;</c>. Instances of both versions share one Redis during a rolling
    /// upgrade: a settlement that finds no lease under the new key takes the old hash instead (a reservation made
    /// before the upgrade, settled or replayed after it), and both versions read <c>s:&lt;id&gt;</c> = <c>1</c> as settled.
    /// The previous version of this script (one call per script) marked the id settled before it found a counter that
    /// was not an integer, so that settlement was never applied.
    /// Issue 16: reading a lease's text (<c>leaseAmounts</c>: a pattern, two numbers and a key a counter) took ~5 µs of
    /// the ~18 µs a settlement takes in a batch. The client knows the lease its reservation wrote, so it sends it with the
    /// amounts reserved: when the lease found is that very string, the amounts come from the request, and the lease is
    /// read only when it differs (the same id reserved twice, a settlement replayed with other amounts, the previous layout).
    /// </remarks>
    public const string Settle = LeaseFunctions + "\n" + CounterFunctions + """

        local c = tonumber(ARGV[1])
        local packed = ARGV[2]
        local value, exists = readCounters(2, c)
        local position = {}
        for k = 1, c do position[KEYS[k + 2]] = k end
        local delta, moving, created = {}, {}, {}
        local out, o, errors, released, releasedCount = {}, 0, {}, {}, 0
        local ttlTexts = {}
        local byte = 1
        local keyAt = 2 + c
        for r = 1, (#KEYS - 2 - c) / 2 do
          local leaseKey, previousKey = KEYS[keyAt + 1], KEYS[keyAt + 2]
          keyAt = keyAt + 2
          local ttl, n, after = struct.unpack('<dd', packed, byte)
          local v = numbers(packed, after, n * 4)
          byte = v[n * 4 + 1]
          local refused = false
          for j = 0, n - 1 do
            local k = v[j * 4 + 1]
            if not value[k] then
              out[o + 1] = -1
              o = o + 1
              errors[#errors + 1] = notInteger(KEYS[k + 2])
              refused = true
              break
            end
          end
          if not refused then
            out[o + 1] = n
            o = o + 1
            local held = redis.call('SET', leaseKey, '1', 'PX', text(ttlTexts, ttl), 'GET')
            if held == '1' then
              for j = 0, n - 1 do out[o + j + 1] = value[v[j * 4 + 1]] end
              o = o + n
            else
              -- The amounts reserved, by counter key; nil when the lease found is the one this settlement's reservation
              -- wrote, whose amounts came with the request: each counter's on its first charge and 0 on a later charge of
              -- the same counter (ScriptRequests adds them up), which is how the lease's amounts apply when read by key.
              local reserved
              if held and held == ARGV[2 + r] then
                reserved = nil
              elseif held then
                reserved = leaseAmounts(held)
              else
                reserved = previousLeaseAmounts(previousKey)
                if next(reserved) then
                  redis.call('DEL', previousKey)
                  redis.call('ZREM', KEYS[2], previousKey)
                end
              end
              releasedCount = releasedCount + 1
              released[releasedCount] = leaseKey
              for j = 0, n - 1 do
                local at = j * 4
                local k = v[at + 1]
                local change
                if reserved then
                  local key = KEYS[k + 2]
                  change = v[at + 2] - (reserved[key] or 0)
                  reserved[key] = nil
                else
                  change = v[at + 2] - v[at + 4]
                end
                local expireAt = v[at + 3]
                if change ~= 0 or expireAt > 0 then
                  value[k] = value[k] + change
                  delta[k] = (delta[k] or 0) + change
                  exists[k] = true
                  if expireAt > 0 then moving[k] = expireAt
                  elseif value[k] == change then created[k] = -expireAt end
                end
                o = o + 1
                out[o] = value[k]
              end
              -- What the lease held of counters this settlement does not name goes back, as giveBack does (the
              -- request's own amounts name only its counters).
              if reserved then
                for key, amount in pairs(reserved) do
                  local k = position[key]
                  if amount ~= 0 then
                    if k and value[k] then
                      if exists[k] then
                        value[k] = value[k] - amount
                        delta[k] = (delta[k] or 0) - amount
                      end
                    elseif redis.call('EXISTS', key) == 1 then
                      redis.call('DECRBY', key, amount)
                    end
                  end
                end
              end
            end
          end
        end
        writeCounters(2, c, delta, moving, created)
        if releasedCount > 0 then redis.call('ZREM', KEYS[1], unpack(released, 1, releasedCount)) end
        return packAnswers(out, o, errors)
        """;

    /// <summary>
    /// KEYS: held zset, the previous layout's leases zset.  ARGV: batch size. Returns {how many leases expired by the
    /// server's time were returned, now}. Leases of both layouts are returned (see <see cref="Settle"/>'s remarks).
    /// </summary>
    private const string ReclaimBody = """
        local batch = tonumber(ARGV[1])
        local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, batch)
        for _, leaseKey in ipairs(expired) do
          local held = redis.call('GET', leaseKey)
          if held and held ~= '1' then
            giveBack(leaseAmounts(held))
            redis.call('DEL', leaseKey)
          end
          redis.call('ZREM', KEYS[1], leaseKey)
        end
        local count = #expired
        if count < batch then
          local previous = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch - count)
          for _, leaseKey in ipairs(previous) do
            giveBack(previousLeaseAmounts(leaseKey))
            redis.call('DEL', leaseKey)
            redis.call('ZREM', KEYS[2], leaseKey)
          end
          count = count + #previous
        end
        return {count, now}
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
