namespace GuardedAI.Reports;

/// <summary>
/// The usage of a budget's limits in their current windows, read from the ledger — what an engine restarted now would
/// restore: calls that were not denied, from the window's start or the last counter reset of that window, whichever
/// is later. For views outside the application (the <c>guardedai</c> tool, a dashboard); the running engine's own
/// counters are <see cref="BudgetEngine.GetUsageAsync(BudgetPolicy, CancellationToken)"/>.
/// </summary>
public static class LimitStatus
{
    /// <summary>The usage of every limit of <paramref name="policy"/> at <paramref name="now"/>.</summary>
    /// <param name="ledger">The ledger.</param>
    /// <param name="policy">The budget (its time zone sets the windows).</param>
    /// <param name="scope">Whose usage: <c>new UsageFilter { Budget = name }</c> for a budget, <c>{ Tenant = id }</c> for a tenant.</param>
    /// <param name="now">The moment.</param>
    /// <param name="resets">Counter resets of the policy's scope (any, latest wins).</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static async Task<IReadOnlyList<LimitUsage>> ReadAsync(IUsageLedgerQueries ledger, BudgetPolicy policy, UsageFilter scope, DateTimeOffset now,
        IEnumerable<CounterReset>? resets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(scope);
        var resetList = resets?.Where(r => r.Scope == policy.Name).ToList() ?? [];
        var counted = scope with { Statuses = [UsageStatus.Success, UsageStatus.Failed, UsageStatus.Cancelled] };
        var byWindow = new Dictionary<BudgetWindow, UsageAmount>();
        var result = new List<LimitUsage>();
        foreach (var limit in policy.Limits)
        {
            var (start, end) = policy.GetWindowBounds(limit.Window, now);
            if (!byWindow.TryGetValue(limit.Window, out var amount))
            {
                var from = start;
                foreach (var reset in resetList)
                {
                    if (reset.Window == limit.Window && reset.WindowStart == start && reset.ResetAt > from) from = reset.ResetAt;
                }
                amount = default;
                if (now > from)
                {
                    await foreach (var row in ledger.AggregateAsync(new UsageAggregateQuery { From = from, To = now, Filter = counted }, cancellationToken).ConfigureAwait(false))
                    {
                        amount += UsageAmount.Of(row.Status, row.Sums);
                    }
                }
                byWindow[limit.Window] = amount;
            }
            result.Add(new LimitUsage(policy.Name, limit, amount.Get(limit.Dimension), start, end));
        }
        return result;
    }
}
