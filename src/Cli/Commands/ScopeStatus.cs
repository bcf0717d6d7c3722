using GuardedAI.Cli.Infrastructure;
using GuardedAI.Reports;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>One budget or tenant as status and health see it: its limits' usage and its breaker.</summary>
internal sealed record ScopeStatus(string Kind, string Name, BudgetPolicy? Policy, IReadOnlyList<LimitUsage> Limits, BreakerSnapshot? Breaker, UsageAmount Hour, UsageAmount Day, UsageAmount Month)
{
    public string Scope => Kind == "tenant" ? BudgetEngine.TenantScope(Name) : Name;

    /// <summary>Whether the breaker blocks calls at <paramref name="now"/>.</summary>
    public bool BreakerBlocks(DateTimeOffset now) => Breaker is { } b && (b.State == CircuitBreakerState.EmergencyStopped || (b.State == CircuitBreakerState.Open && b.OpenUntil > now));

    /// <summary>The highest level any limit has reached: none, warn, critical, trip.</summary>
    public string Level
    {
        get
        {
            if (Policy is null) return "none";
            var max = Limits.Count == 0 ? 0 : Limits.Max(l => l.Percent);
            var t = Policy.Thresholds;
            return max >= t.TripAtPercent ? "trip" : max >= t.CriticalAtPercent ? "critical" : max >= t.WarnAtPercent ? "warn" : "ok";
        }
    }

    /// <summary>
    /// Every budget and tenant to show: those the settings define, plus those with usage this month (without limits
    /// when the settings do not cover them), with their limits' usage and breaker state.
    /// </summary>
    public static async Task<(IReadOnlyList<ScopeStatus> Scopes, BreakerSnapshot? Global)> ReadAllAsync(LedgerAccess ledger, AppSettings settings, DateTimeOffset now,
        TimeZoneInfo zone, CancellationToken cancellationToken)
    {
        var breakers = (await ledger.Breakers.LoadAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(b => b.Scope, StringComparer.Ordinal);
        var monthStart = UsageCalendar.StartOf(UsageBucket.Month, now, zone);
        var resets = await ledger.Operations.LoadAsync(monthStart.AddDays(-1), cancellationToken).ConfigureAwait(false);

        var budgets = new SortedSet<string>(settings.Budgets.Select(b => b.Name), StringComparer.Ordinal);
        var tenants = new SortedSet<string>(settings.Tenants.Keys, StringComparer.Ordinal);
        if (now > monthStart)
        {
            var seen = new UsageAggregateQuery { From = monthStart, To = now, GroupBy = [UsageGrouping.Budget, UsageGrouping.Tenant] };
            await foreach (var row in ledger.Queries.AggregateAsync(seen, cancellationToken).ConfigureAwait(false))
            {
                budgets.Add(row.Keys[0]!);
                if (row.Keys[1] is { } tenant) tenants.Add(tenant);
            }
        }
        foreach (var scope in breakers.Keys.Where(k => k != BreakerSnapshot.GlobalScope))
        {
            if (scope.StartsWith("tenant:", StringComparison.Ordinal)) tenants.Add(scope["tenant:".Length..]);
            else budgets.Add(scope);
        }

        var current = new Dictionary<(string, string, BudgetWindow), UsageAmount>();
        foreach (var window in new[] { BudgetWindow.Hour, BudgetWindow.Day, BudgetWindow.Month })
        {
            var start = UsageCalendar.StartOf(window switch { BudgetWindow.Hour => UsageBucket.Hour, BudgetWindow.Day => UsageBucket.Day, _ => UsageBucket.Month }, now, zone);
            if (now <= start) continue;
            foreach (var (kind, grouping) in new[] { ("budget", UsageGrouping.Budget), ("tenant", UsageGrouping.Tenant) })
            {
                var query = new UsageAggregateQuery { From = start, To = now, GroupBy = [grouping] };
                await foreach (var row in ledger.Queries.AggregateAsync(query, cancellationToken).ConfigureAwait(false))
                {
                    if (row.Keys[0] is not { } key) continue;
                    current[(kind, key, window)] = current.GetValueOrDefault((kind, key, window)) + UsageAmount.Of(row.Status, row.Sums);
                }
            }
        }
        UsageAmount Current(string kind, string name, BudgetWindow window) => current.GetValueOrDefault((kind, name, window));

        var list = new List<ScopeStatus>();
        foreach (var name in budgets)
        {
            var policy = settings.Budgets.FirstOrDefault(b => b.Name == name) ?? Unlimited(name, zone);
            var limits = await LimitStatus.ReadAsync(ledger.Queries, policy, new UsageFilter { Budget = name }, now, resets, cancellationToken).ConfigureAwait(false);
            list.Add(new ScopeStatus("budget", name, policy.Limits.IsEmpty ? null : policy, limits, breakers.GetValueOrDefault(name),
                Current("budget", name, BudgetWindow.Hour), Current("budget", name, BudgetWindow.Day), Current("budget", name, BudgetWindow.Month)));
        }
        foreach (var tenant in tenants)
        {
            var policy = settings.TenantPolicy(tenant) ?? Unlimited(BudgetEngine.TenantScope(tenant), zone);
            var limits = await LimitStatus.ReadAsync(ledger.Queries, policy, new UsageFilter { Tenant = tenant }, now, resets, cancellationToken).ConfigureAwait(false);
            list.Add(new ScopeStatus("tenant", tenant, policy.Limits.IsEmpty ? null : policy, limits, breakers.GetValueOrDefault(BudgetEngine.TenantScope(tenant)),
                Current("tenant", tenant, BudgetWindow.Hour), Current("tenant", tenant, BudgetWindow.Day), Current("tenant", tenant, BudgetWindow.Month)));
        }
        return (list, breakers.GetValueOrDefault(BreakerSnapshot.GlobalScope));
    }

    /// <summary>A budget the settings do not define: no limits; its usage is still shown per hour, day and month.</summary>
    private static BudgetPolicy Unlimited(string name, TimeZoneInfo zone) => BudgetPolicy.Create(name).InTimeZone(zone.Id).Build();
}
