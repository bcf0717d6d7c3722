namespace GuardedAI.Engine;

/// <summary>
/// The counters a reservation charges — key, limit and window end of each, without amounts (those are the
/// reservation's: <see cref="CounterReservation"/>). The charges of a budget alone for its current windows are the
/// same for every call until a window rolls over, so they are built once and shared (<see cref="IsShared"/>); an
/// in-memory store then binds its counter objects to them once (<see cref="Binding"/>) instead of looking each up.
/// </summary>
internal sealed class ChargeSet
{
    // The set of this thread's last settled call that charged a conversation or run counter, kept for its next such call
    // (see TakeSpare, Return): those calls build a set of their own each, ~350 B.
    [ThreadStatic] private static ChargeSet? t_spare;

    private ChargeSet(CounterCharge[] charges, bool isShared, long validFromTicks, long validUntilTicks)
    {
        Charges = charges;
        IsShared = isShared;
        ValidFromTicks = validFromTicks;
        ValidUntilTicks = validUntilTicks;
    }

    /// <summary>The charges (their <see cref="CounterCharge.Amount"/> is not used).</summary>
    public CounterCharge[] Charges { get; }

    public int Count => Charges.Length;

    /// <summary>Whether other reservations use the same set (so a store may cache what it derives from it).</summary>
    public bool IsShared { get; }

    /// <summary>For a shared set: the instants (UTC ticks) for which its windows are the current ones.</summary>
    public long ValidFromTicks { get; }

    public long ValidUntilTicks { get; }

    /// <summary>What one store derived from a shared set (the in-memory store's counters); set once.</summary>
    public object? Binding;

    /// <summary>What a shared store derived from a shared set (the Redis store's key names); set once. Apart from
    /// <see cref="Binding"/>, as an engine on a shared store may fall back to an in-memory one with the same sets.</summary>
    public object? SharedStoreBinding;

    /// <summary>The budget levels' readings of each charge, for a shared set; set once.</summary>
    public object? Readings;

    /// <summary>What the threshold monitor worked out for a shared set (<see cref="ChargeWatch"/>); set once.</summary>
    public object? Watch;

    /// <summary>A set used by one reservation only.</summary>
    public static ChargeSet Of(IReadOnlyList<CounterCharge> charges)
    {
        var copy = new CounterCharge[charges.Count];
        for (var i = 0; i < copy.Length; i++) copy[i] = charges[i];
        return new ChargeSet(copy, isShared: false, 0, 0);
    }

    /// <summary>A set used by one reservation only, over <paramref name="charges"/> itself: for an array the caller has just
    /// built and keeps no reference to (a tenant's or a conversation's call builds one per call; copying it again cost
    /// ~500 B a call).</summary>
    public static ChargeSet Owning(CounterCharge[] charges) => new(charges, isShared: false, 0, 0);

    /// <summary>This thread's spare set (<see cref="Return"/>) when it has <paramref name="count"/> charges, for the caller to
    /// fill; null otherwise.</summary>
    public static ChargeSet? TakeSpare(int count)
    {
        var spare = t_spare;
        if (spare is null || spare.Charges.Length != count) return null;
        t_spare = null;
        return spare;
    }

    /// <summary>Keeps a set of one call's own for this thread's next such call. Only for a set nothing reads any more: its
    /// reservation was settled, released by the engine's own in-memory store, and is being reused (HeldReservation.Recycle).
    /// A shared set is never kept.</summary>
    public void Return()
    {
        if (!IsShared) t_spare = this;
    }

    /// <summary>This thread's spare set, for tests.</summary>
    internal static ChargeSet? Spare => t_spare;

    /// <summary>Which of a held shared set and a fresh one to keep: the one whose windows end later. Only a set for the
    /// current windows replaces the one held; a late call (a clock retry) builds an older set and must not evict it.</summary>
    public static ChargeSet Later(ChargeSet? held, ChargeSet fresh) => held is not null && held.ValidUntilTicks > fresh.ValidUntilTicks ? held : fresh;

    /// <summary>A set every reservation of the same budget may share for instants in [from, until).</summary>
    public static ChargeSet Shared(CounterCharge[] charges, long validFromTicks, long validUntilTicks) =>
        new(charges, isShared: true, validFromTicks, validUntilTicks);

    public bool IsValidAt(DateTimeOffset at) => at.UtcTicks >= ValidFromTicks && at.UtcTicks < ValidUntilTicks;
}
