using System.Globalization;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// Budget counters in Redis, shared by every instance. A reservation is one Lua script (one round trip) that
/// checks every limit and increments every counter, all or none, and records a lease; a settlement is one script
/// that replaces the reserved amounts with the actual ones, exactly once per reservation id; expired leases (a
/// crashed instance's calls) are returned by whichever instance sweeps first. Counter keys expire after their
/// window (plus a grace period).
/// </summary>
public sealed class RedisBudgetCounterStore : IBudgetCounterStore
{
    private readonly GuardedAIRedis _redis;
    private readonly RedisKey _leases;

    internal RedisBudgetCounterStore(GuardedAIRedis redis)
    {
        _redis = redis;
        _leases = Prefix + "leases";
    }

    private string Prefix => _redis.Options.KeyPrefix;

    /// <inheritdoc/>
    public CounterRestoreStrategy RestoreStrategy => CounterRestoreStrategy.ReplaySettlements;

    /// <inheritdoc/>
    public TimeSpan ReplayHorizon => _redis.Options.SettlementMemory - TimeSpan.FromMinutes(1);

    /// <summary>The Redis key of a counter.</summary>
    public string CounterKeyName(CounterKey key) => Prefix + "c:" + key.ToStorageKey();

    /// <inheritdoc/>
    /// <remarks>
    /// The script decides by the Redis server's clock: the lease expires its duration (<see cref="CounterReservation.ExpiresAt"/>
    /// minus the shared clock's now) after the server's now, and when the server's now is outside a charged calendar
    /// window nothing is reserved and <see cref="CounterReserveResult.OutsideWindow"/> carries the server's time.
    /// </remarks>
    public async ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var reservationId = reservation.Id;
        var leaseExpiresAt = reservation.ExpiresAt;
        var charges = new CounterCharge[reservation.Count];
        for (var i = 0; i < charges.Length; i++) charges[i] = reservation[i];
        var clock = _redis.Clock;
        var keys = new RedisKey[charges.Length + 2];
        var args = new RedisValue[charges.Length * 3 + 4];
        keys[0] = _leases;
        keys[1] = LeaseKey(reservationId);
        args[0] = (long)Math.Max(0, (leaseExpiresAt - clock.GetUtcNow()).TotalMilliseconds);
        args[1] = LeaseHashExtraMs;
        // The server's now must lie in every charged calendar window: after the latest start, before the earliest end.
        long latestStart = 0, earliestEnd = 0;
        for (var i = 0; i < charges.Length; i++)
        {
            var charge = charges[i];
            keys[i + 2] = CounterKeyName(charge.Key);
            args[4 + i * 3] = charge.Amount;
            args[5 + i * 3] = charge.Limit;
            args[6 + i * 3] = SignedExpireAt(charge);
            if (!IsCalendar(charge)) continue;
            latestStart = Math.Max(latestStart, charge.Key.WindowStart.ToUnixTimeMilliseconds());
            var end = charge.WindowEnd.ToUnixTimeMilliseconds();
            earliestEnd = earliestEnd == 0 ? end : Math.Min(earliestEnd, end);
        }
        args[2] = latestStart;
        args[3] = earliestEnd;
        var before = clock.Local.GetUtcNow();
        var result = (RedisResult[])(await _redis.RunAsync(db => _redis.Scripts.ReserveScript.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false))!;
        var after = clock.Local.GetUtcNow();
        switch ((long)result[0])
        {
            case 2:
                _redis.ObserveServerTime(before, (long)result[1], after, force: true);
                return CounterReserveResult.OutsideWindow(DateTimeOffset.FromUnixTimeMilliseconds((long)result[1]));
            case 0:
                _redis.ObserveServerTime(before, (long)result[3], after);
                return CounterReserveResult.Denied((int)(long)result[1], (long)result[2]);
        }
        _redis.ObserveServerTime(before, (long)result[1], after);
        var values = reservation.Values;
        for (var i = 0; i < values.Length; i++) values[i] = (long)result[i + 2];
        return CounterReserveResult.Reserved();
    }

    /// <inheritdoc/>
    /// <remarks>The lease is found by <see cref="CounterReservation.Id"/>, so a settlement replayed from the ledger (another
    /// object with the same id) is counted once.</remarks>
    public async ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var reservationId = reservation.Id;
        var actual = new CounterCharge[reservation.Count];
        for (var i = 0; i < actual.Length; i++) actual[i] = reservation[i] with { Amount = reservation.ActualAmount(i) };
        var keys = new RedisKey[actual.Length + 3];
        var args = new RedisValue[actual.Length * 2 + 1];
        keys[0] = _leases;
        keys[1] = LeaseKey(reservationId);
        keys[2] = Prefix + "s:" + reservationId;
        args[0] = (long)_redis.Options.SettlementMemory.TotalMilliseconds;
        for (var i = 0; i < actual.Length; i++)
        {
            keys[i + 3] = CounterKeyName(actual[i].Key);
            args[1 + i * 2] = actual[i].Amount;
            args[2 + i * 2] = SignedExpireAt(actual[i]);
        }
        var result = (RedisResult[])(await _redis.RunAsync(db => _redis.Scripts.SettleScript.EvaluateAsync(db, keys, args), cancellationToken).ConfigureAwait(false))!;
        var values = reservation.Values;
        for (var i = 0; i < values.Length; i++) values[i] = (long)result[i];
    }

    /// <inheritdoc/>
    /// <remarks>Leases expire by the Redis server's clock: <paramref name="now"/> is not used, so every instance's sweep agrees.</remarks>
    public async ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var total = 0;
        var clock = _redis.Clock;
        while (true)
        {
            var batch = _redis.Options.ReclaimBatchSize;
            var before = clock.Local.GetUtcNow();
            var result = (RedisResult[])(await _redis.RunAsync(db => db.ScriptEvaluateAsync(_redis.Scripts.Reclaim, [_leases], [batch]), cancellationToken).ConfigureAwait(false))!;
            _redis.ObserveServerTime(before, (long)result[1], clock.Local.GetUtcNow());
            var reclaimed = (int)(long)result[0];
            total += reclaimed;
            if (reclaimed < batch) return total;
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default)
    {
        var names = keys.Select(k => (RedisKey)CounterKeyName(k)).ToArray();
        var values = await _redis.RunAsync(db => db.StringGetAsync(names), cancellationToken).ConfigureAwait(false);
        return values.Select(v => v.IsNull ? 0L : (long)v).ToArray();
    }

    /// <inheritdoc/>
    public async ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default)
    {
        if (charges.Count == 0) return;
        var keys = charges.Select(c => (RedisKey)CounterKeyName(c.Key)).ToArray();
        var args = new RedisValue[charges.Count * 2];
        for (var i = 0; i < charges.Count; i++)
        {
            args[i * 2] = charges[i].Amount;
            args[i * 2 + 1] = ExpireAt(charges[i]);
        }
        await _redis.RunAsync(db => db.ScriptEvaluateAsync(RedisScripts.Add, keys, args), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reservations whose lease is outstanding (for diagnostics and tests).</summary>
    public async Task<long> OutstandingReservationsAsync(CancellationToken cancellationToken = default) =>
        await _redis.RunAsync(db => db.SortedSetLengthAsync(_leases), cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public override string ToString() => $"Redis counter store at {_redis.Endpoint}";

    private RedisKey LeaseKey(string reservationId) => Prefix + "l:" + reservationId;

    private long ExpireAt(in CounterCharge charge) => (charge.WindowEnd + _redis.Options.CounterGracePeriod).ToUnixTimeSeconds();

    /// <summary>
    /// The expiry as the reserve and settle scripts take it: negative for a calendar window, whose end is fixed, so the
    /// script sets it only when it creates the key; positive for a window whose end moves (conversation, run), set every time.
    /// </summary>
    private long SignedExpireAt(in CounterCharge charge) => IsCalendar(charge) ? -ExpireAt(charge) : ExpireAt(charge);

    private static bool IsCalendar(in CounterCharge charge) => charge.Key.Window <= BudgetWindow.Month;

    /// <summary>How long a lease hash outlives its lease (a safety net: sweeps and settlements delete it).</summary>
    private const long LeaseHashExtraMs = 86_400_000;
}
