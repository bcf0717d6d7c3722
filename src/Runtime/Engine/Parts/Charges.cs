namespace GuardedAI.Engine;

/// <summary>Turns a call's amounts into one charge per limit of each scope, in the calendar windows around a moment.</summary>
internal static class Charges
{
    public static CounterCharge[] For(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageAmounts amounts, DateTimeOffset at)
    {
        var charges = new CounterCharge[policy.Limits.Length + (tenantPolicy?.Limits.Length ?? 0)];
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
        return i;
    }
}
