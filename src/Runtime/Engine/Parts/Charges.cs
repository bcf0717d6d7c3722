namespace GuardedAI.Engine;

/// <summary>Turns a call's amounts into one charge per limit of each scope, in the calendar windows around a moment.</summary>
internal static class Charges
{
    /// <summary>The limit of a counter kept only for a soft limit (alert-only): never reached, so it never denies.</summary>
    public const long Unlimited = long.MaxValue;

    public static CounterCharge[] For(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageAmounts amounts, DateTimeOffset at)
    {
        var charges = new CounterCharge[CountersOf(policy) + (tenantPolicy is null ? 0 : CountersOf(tenantPolicy))];
        var i = Fill(charges, 0, policy, amounts, at);
        if (tenantPolicy is not null) Fill(charges, i, tenantPolicy, amounts, at);
        return charges;
    }

    /// <summary>The same counters as <paramref name="reserved"/>, with the actual amounts.</summary>
    public static CounterCharge[] WithAmounts(IReadOnlyList<CounterCharge> reserved, UsageAmounts actual)
    {
        var charges = new CounterCharge[reserved.Count];
        for (var i = 0; i < charges.Length; i++) charges[i] = reserved[i] with { Amount = actual.Units(reserved[i].Key.Dimension) };
        return charges;
    }

    private static int Fill(CounterCharge[] charges, int i, BudgetPolicy policy, UsageAmounts amounts, DateTimeOffset at)
    {
        foreach (var limit in policy.Limits)
        {
            var (start, end) = policy.GetWindowBounds(limit.Window, at);
            charges[i++] = new CounterCharge(new CounterKey(policy.Name, limit.Dimension, limit.Window, start), amounts.Units(limit.Dimension),
                BudgetUnits.ToUnits(limit.Dimension, limit.Amount), end);
        }
        // A soft limit without a hard limit beside it still needs its usage counted; it gets a counter that never denies.
        foreach (var soft in policy.Thresholds.SoftLimits)
        {
            if (policy.GetLimit(soft.Dimension, soft.Window) is not null) continue;
            var (start, end) = policy.GetWindowBounds(soft.Window, at);
            charges[i++] = new CounterCharge(new CounterKey(policy.Name, soft.Dimension, soft.Window, start), amounts.Units(soft.Dimension), Unlimited, end);
        }
        return i;
    }

    private static int CountersOf(BudgetPolicy policy)
    {
        var count = policy.Limits.Length;
        foreach (var soft in policy.Thresholds.SoftLimits)
        {
            if (policy.GetLimit(soft.Dimension, soft.Window) is null) count++;
        }
        return count;
    }
}
