using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
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
    private readonly RedisKey _held;
    private readonly RedisKey _previousLeases;

    internal RedisBudgetCounterStore(GuardedAIRedis redis)
    {
        _redis = redis;
        _held = Prefix + "held";
        _previousLeases = Prefix + "leases";
    }

    private string Prefix => _redis.Options.KeyPrefix;

    /// <summary>The sorted set of outstanding leases, by their expiry on the server's clock.</summary>
    internal RedisKey HeldKey => _held;

    /// <summary>The sorted set of the previous layout's leases (read during a rolling upgrade).</summary>
    internal RedisKey PreviousLeasesKey => _previousLeases;

    /// <summary>How long a settled reservation's marker is kept (ms).</summary>
    internal long SettledMarkerMs => (long)_redis.Options.SettlementMemory.TotalMilliseconds;

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
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]   // suspended on every call: its box is reused, not allocated (issue 16)
    public async ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var set = reservation.Set;
        var charges = set.Charges;
        var names = CounterKeys(set);
        var clock = _redis.Clock;
        // The server's now must lie in every charged calendar window: after the latest start, before the earliest end.
        long latestStart = 0, earliestEnd = 0;
        for (var i = 0; i < charges.Length; i++)
        {
            ref readonly var charge = ref charges[i];
            if (!IsCalendar(charge)) continue;
            latestStart = Math.Max(latestStart, charge.Key.WindowStart.ToUnixTimeMilliseconds());
            var end = charge.WindowEnd.ToUnixTimeMilliseconds();
            earliestEnd = earliestEnd == 0 ? end : Math.Min(earliestEnd, end);
        }
        var leaseMs = (long)Math.Max(0, (reservation.ExpiresAt - clock.GetUtcNow()).TotalMilliseconds);
        var call = new ReserveCall(this, reservation, names.Keys, LeaseKey(reservation.Id), leaseMs, latestStart, earliestEnd, names.Lease(reservation));
        var before = clock.Local.GetUtcNow();
        var result = await _redis.EvaluateAsync(_redis.Reserves, call, cancellationToken).ConfigureAwait(false);
        var after = clock.Local.GetUtcNow();
        switch (result[0])
        {
            case 2:
                _redis.ObserveServerTime(before, result[1], after, force: true);
                return CounterReserveResult.OutsideWindow(DateTimeOffset.FromUnixTimeMilliseconds(result[1]));
            case 0:
                _redis.ObserveServerTime(before, result[3], after);
                return CounterReserveResult.Denied((int)result[1], result[2]);
        }
        _redis.ObserveServerTime(before, result[1], after);
        var values = reservation.Values;
        for (var i = 0; i < values.Length; i++) values[i] = result[i + 2];
        return CounterReserveResult.Reserved();
    }

    /// <inheritdoc/>
    /// <remarks>The lease is found by <see cref="CounterReservation.Id"/>, so a settlement replayed from the ledger (another
    /// object with the same id) is counted once.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        var names = CounterKeys(reservation.Set);
        var call = new SettleCall(this, reservation, names.Keys, LeaseKey(reservation.Id), PreviousLeaseKey(reservation.Id), names.Lease(reservation));
        var result = await _redis.EvaluateAsync(_redis.Settlements, call, cancellationToken).ConfigureAwait(false);
        var values = reservation.Values;
        for (var i = 0; i < values.Length; i++) values[i] = result[i];
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
            var result = (RedisResult[])(await _redis.RunAsync(db => db.ScriptEvaluateAsync(_redis.Scripts.Reclaim, [_held, _previousLeases], [batch]), cancellationToken).ConfigureAwait(false))!;
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
        await _redis.RunAsync(async db => await db.SortedSetLengthAsync(_held).ConfigureAwait(false) + await db.SortedSetLengthAsync(_previousLeases).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public override string ToString() => $"Redis counter store at {_redis.Endpoint}";

    /// <summary>
    /// The counters' key names of <paramref name="set"/>: for a shared set (a budget's calls in the same windows), worked
    /// out once per set and store. Formatting them on every call was a quarter of a pair's allocations (issue 16).
    /// </summary>
    private KeyNames CounterKeys(Engine.ChargeSet set)
    {
        if (set.IsShared && Volatile.Read(ref set.SharedStoreBinding) is KeyNames held && ReferenceEquals(held.Store, this)) return held;
        var names = new string[set.Count];
        for (var i = 0; i < names.Length; i++) names[i] = CounterKeyName(set.Charges[i].Key);
        var built = new KeyNames(this, names);
        if (set.IsShared) Interlocked.CompareExchange(ref set.SharedStoreBinding, built, null);
        return built;
    }

    /// <summary>The key names of a charge set's counters, as Redis keys and as the lease writes them.</summary>
    private sealed class KeyNames
    {
        /// <summary>Per counter, the lease entry's bytes before the amount (<c>&lt;key's UTF-8 length&gt; </c>) and after it (<c> &lt;key&gt;</c>).</summary>
        private readonly byte[][] _heads;
        private readonly byte[][] _tails;
        private readonly int _fixedLength;

        public KeyNames(RedisBudgetCounterStore store, string[] names)
        {
            Store = store;
            Keys = new RedisKey[names.Length];
            _heads = new byte[names.Length][];
            _tails = new byte[names.Length][];
            for (var i = 0; i < names.Length; i++)
            {
                Keys[i] = names[i];
                var key = Encoding.UTF8.GetBytes(names[i]);
                _heads[i] = Encoding.ASCII.GetBytes(key.Length.ToString(CultureInfo.InvariantCulture) + " ");
                _tails[i] = [(byte)' ', .. key];
                _fixedLength += _heads[i].Length + _tails[i].Length;
            }
        }

        public RedisBudgetCounterStore Store { get; }

        public RedisKey[] Keys { get; }

        /// <summary>
        /// The lease the reserve script stores, as UTF-8: per counter <c>&lt;key's length in bytes&gt; &lt;amount&gt; &lt;key&gt;</c>,
        /// nothing between entries (the format <see cref="RedisScripts"/>' <c>leaseAmounts</c> reads). Written as bytes from
        /// parts kept per charge set, so a call allocates the lease alone (a string of it was twice its size, then encoded).
        /// </summary>
        public byte[] Lease(CounterReservation reservation)
        {
            Span<byte> digits = stackalloc byte[20];
            var length = _fixedLength;
            for (var i = 0; i < _heads.Length; i++) length += Digits(reservation.ReservedAmount(i), digits);
            var lease = new byte[length];
            var at = 0;
            for (var i = 0; i < _heads.Length; i++)
            {
                _heads[i].CopyTo(lease, at);
                at += _heads[i].Length;
                at += Digits(reservation.ReservedAmount(i), lease.AsSpan(at));
                _tails[i].CopyTo(lease, at);
                at += _tails[i].Length;
            }
            return lease;
        }

        private static int Digits(long amount, Span<byte> into) =>
            System.Buffers.Text.Utf8Formatter.TryFormat(amount, into, out var written) ? written : throw new InvalidOperationException("A lease amount did not fit its buffer.");
    }

    /// <summary>
    /// A reservation's lease, and once settled its marker (<c>1</c>, kept for <see cref="RedisStoreOptions.SettlementMemory"/>).
    /// The key is the one the previous layout used for the marker alone, so instances of both versions agree which ids are settled.
    /// </summary>
    private string LeaseKey(string reservationId) => Prefix + "s:" + reservationId;

    /// <summary>Where the layout before issue 16's change kept a lease (a hash); read by settlements and sweeps during a rolling upgrade.</summary>
    private RedisKey PreviousLeaseKey(string reservationId) => Prefix + "l:" + reservationId;

    private long ExpireAt(in CounterCharge charge) => (charge.WindowEnd + _redis.Options.CounterGracePeriod).ToUnixTimeSeconds();

    /// <summary>
    /// The expiry as the reserve and settle scripts take it: negative for a calendar window, whose end is fixed, so the
    /// script sets it only when it creates the key; positive for a window whose end moves (conversation, run), set every time.
    /// </summary>
    internal long SignedExpireAt(in CounterCharge charge) => IsCalendar(charge) ? -ExpireAt(charge) : ExpireAt(charge);

    private static bool IsCalendar(in CounterCharge charge) => charge.Key.Window <= BudgetWindow.Month;

    /// <summary>How long a lease key outlives its lease (a safety net: sweeps and settlements replace it).</summary>
    internal const long LeaseExtraMs = 86_400_000;
}
