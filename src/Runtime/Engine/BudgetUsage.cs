namespace GuardedAI;

/// <summary>The state of one limit in its current window.</summary>
/// <param name="Scope">The budget name or tenant scope.</param>
/// <param name="Limit">The limit.</param>
/// <param name="Used">Usage in the current window (reserved by calls in flight included).</param>
/// <param name="WindowStart">The window's start (UTC).</param>
/// <param name="WindowEnd">The window's end (UTC).</param>
public readonly record struct LimitUsage(string Scope, BudgetLimit Limit, decimal Used, DateTimeOffset WindowStart, DateTimeOffset WindowEnd)
{
    /// <summary>Used as a percentage of the limit.</summary>
    public double Percent => Limit.Amount == 0 ? 0 : (double)(Used / Limit.Amount * 100m);

    /// <summary>What is left.</summary>
    public decimal Remaining => Math.Max(0, Limit.Amount - Used);
}
