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
    private long _nextSweepTicks;
    private long _lastSweepTicks = long.MinValue;
    private long _nextCompactionTicks;

    public ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        Sweep();
        var values = reservation.Values;
        for (var i = 0; i < reservation.Count; i++)
        {
            var charge = reservation[i];
            var counter = GetCounter(charge);
            var next = counter.Value + charge.Amount;
            if (charge.Amount > 0 && next > charge.Limit)
            {
                for (var j = 0; j < i; j++) GetCounter(reservation[j]).Value -= reservation.ReservedAmount(j);
                return ValueTask.FromResult(CounterReserveResult.Denied(i, counter.Value));
            }
            counter.Value = next;
            values[i] = next;
        }
        // The replay's one store holds the reservation: the mark is its bookkeeping.
        reservation.StoreState = this;
        return ValueTask.FromResult(CounterReserveResult.Reserved());
    }

    public ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        var held = ReferenceEquals(reservation.StoreState, this);
        reservation.StoreState = null;
        var values = reservation.Values;
        for (var i = 0; i < reservation.Count; i++)
        {
            var counter = GetCounter(reservation[i]);
            counter.Value += reservation.ActualAmount(i) - (held ? reservation.ReservedAmount(i) : 0);
            values[i] = counter.Value;
        }
        return ValueTask.CompletedTask;
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
