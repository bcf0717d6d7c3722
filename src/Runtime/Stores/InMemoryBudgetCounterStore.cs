using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace GuardedAI;

/// <summary>
/// Counters in process memory. Each counter is updated with compare-and-swap, so no lock guards a counter; a held
/// reservation is linked into one of several lists chosen by thread (a short lock other threads rarely take), so that
/// the sweep can return it if it is never settled. A multi-counter reservation increments its counters one by one, each only if it stays within its limit, and
/// rolls back the ones already taken when a later one does not fit. A counter therefore never exceeds its limit;
/// the price of being lock-free is that a request racing such a roll-back may be denied by an amount that was
/// about to be returned.
/// </summary>
public sealed class InMemoryBudgetCounterStore : IBudgetCounterStore
{
    // Keyed by a class, not the CounterKey struct: a dictionary over reference types runs the framework's shared,
    // ahead-of-time compiled code, where one over a custom struct is compiled just in time on a process's first call.
    private readonly ConcurrentDictionary<StoreKey, Counter> _counters = new();
    // Held reservations, for the sweep of expired ones: linked through the reservations themselves, one list per stripe
    // chosen by thread, so holding and releasing allocate nothing and no lock is shared by all callers.
    private readonly Stripe[] _stripes;
    private readonly TimeProvider _timeProvider;
    private long _nextSweepTicks;
    // Counts the sweeps that dropped counters: a charge set bound since the last one cannot hold a dropped counter, so
    // it is used without reading each counter's flag (a read of a line the other cores keep writing).
    private int _dropGeneration;

    /// <summary>Creates an empty store.</summary>
    public InMemoryBudgetCounterStore(TimeProvider? timeProvider = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _stripes = new Stripe[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, Environment.ProcessorCount * 4))];
        for (var i = 0; i < _stripes.Length; i++) _stripes[i] = new Stripe();
    }

    /// <summary>How many counters are held (windows that ended are dropped lazily).</summary>
    public int CounterCount => _counters.Count;

    /// <summary>How many reservations are outstanding.</summary>
    public int OutstandingReservations
    {
        get
        {
            var count = 0;
            foreach (var stripe in _stripes) count += Volatile.Read(ref stripe.Count);
            return count;
        }
    }

    /// <inheritdoc/>
    public ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        return ValueTask.FromResult(TryReserve(reservation, _timeProvider.GetUtcNow()));
    }

    /// <summary>The engine's reservation: <paramref name="now"/> is the time the engine already read.</summary>
    internal CounterReserveResult TryReserve(CounterReservation reservation, DateTimeOffset now)
    {
        if (reservation.HeldBy is not null) throw new InvalidOperationException($"Reservation {reservation.Id} is already held.");
        DropEndedWindows(now);
        var set = reservation.Set;
        var bound = Bound(set);
        var values = reservation.Values;
        for (var i = 0; i < set.Count; i++)
        {
            var counter = bound?[i] ?? GetCounter(set.Charges, i);
            var amount = reservation.ReservedAmount(i);
            if (!counter.TryAdd(amount, set.Charges[i].Limit, out var current))
            {
                for (var j = 0; j < i; j++) (bound?[j] ?? GetCounter(set.Charges, j)).Add(-reservation.ReservedAmount(j));
                return CounterReserveResult.Denied(i, current);
            }
            values[i] = current;
        }
        Hold(reservation);
        return CounterReserveResult.Reserved();
    }

    /// <inheritdoc/>
    public ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        Settle(reservation);
        return ValueTask.CompletedTask;
    }

    /// <summary>Replaces the reserved amounts with the actual ones (or adds them in full when nothing is held).</summary>
    internal void Settle(CounterReservation reservation)
    {
        // Release decides, exactly once, whether settle or reclaim returns the reserved amounts.
        var held = Release(reservation);
        var set = reservation.Set;
        var bound = Bound(set);
        var values = reservation.Values;
        for (var i = 0; i < set.Count; i++)
        {
            var reserved = held ? reservation.ReservedAmount(i) : 0;
            values[i] = (bound?[i] ?? GetCounter(set.Charges, i)).Add(reservation.ActualAmount(i) - reserved);
        }
    }

    /// <inheritdoc/>
    public ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var reclaimed = 0;
        foreach (var stripe in _stripes)
        {
            lock (stripe)
            {
                for (var r = stripe.Head; r is not null;)
                {
                    var next = r.HeldNext;
                    if (r.ExpiresAt <= now)
                    {
                        // Returned before it is unlinked, under the lock: until then a settlement of the call waits for
                        // this lock (Release), and after it the settlement goes on without the sweep; a guard then
                        // reuses the settled reservation for its next call (HeldReservation.Recycle), so the object
                        // may describe another call as soon as it is unlinked.
                        for (var i = 0; i < r.Count; i++) GetCounter(r.Set.Charges, i).Add(-r.ReservedAmount(i));
                        Unlink(stripe, r);
                        reclaimed++;
                    }
                    r = next;
                }
            }
        }
        return ValueTask.FromResult(reclaimed);
    }

    private void Hold(CounterReservation reservation)
    {
        var index = Environment.CurrentManagedThreadId & (_stripes.Length - 1);
        var stripe = _stripes[index];
        lock (stripe)
        {
            reservation.HeldBy = this;
            reservation.HeldStripe = index;
            reservation.HeldPrevious = null;
            reservation.HeldNext = stripe.Head;
            if (stripe.Head is not null) stripe.Head.HeldPrevious = reservation;
            stripe.Head = reservation;
            stripe.Count++;
        }
    }

    /// <summary>Takes the reservation out of the held ones; false when it is not held here (reclaimed, or never reserved here).</summary>
    private bool Release(CounterReservation reservation)
    {
        if (!ReferenceEquals(Volatile.Read(ref reservation.HeldBy), this)) return false;
        var stripe = _stripes[reservation.HeldStripe];
        lock (stripe)
        {
            if (!ReferenceEquals(reservation.HeldBy, this)) return false;
            Unlink(stripe, reservation);
            return true;
        }
    }

    /// <summary>Under the stripe's lock.</summary>
    private static void Unlink(Stripe stripe, CounterReservation reservation)
    {
        if (reservation.HeldPrevious is { } previous) previous.HeldNext = reservation.HeldNext;
        else stripe.Head = reservation.HeldNext;
        if (reservation.HeldNext is { } next) next.HeldPrevious = reservation.HeldPrevious;
        reservation.HeldPrevious = reservation.HeldNext = null;
        // Not null: a settled or reclaimed reservation is not reserved again.
        reservation.HeldBy = Released;
        stripe.Count--;
    }

    /// <summary>Marks a reservation that was held and is no more.</summary>
    private static readonly object Released = new();

    /// <summary>The counters of a shared charge set, looked up once per set and store; null for a set of one call.</summary>
    private Counter[]? Bound(Engine.ChargeSet set)
    {
        if (!set.IsShared) return null;
        if (Volatile.Read(ref set.Binding) is Binding binding)
        {
            if (!ReferenceEquals(binding.Store, this)) return null;
            var generation = Volatile.Read(ref _dropGeneration);
            if (binding.Generation == generation) return binding.Counters;
            // A sweep dropped counters since the set was bound or last checked. The generation is read before the flags
            // and a sweep moves it after setting them, so a drop missed here moves it again and is seen next time.
            foreach (var counter in binding.Counters)
            {
                if (counter.Dropped) return null;
            }
            binding.Generation = generation;
            return binding.Counters;
        }
        var bound = Volatile.Read(ref _dropGeneration);
        var counters = new Counter[set.Count];
        for (var i = 0; i < counters.Length; i++) counters[i] = GetCounter(set.Charges, i);
        var mine = new Binding(this, counters) { Generation = bound };
        return Interlocked.CompareExchange(ref set.Binding, mine, null) is { } theirs ? (theirs is Binding b && ReferenceEquals(b.Store, this) ? b.Counters : null) : counters;
    }

    /// <summary>Where each of <paramref name="set"/>'s counters keeps its value (its binding's; empty when not bound here):
    /// what the layout tests look at.</summary>
    internal IReadOnlyList<nint> CellAddresses(Engine.ChargeSet set) =>
        Volatile.Read(ref set.Binding) is Binding binding && ReferenceEquals(binding.Store, this) ? [.. binding.Counters.Select(c => c.Address)] : [];

    private sealed class Binding(InMemoryBudgetCounterStore store, Counter[] counters)
    {
        public InMemoryBudgetCounterStore Store { get; } = store;
        public Counter[] Counters { get; } = counters;
        /// <summary>The store's drop generation when the counters were last known not dropped.</summary>
        public volatile int Generation;
    }

    /// <summary>A list of held reservations and its lock. Laid out over 192 bytes with its fields in the middle, so that no
    /// two stripes (used by different threads) share a cache line: they were 24-byte objects side by side, and each
    /// hold and release on one core took the line from the core using its neighbour.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private sealed class Stripe
    {
        [FieldOffset(88)] public CounterReservation? Head;
        [FieldOffset(96)] public int Count;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default)
    {
        var values = new long[keys.Count];
        for (var i = 0; i < keys.Count; i++) values[i] = _counters.TryGetValue(StoreKey.Probe(keys[i]), out var c) ? Volatile.Read(ref c.Value) : 0;
        return ValueTask.FromResult<IReadOnlyList<long>>(values);
    }

    /// <inheritdoc/>
    public ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default)
    {
        foreach (var charge in charges) GetCounter(charge).Add(charge.Amount);
        return ValueTask.CompletedTask;
    }

    private Counter GetCounter(in CounterCharge charge) => GetCounter(charge, null, 0);

    /// <summary>The counter of <paramref name="charges"/>[<paramref name="index"/>]. When it is missing it is made, and with
    /// it every missing counter of the charges after it (see <see cref="MakeMissing"/>).</summary>
    /// <remarks>An array and an index rather than a span: <c>ReadOnlySpan&lt;CounterCharge&gt;</c>'s methods are generic code
    /// over a GuardedAI struct that no ReadyToRun image holds, compiled just in time on a process's first call.</remarks>
    private Counter GetCounter(CounterCharge[] charges, int index) => GetCounter(charges[index], charges, index + 1);

    /// <summary>The counter of <paramref name="charge"/>; when it is missing, it is made beside the missing counters of
    /// <paramref name="rest"/> from <paramref name="from"/> on (the same call's later charges, or none).</summary>
    private Counter GetCounter(in CounterCharge charge, CounterCharge[]? rest, int from)
    {
        if (!_counters.TryGetValue(StoreKey.Probe(charge.Key), out var counter))
        {
            MakeMissing(charge, rest, from);
            // Made just now, unless a sweep took it straight away (a late charge to a window long ended).
            counter = _counters.TryGetValue(StoreKey.Probe(charge.Key), out var made) ? made : _counters.GetOrAdd(new StoreKey(charge.Key), new Counter(charge.WindowEnd));
        }
        // A conversation's or run's counter lives until its idle timeout after the last call: each charge moves its end.
        counter.ExtendTo(charge.WindowEnd);
        return counter;
    }

    /// <summary>Makes the missing counters of <paramref name="first"/> and of <paramref name="rest"/> from
    /// <paramref name="from"/> on (one call's charges) side by side, eight at most to a cache line: a reservation then takes
    /// one line from the other cores, not one per counter. Whichever call first needs a budget's counters makes them, with a
    /// set shared by every call or one of its own (a conversation's).</summary>
    private void MakeMissing(in CounterCharge first, CounterCharge[]? rest, int from)
    {
        long[]? line = null;
        int next = 0, end = 0;
        MakeIfMissing(first, ref line, ref next, ref end);
        if (rest is null) return;
        for (var i = from; i < rest.Length; i++) MakeIfMissing(rest[i], ref line, ref next, ref end);
    }

    /// <summary>Makes <paramref name="charge"/>'s counter when it is missing, in the next free cell of <paramref name="line"/>
    /// (a new line when it is full).</summary>
    private void MakeIfMissing(in CounterCharge charge, ref long[]? line, ref int next, ref int end)
    {
        if (_counters.ContainsKey(StoreKey.Probe(charge.Key))) return;
        if (next == end)
        {
            line = Counter.NewLine(out next);
            end = next + Counter.PerLine;
        }
        // A racing call may add the key first: then its counter is the one, and this cell stays unused.
        if (_counters.TryAdd(new StoreKey(charge.Key), new Counter(charge.WindowEnd, line!, next))) next++;
    }

    private static readonly TimeSpan WindowGrace = TimeSpan.FromHours(1);
    private static readonly TimeSpan ScopeGrace = TimeSpan.FromMinutes(1);

    /// <summary>Drops counters of windows that ended and of idle conversations and runs, at most once a minute, so memory
    /// does not grow with time or with the number of conversations.</summary>
    private void DropEndedWindows(DateTimeOffset now)
    {
        // A plain read: Interlocked.Read is a compare-exchange, which would take the line from every other core on every call.
        var due = Volatile.Read(ref _nextSweepTicks);
        if (now.UtcTicks < due || Interlocked.CompareExchange(ref _nextSweepTicks, now.AddMinutes(1).UtcTicks, due) != due) return;
        var droppedAny = false;
        foreach (var (key, counter) in _counters)
        {
            // Keep a grace period: a late settle of an old window's reservation must still find its counter.
            if (counter.WindowEnd.Add(key.Key.Window.IsScope() ? ScopeGrace : WindowGrace) < now && _counters.TryRemove(key, out var dropped))
            {
                dropped.Dropped = true;
                droppedAny = true;
            }
        }
        // After the flags: a binding checked against the old generation reads them again (see Bound).
        if (droppedAny) Interlocked.Increment(ref _dropGeneration);
    }

    /// <summary>A <see cref="CounterKey"/> as a class, compared field by field as the struct's own equality compares
    /// them (ordinal scope; the window start by its UTC instant).</summary>
    private sealed class StoreKey(CounterKey key) : IEquatable<StoreKey>
    {
        // One per thread, refilled for each lookup, so a lookup allocates nothing; the table never keeps a probe.
        [ThreadStatic] private static StoreKey? t_probe;

        public CounterKey Key { get; private set; } = key;

        public static StoreKey Probe(in CounterKey key)
        {
            var probe = t_probe ??= new StoreKey(key);
            probe.Key = key;
            return probe;
        }

        public bool Equals(StoreKey? other) => other is not null && Same(Key, other.Key);

        public override bool Equals(object? obj) => Equals(obj as StoreKey);

        public override int GetHashCode()
        {
            var k = Key;
            var hash = (uint)string.GetHashCode(k.Scope ?? "", StringComparison.Ordinal);
            hash = (hash * 31) ^ (uint)k.Dimension;
            hash = (hash * 31) ^ (uint)k.Window;
            var ticks = k.WindowStart.UtcTicks;
            return (int)((hash * 31) ^ (uint)ticks ^ (uint)(ticks >> 32));
        }

        private static bool Same(in CounterKey a, in CounterKey b) =>
            a.Dimension == b.Dimension && a.Window == b.Window && a.WindowStart.UtcTicks == b.WindowStart.UtcTicks &&
            string.Equals(a.Scope, b.Scope, StringComparison.Ordinal);
    }

    /// <summary>
    /// One counter. Its value lives in a cell of a small array on the pinned heap, with the other counters made at the same
    /// time (one call's, <see cref="PerLine"/> at most) in the same cache line, and nothing else there: the array never
    /// moves, so the line is found once, when it is made. Every call of a budget adds to each of its counters; with
    /// each counter an object of its own they spread over four lines or more, and two cores passed each line back and
    /// forth once per counter (docs/benchmarks-history.md, twelfth round).
    /// </summary>
    private sealed class Counter
    {
        public const int PerLine = 8;

        private readonly long[] _cells;
        private readonly int _index;
        private long _windowEndTicks;

        /// <summary>A counter in a line of its own.</summary>
        public Counter(DateTimeOffset windowEnd) : this(windowEnd, NewLine(out var first), first) { }

        /// <summary>A counter in cell <paramref name="index"/> of <paramref name="line"/> (see <see cref="NewLine"/>).</summary>
        public Counter(DateTimeOffset windowEnd, long[] line, int index)
        {
            _cells = line;
            _index = index;
            _windowEndTicks = windowEnd.UtcTicks;
        }

        /// <summary>A pinned array holding one whole cache line; <paramref name="first"/> is its first cell there. The
        /// array's length, which every indexing reads, lies before that line.</summary>
        public static long[] NewLine(out int first)
        {
            var cells = GC.AllocateArray<long>(2 * PerLine, pinned: true);
            var offset = (int)((Marshal.UnsafeAddrOfPinnedArrayElement(cells, 0) & 63) / sizeof(long));
            first = (PerLine - offset) % PerLine;
            return cells;
        }

        public ref long Value => ref _cells[_index];

        /// <summary>The address of the value (its array is pinned, so it stays there).</summary>
        public nint Address => Marshal.UnsafeAddrOfPinnedArrayElement(_cells, _index);

        /// <summary>Removed from the store's table: a charge set bound to it looks its counters up again.</summary>
        public volatile bool Dropped;

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
            ref var value = ref Value;
            var current = Volatile.Read(ref value);
            while (true)
            {
                var next = current + amount;
                if (amount > 0 && next > limit)
                {
                    result = current;
                    return false;
                }
                var seen = Interlocked.CompareExchange(ref value, next, current);
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

}
