namespace GuardedAI;

/// <summary>
/// How long a call's reservation is leased. A lease only matters when nothing settles the reservation (the process
/// died, or a caller never finished): it should end about when the call would have, not ten minutes later.
/// Unless <see cref="BudgetEngineOptions.ReservationLease"/> fixes it, a lease is the request timeout plus the time
/// the call's output cap takes at <see cref="SlowOutputTokensPerSecond"/>, at most <see cref="MaxDerivedLease"/>.
/// </summary>
internal static class ReservationLeaseDuration
{
    /// <summary>A slow but real generation speed: a lease outlasts a call that streams at least this fast.</summary>
    public const double SlowOutputTokensPerSecond = 20;

    /// <summary>The longest lease derived from a call.</summary>
    public static readonly TimeSpan MaxDerivedLease = TimeSpan.FromHours(1);

    public static TimeSpan For(TimeSpan? fixedLease, TimeSpan requestTimeout, UsageEstimate estimate)
    {
        if (fixedLease is { } lease) return lease;
        var generation = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(0, estimate.OutputTokens) / SlowOutputTokensPerSecond));
        return TimeSpan.FromTicks(Math.Min(MaxDerivedLease.Ticks, (requestTimeout + generation).Ticks));
    }
}
