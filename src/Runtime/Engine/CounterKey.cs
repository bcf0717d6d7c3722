namespace GuardedAI;

/// <summary>Identifies one counter: a scope's usage of one dimension in one calendar window.</summary>
/// <param name="Scope">The budget name, or <c>tenant:&lt;key&gt;</c> for a tenant's budget.</param>
/// <param name="Dimension">What is counted.</param>
/// <param name="Window">The window kind.</param>
/// <param name="WindowStart">The UTC start of the window instance.</param>
public readonly record struct CounterKey(string Scope, BudgetDimension Dimension, BudgetWindow Window, DateTimeOffset WindowStart)
{
    /// <summary>A stable string form, used as the key in shared stores: <c>scope|dimension|window|startUnixSeconds</c>.</summary>
    public string ToStorageKey() => $"{Scope}|{(int)Dimension}|{(int)Window}|{WindowStart.ToUnixTimeSeconds()}";
}

/// <summary>A change to one counter that a reservation asks for, checked against <see cref="Limit"/>.</summary>
/// <param name="Key">The counter.</param>
/// <param name="Amount">Units to add.</param>
/// <param name="Limit">The most the counter may hold, in units.</param>
/// <param name="WindowEnd">When the counter's window ends (shared stores expire the key after it).</param>
public readonly record struct CounterCharge(CounterKey Key, long Amount, long Limit, DateTimeOffset WindowEnd);
