namespace GuardedAI;

/// <summary>
/// Why a reservation was refused: the value a denied <see cref="BudgetLease"/> carries. An ordinary denial is not an
/// exception; the middleware turns it into a <see cref="BudgetExceededException"/> for callers that want one.
/// </summary>
/// <param name="Kind">What denied the call.</param>
/// <param name="Scope">The budget name, or <c>tenant:&lt;key&gt;</c>, that denied the call.</param>
/// <param name="Dimension">The dimension whose limit or cap denied it (null for store and emergency denials).</param>
/// <param name="Window">The window whose limit denied it (null for per-request caps, the store and emergencies).</param>
/// <param name="Used">How much of the limit is used, calls in flight included (0 where there is no limit).</param>
/// <param name="Limit">The limit or cap (0 where there is none).</param>
/// <param name="Requested">How much the call asked for.</param>
/// <param name="RetryAfter">When a retry can succeed (the denying window's reset, the breaker's half-open time);
/// null when waiting cannot help, e.g. a prompt above a per-request cap.</param>
/// <param name="Reason">A sentence a person understands, naming the limit, the usage and when to retry.</param>
public sealed record BudgetDenial(
    DenialKind Kind, string Scope, BudgetDimension? Dimension, BudgetWindow? Window,
    decimal Used, decimal Limit, decimal Requested, TimeSpan? RetryAfter, string Reason)
{
    /// <summary>When the denying window resets or the breaker half-opens: <c>decidedAt + RetryAfter</c>.</summary>
    public DateTimeOffset? RetryAt(DateTimeOffset decidedAt) => RetryAfter is { } after ? decidedAt + after : null;

    /// <inheritdoc/>
    public override string ToString() => Reason;
}
