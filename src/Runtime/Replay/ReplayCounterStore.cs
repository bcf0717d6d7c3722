namespace GuardedAI.Replay;

/// <summary>
/// The counters of a what-if replay: in memory, used by one replay at a time (calls are replayed one after another), and
/// deciding exactly as <see cref="InMemoryBudgetCounterStore"/> does — the same all-or-none increments within limits,
/// the same settlement, and the same forgetting of ended windows and idle conversations and runs. That store sweeps its
/// counters at most once a minute of its clock, which a replay moves through a month in seconds: here a sweep only
/// notes its time, and a counter is forgotten when it is next touched if a sweep since would have dropped it (its
/// window end plus the grace before that sweep). Counters are physically removed once an hour of replayed time.
/// </summary>
internal sealed class ReplayCounterStore(TimeProvider time) : IBudgetCounterStore
{
    private static readonly TimeSpan WindowGrace = TimeSpan.FromHours(1);
    private static readonly TimeSpan ScopeGrace = TimeSpan.FromMinutes(1);

    private readonly Dictionary<CounterKey, Counter> _counters = [];
    private readonly Dictionary<string, IReadOnlyList<CounterCharge>> _leases = new(StringComparer.Ordinal);
    private long _nextSweepTicks;
    private long _lastSweepTicks = long.MinValue;
    private long _nextCompactionTicks;

    public ValueTask<CounterReserveResult> TryReserveAsync(string reservationId, IReadOnlyList<CounterCharge> charges, DateTimeOffset leaseExpiresAt, CancellationToken cancellationToken = default)
    {
        Sweep();
        var values = new long[charges.Count];
        for (var i = 0; i < charges.Count; i++)
        {
            var charge = charges[i];
            var counter = GetCounter(charge);
            var next = counter.Value + charge.Amount;
            if (charge.Amount > 0 && next > charge.Limit)
            {
                for (var j = 0; j < i; j++) GetCounter(charges[j]).Value -= charges[j].Amount;
                return ValueTask.FromResult(CounterReserveResult.Denied(i, counter.Value));
            }
            counter.Value = next;
            values[i] = next;
        }
        _leases[reservationId] = charges;
        return ValueTask.FromResult(CounterReserveResult.Reserved(values));
    }

    public ValueTask<IReadOnlyList<long>> SettleAsync(string reservationId, IReadOnlyList<CounterCharge> actual, CancellationToken cancellationToken = default)
    {
        _leases.Remove(reservationId, out var reserved);
        var values = new long[actual.Count];
        for (var i = 0; i < actual.Count; i++)
        {
            var held = reserved is not null && i < reserved.Count ? reserved[i].Amount : 0;
            var counter = GetCounter(actual[i]);
            counter.Value += actual[i].Amount - held;
            values[i] = counter.Value;
        }
        if (reserved is not null)
        {
            for (var i = actual.Count; i < reserved.Count; i++) GetCounter(reserved[i]).Value -= reserved[i].Amount;
        }
        return ValueTask.FromResult<IReadOnlyList<long>>(values);
    }

    public ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => ValueTask.FromResult(0);

    public ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default)
    {
        var values = new long[keys.Count];
        for (var i = 0; i < keys.Count; i++) values[i] = _counters.TryGetValue(keys[i], out var c) && !Dropped(keys[i], c) ? c.Value : 0;
        return ValueTask.FromResult<IReadOnlyList<long>>(values);
    }

    public ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default)
    {
        foreach (var charge in charges) GetCounter(charge).Value += charge.Amount;
        return ValueTask.CompletedTask;
    }

    public CounterRestoreStrategy RestoreStrategy => CounterRestoreStrategy.None;

    /// <summary>When <see cref="InMemoryBudgetCounterStore"/> would sweep (at most once a minute, on a reservation), note it.</summary>
    private void Sweep()
    {
        var now = time.GetUtcNow().UtcTicks;
        if (now < _nextSweepTicks) return;
        _lastSweepTicks = now;
        _nextSweepTicks = now + TimeSpan.TicksPerMinute;
        if (now < _nextCompactionTicks) return;
        _nextCompactionTicks = now + TimeSpan.TicksPerHour;
        foreach (var (key, counter) in _counters)
        {
            if (Dropped(key, counter)) _counters.Remove(key);
        }
    }

    /// <summary>Whether the last sweep would have dropped the counter: its window (or idle time) ended before, by the grace.</summary>
    private bool Dropped(in CounterKey key, Counter counter) =>
        counter.WindowEndTicks + (key.Window.IsScope() ? ScopeGrace : WindowGrace).Ticks < _lastSweepTicks;

    private Counter GetCounter(in CounterCharge charge)
    {
        if (!_counters.TryGetValue(charge.Key, out var counter) || Dropped(charge.Key, counter))
        {
            counter = new Counter { WindowEndTicks = charge.WindowEnd.UtcTicks };
            _counters[charge.Key] = counter;
        }
        // A conversation's or run's counter lives until its idle timeout after the last call: each charge moves its end.
        if (charge.WindowEnd.UtcTicks > counter.WindowEndTicks) counter.WindowEndTicks = charge.WindowEnd.UtcTicks;
        return counter;
    }

    private sealed class Counter
    {
        public long Value;
        public long WindowEndTicks;
    }
}
