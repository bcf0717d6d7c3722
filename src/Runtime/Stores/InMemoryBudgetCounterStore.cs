using System.Collections.Concurrent;

namespace GuardedAI;

/// <summary>
/// Counters in process memory. Each counter is updated with compare-and-swap, so there is no lock on the hot path;
/// a multi-counter reservation increments its counters one by one, each only if it stays within its limit, and
/// rolls back the ones already taken when a later one does not fit. A counter therefore never exceeds its limit;
/// the price of being lock-free is that a request racing such a roll-back may be denied by an amount that was
/// about to be returned.
/// </summary>
public sealed class InMemoryBudgetCounterStore : IBudgetCounterStore
{
    private readonly ConcurrentDictionary<CounterKey, Counter> _counters = new();
    // Striped wider than the default (one lock per core) so that concurrent reservations rarely wait on each other's stripe.
    private readonly ConcurrentDictionary<string, Lease> _leases = new(Math.Max(64, Environment.ProcessorCount * 8), 256, StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private long _nextSweepTicks;

    /// <summary>Creates an empty store.</summary>
    public InMemoryBudgetCounterStore(TimeProvider? timeProvider = null) => _timeProvider = timeProvider ?? TimeProvider.System;

    /// <summary>How many counters are held (windows that ended are dropped lazily).</summary>
    public int CounterCount => _counters.Count;

    /// <summary>How many reservations are outstanding.</summary>
    public int OutstandingReservations => _leases.Count;

    /// <inheritdoc/>
    public ValueTask<CounterReserveResult> TryReserveAsync(string reservationId, IReadOnlyList<CounterCharge> charges, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken = default)
    {
        var values = new long[charges.Count];
        return ValueTask.FromResult(TryReserve(reservationId, charges, leaseExpiresAt, _timeProvider.GetUtcNow(), values));
    }

    /// <summary>
    /// The engine's reservation: <paramref name="now"/> is the time the engine already read, and <paramref name="values"/>
    /// (null: not wanted) receives the counters' new values — the engine needs neither a second clock read nor the array.
    /// </summary>
    internal CounterReserveResult TryReserve(string reservationId, IReadOnlyList<CounterCharge> charges, DateTimeOffset leaseExpiresAt, DateTimeOffset now, long[]? values)
    {
        DropEndedWindows(now);
        for (var i = 0; i < charges.Count; i++)
        {
            var charge = charges[i];
            var counter = GetCounter(charge);
            if (!counter.TryAdd(charge.Amount, charge.Limit, out var current))
            {
                for (var j = 0; j < i; j++) GetCounter(charges[j]).Add(-charges[j].Amount);
                return CounterReserveResult.Denied(i, current);
            }
            if (values is not null) values[i] = current;
        }
        _leases[reservationId] = new Lease(charges, leaseExpiresAt);
        return new CounterReserveResult(true, -1, 0, values);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<long>> SettleAsync(string reservationId, IReadOnlyList<CounterCharge> actual, CancellationToken cancellationToken = default)
    {
        var values = new long[actual.Count];
        Settle(reservationId, actual, default, useAmounts: false, values);
        return ValueTask.FromResult<IReadOnlyList<long>>(values);
    }

    /// <summary>
    /// The engine's settlement: the counters of <paramref name="charges"/> (the ones reserved, in order) get the amounts of
    /// <paramref name="actual"/> instead of the charges' own when <paramref name="useAmounts"/> — the same as settling
    /// the reserved charges re-stated with the actual amounts, without building them. Values go to <paramref name="values"/>.
    /// </summary>
    internal void Settle(string reservationId, IReadOnlyList<CounterCharge> charges, in UsageAmounts actual, bool useAmounts, long[] values)
    {
        // TryRemove decides, exactly once, whether settle or reclaim returns the reserved amounts.
        var held = _leases.TryRemove(reservationId, out var lease);
        for (var i = 0; i < charges.Count; i++)
        {
            var reserved = held && i < lease.Charges.Count ? lease.Charges[i].Amount : 0;
            var amount = useAmounts ? actual.Units(charges[i].Key.Dimension) : charges[i].Amount;
            values[i] = GetCounter(charges[i]).Add(amount - reserved);
        }
        if (held)
        {
            // A reservation may have charged counters that the actual usage no longer lists.
            for (var i = charges.Count; i < lease.Charges.Count; i++) GetCounter(lease.Charges[i]).Add(-lease.Charges[i].Amount);
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var reclaimed = 0;
        foreach (var (id, lease) in _leases)
        {
            if (lease.ExpiresAt <= now && _leases.TryRemove(id, out var removed))
            {
                foreach (var charge in removed.Charges) GetCounter(charge).Add(-charge.Amount);
                reclaimed++;
            }
        }
        return ValueTask.FromResult(reclaimed);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default)
    {
        var values = new long[keys.Count];
        for (var i = 0; i < keys.Count; i++) values[i] = _counters.TryGetValue(keys[i], out var c) ? Volatile.Read(ref c.Value) : 0;
        return ValueTask.FromResult<IReadOnlyList<long>>(values);
    }

    /// <inheritdoc/>
    public ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default)
    {
        foreach (var charge in charges) GetCounter(charge).Add(charge.Amount);
        return ValueTask.CompletedTask;
    }

    private Counter GetCounter(in CounterCharge charge)
    {
        var counter = _counters.GetOrAdd(charge.Key, static (_, e) => new Counter(e), charge.WindowEnd);
        // A conversation's or run's counter lives until its idle timeout after the last call: each charge moves its end.
        counter.ExtendTo(charge.WindowEnd);
        return counter;
    }

    private static readonly TimeSpan WindowGrace = TimeSpan.FromHours(1);
    private static readonly TimeSpan ScopeGrace = TimeSpan.FromMinutes(1);

    /// <summary>Drops counters of windows that ended and of idle conversations and runs, at most once a minute, so memory
    /// does not grow with time or with the number of conversations.</summary>
    private void DropEndedWindows(DateTimeOffset now)
    {
        var due = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, now.AddMinutes(1).UtcTicks, due) != due) return;
        foreach (var (key, counter) in _counters)
        {
            // Keep a grace period: a late settle of an old window's reservation must still find its counter.
            if (counter.WindowEnd.Add(key.Window.IsScope() ? ScopeGrace : WindowGrace) < now) _counters.TryRemove(key, out _);
        }
    }

    private sealed class Counter(DateTimeOffset windowEnd)
    {
        public long Value;
        private long _windowEndTicks = windowEnd.UtcTicks;

        public DateTimeOffset WindowEnd => new(Volatile.Read(ref _windowEndTicks), TimeSpan.Zero);

        public void ExtendTo(DateTimeOffset end)
        {
            var ticks = end.UtcTicks;
            var seen = Volatile.Read(ref _windowEndTicks);
            while (seen < ticks)
            {
                var previous = Interlocked.CompareExchange(ref _windowEndTicks, ticks, seen);
                if (previous == seen) return;
                seen = previous;
            }
        }

        public bool TryAdd(long amount, long limit, out long result)
        {
            var current = Volatile.Read(ref Value);
            while (true)
            {
                var next = current + amount;
                if (amount > 0 && next > limit)
                {
                    result = current;
                    return false;
                }
                var seen = Interlocked.CompareExchange(ref Value, next, current);
                if (seen == current)
                {
                    result = next;
                    return true;
                }
                current = seen;
            }
        }

        public long Add(long amount) => Interlocked.Add(ref Value, amount);
    }

    private readonly record struct Lease(IReadOnlyList<CounterCharge> Charges, DateTimeOffset ExpiresAt);
}
