using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using GuardedAI.Engine;

namespace GuardedAI;

/// <summary>
/// One reservation against a counter store: the counters it charges (<see cref="Count"/>, the indexer), the amounts
/// reserved and, at settlement, the actual ones, and the counters' values the store reports back (<see cref="Values"/>).
/// The engine builds one per call and hands the same object to <see cref="IBudgetCounterStore.TryReserveAsync"/> and
/// later to <see cref="IBudgetCounterStore.SettleAsync"/>, so a store keeps its bookkeeping for the reservation on it
/// (<see cref="StoreState"/>) instead of in a table keyed by <see cref="Id"/> — in the spirit of
/// <c>System.Threading.RateLimiting</c>'s <c>RateLimitLease</c>, which is the limiter's own object. A shared store
/// whose reservations outlive the process still finds them by <see cref="Id"/>.
/// </summary>
/// <remarks>
/// Not thread-safe: one caller reserves it and one settles it, one after the other. The charges of a reservation the
/// engine makes may be shared with other calls of the same budget in the same windows; only amounts and values are
/// the reservation's own.
/// </remarks>
public class CounterReservation
{
    // Not readonly: the guards reuse the engine's reservations (see HeldReservation.Recycle), through Initialize below.
    private ChargeSet _set;
    private readonly long[]? _reservedAmounts;
    private long[]? _actualAmounts;
    private CounterUnits _reserved;
    private CounterUnits _actual;
    private InlineValues _values;
    private long[]? _moreValues;
    private ReservationId _key;
    private string? _id;

    /// <summary>A reservation of explicit <paramref name="charges"/> (each with its amount), e.g. for a store's own tests
    /// or tools; the actual amounts are the reserved ones until <see cref="SetActualAmounts"/> changes them.</summary>
    /// <param name="id">A unique id for the reservation.</param>
    /// <param name="charges">The counters to increment, their amounts and limits.</param>
    /// <param name="expiresAt">When an unsettled reservation is returned to the budget by <see cref="IBudgetCounterStore.ReclaimExpiredAsync"/>.</param>
    public CounterReservation(string id, IReadOnlyList<CounterCharge> charges, DateTimeOffset expiresAt)
        : this(id, ChargeSet.Of(charges), default, expiresAt)
    {
        _reservedAmounts = new long[charges.Count];
        for (var i = 0; i < charges.Count; i++) _reservedAmounts[i] = charges[i].Amount;
    }

    internal CounterReservation(string id, ChargeSet set, in UsageAmounts reserved, DateTimeOffset expiresAt)
        : this(default(ReservationId), set, reserved, expiresAt)
    {
        ArgumentNullException.ThrowIfNull(id);
        _id = id;
    }

    /// <summary>A reservation whose id is the engine's own, written as text only when something reads <see cref="Id"/>.</summary>
    internal CounterReservation(ReservationId key, ChargeSet set, in UsageAmounts reserved, DateTimeOffset expiresAt) =>
        Initialize(key, set, reserved, expiresAt);

    /// <summary>Sets every field as for a new reservation of <paramref name="set"/>: what the constructor does, and how a
    /// reservation the engine made, settled and released by its store, is made new again (see HeldReservation.Recycle).</summary>
    [MemberNotNull(nameof(_set))]
    private protected void Initialize(ReservationId key, ChargeSet set, in UsageAmounts reserved, DateTimeOffset expiresAt)
    {
        _key = key;
        _id = null;
        _set = set;
        _reserved = reserved.Counters;
        _actual = _reserved;
        _actualAmounts = null;
        ExpiresAt = expiresAt;
        _values = default;
        if (set.Count <= InlineValues.Length) _moreValues = null;
        else if (_moreValues?.Length == set.Count) Array.Clear(_moreValues);
        else _moreValues = new long[set.Count];
        StoreState = null;
        HeldBy = null;
        HeldPrevious = HeldNext = null;
        HeldStripe = 0;
    }

    /// <summary>Drops the references a settled reservation kept, while it waits to be reused (<see cref="Initialize"/> sets them
    /// again): its charges (bound to the store's counters) and the store's state.</summary>
    private protected void ForgetCharges()
    {
        _set = null!;
        StoreState = null;
    }

    /// <summary>A unique id, also the id of the call's usage record.</summary>
    public string Id => _id ??= _key.ToString();

    /// <summary>The id as the engine made it; default for a reservation made with an id of text.</summary>
    internal ReservationId Key => _key;

    /// <summary>When an unsettled reservation is returned to the budget by <see cref="IBudgetCounterStore.ReclaimExpiredAsync"/>.</summary>
    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>How many counters the reservation charges.</summary>
    public int Count => _set.Count;

    /// <summary>The charge of counter <paramref name="index"/>: its key, limit, window end and the reserved amount.</summary>
    public CounterCharge this[int index] => _set.Charges[index] with { Amount = ReservedAmount(index) };

    /// <summary>The units reserved on counter <paramref name="index"/>.</summary>
    public long ReservedAmount(int index) => _reservedAmounts is { } explicitAmounts ? explicitAmounts[index] : _reserved.Units(_set.Charges[index].Key.Dimension);

    /// <summary>The units the settlement puts on counter <paramref name="index"/> in place of the reserved ones.</summary>
    public long ActualAmount(int index) => (_actualAmounts ?? _reservedAmounts) is { } explicitAmounts ? explicitAmounts[index] : _actual.Units(_set.Charges[index].Key.Dimension);

    /// <summary>Sets what the settlement counts on each counter (same order as the charges).</summary>
    /// <exception cref="ArgumentException">Not one amount per charge.</exception>
    public void SetActualAmounts(ReadOnlySpan<long> amounts)
    {
        if (amounts.Length != Count) throw new ArgumentException($"Reservation {Id} charges {Count} counters; {amounts.Length} actual amounts were given.", nameof(amounts));
        _actualAmounts = amounts.ToArray();
    }

    /// <summary>The counters' values after the last reservation or settlement, written by the store (one per charge).</summary>
    public Span<long> Values => _moreValues is { } more ? more : MemoryMarshal.CreateSpan(ref _values[0], _set.Count);

    /// <summary>Whatever the store that holds the reservation needs to settle it (null until a store sets it).</summary>
    public object? StoreState { get; set; }

    /// <summary>The charges, possibly shared with other reservations of the same budget and windows.</summary>
    internal ChargeSet Set => _set;

    /// <summary>The engine's amounts: what the settlement counts, by dimension.</summary>
    internal void SetActual(in UsageAmounts actual)
    {
        _actual = actual.Counters;
        _actualAmounts = null;
    }

    // The in-memory store's bookkeeping: a doubly linked list per stripe, so that a reservation is held and released
    // without allocating and without a table every caller shares.
    internal object? HeldBy;
    internal CounterReservation? HeldPrevious;
    internal CounterReservation? HeldNext;
    internal int HeldStripe;

    [InlineArray(Length)]
    private struct InlineValues
    {
        public const int Length = 8;
        private long _first;
    }
}
