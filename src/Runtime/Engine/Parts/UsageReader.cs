namespace GuardedAI.Engine;

/// <summary>Reads the current usage of a policy's limits from the counter store.</summary>
internal static class UsageReader
{
    public static async ValueTask<IReadOnlyList<LimitUsage>> ReadAsync(EngineParts parts, BudgetPolicy policy, ReservationContext context, CancellationToken cancellationToken)
    {
        var now = parts.Time.GetUtcNow();
        // The charges a zero-amount call would make are exactly the counters that apply to this context.
        var charges = Charges.For(policy, null, default, context, now);
        var keys = new CounterKey[charges.Length];
        for (var i = 0; i < keys.Length; i++) keys[i] = charges[i].Key;
        var values = await parts.Store.Primary.ReadAsync(keys, cancellationToken).ConfigureAwait(false);
        var result = new LimitUsage[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            var limit = new BudgetLimit(key.Dimension, key.Window, policy.GetLimit(key.Dimension, key.Window)!.Value);
            result[i] = new LimitUsage(key.Scope, limit, BudgetUnits.FromUnits(key.Dimension, values[i]), key.WindowStart, charges[i].WindowEnd);
        }
        return result;
    }
}
