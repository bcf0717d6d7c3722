using GuardedAI.Reports;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Builds the JSON views from the running engine (limits, breakers: its live counters) and its ledger, read only through
/// <see cref="IUsageLedgerQueries"/> — so any store that implements it (SQLite, PostgreSQL, in memory) serves the same views.
/// </summary>
internal sealed class UsageViews(BudgetEngine engine, IUsageLedgerQueries ledger, RecentAlerts alerts, TimeZoneInfo timeZone)
{
    private DateTimeOffset Now { get; } = engine.TimeProvider.GetUtcNow();

    // Ranges end just after now, so a record stamped this very tick is in, and a range that starts now is never empty.
    private DateTimeOffset End => Now.AddTicks(1);

    public async Task<StatusDto> StatusAsync(long version, CancellationToken cancellationToken)
    {
        var health = EngineHealth.Assess(engine, alerts);
        var description = await ledger.DescribeAsync(cancellationToken).ConfigureAwait(false);
        return new StatusDto(health.State.ToString(), health.Description, Now, engine.Policies.Count,
            engine.Breakers.All.Count(b => b.State != CircuitBreakerState.Closed), engine.Breakers.GlobalStopReason,
            new LedgerDto(description.Location, description.Records, description.First, description.Last, description.SchemaVersion),
            engine.Prices.AsOf, alerts.Latest(RecentAlerts.Capacity).Count, version);
    }

    public async Task<SummaryDto> SummaryAsync(CancellationToken cancellationToken)
    {
        var dayStart = UsageCalendar.StartOf(UsageBucket.Day, Now, timeZone);
        var monthStart = UsageCalendar.StartOf(UsageBucket.Month, Now, timeZone);
        var month = await ledger.BuildAsync(new UsageAggregateQuery { From = monthStart, To = End, TimeZone = timeZone }, cancellationToken).ConfigureAwait(false);
        var today = await ledger.BuildAsync(new UsageAggregateQuery { From = dayStart, To = End, TimeZone = timeZone, GroupBy = [UsageGrouping.Budget] }, cancellationToken).ConfigureAwait(false);
        return new SummaryDto(Now,
            new PeriodTotalsDto(dayStart, Now, Totals(today.Total)),
            new PeriodTotalsDto(monthStart, Now, Totals(month.Total)),
            today.Rows.Select(r => new NamedTotalsDto(r.Keys[0] ?? "(none)", Totals(r.Totals))).ToArray());
    }

    public async Task<LimitsDto> LimitsAsync(CancellationToken cancellationToken)
    {
        var budgets = new List<BudgetLimitsDto>();
        foreach (var policy in engine.Policies.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var usage = await engine.GetUsageAsync(policy, cancellationToken).ConfigureAwait(false);
            var t = policy.Thresholds;
            budgets.Add(new BudgetLimitsDto(policy.Name, policy.Model, policy.Tier.ToString(), Breaker(policy.Name),
                new ThresholdsDto(t.WarnAtPercent, t.CriticalAtPercent, t.TripAtPercent, t.AlertAtPercents.ToArray()),
                usage.Select(Limit).ToArray()));
        }
        return new LimitsDto(Now, budgets);
    }

    public AlertsDto Alerts(int count) => new(alerts.Latest(count).Select(a => new AlertDto(a.Id, a.Level.ToString(), a.Severity.ToString(), a.Scope,
        a.Dimension?.ToString(), a.Window?.ToString(), a.Used, a.Limit, Finite(a.Percent), a.Message, a.Timestamp)).ToArray());

    public async Task<DenialsDto> DenialsAsync(int count, CancellationToken cancellationToken)
    {
        var from = Now.AddDays(-1);
        var latest = new Queue<UsageRecord>(count);
        await foreach (var record in ledger.ReadRecordsAsync(from, End, new UsageFilter { Statuses = [UsageStatus.Denied] }, cancellationToken).ConfigureAwait(false))
        {
            if (latest.Count == count) latest.Dequeue();
            latest.Enqueue(record);
        }
        return new DenialsDto(from, Now, latest.Reverse().Select(r => new DenialDto(r.Id, r.Timestamp, r.Budget, r.Tenant, r.Model, r.Reason)).ToArray());
    }

    public async Task<UsageGroupsDto> GroupsAsync(UsageGrouping grouping, string period, int top, CancellationToken cancellationToken)
    {
        var from = UsageCalendar.StartOf(period == "month" ? UsageBucket.Month : UsageBucket.Day, Now, timeZone);
        var report = await ledger.BuildAsync(new UsageAggregateQuery { From = from, To = End, TimeZone = timeZone, GroupBy = [grouping] }, cancellationToken).ConfigureAwait(false);
        var groups = new List<UsageGroupDto>();
        foreach (var row in report.Rows.Where(r => r.Keys[0] is not null).Take(top))
        {
            var key = row.Keys[0]!;
            IReadOnlyList<LimitDto>? limits = null;
            if (grouping.Dimension == UsageDimension.Tenant && engine.GetTenantPolicy(key) is { } tenantPolicy)
            {
                limits = (await engine.GetUsageAsync(tenantPolicy, cancellationToken).ConfigureAwait(false)).Select(Limit).ToArray();
            }
            groups.Add(new UsageGroupDto(key, Totals(row.Totals), limits));
        }
        return new UsageGroupsDto(grouping.Name, period, from, Now, groups);
    }

    public async Task<TimelineDto> TimelineAsync(UsageBucket bucket, CancellationToken cancellationToken)
    {
        var current = UsageCalendar.StartOf(bucket, Now, timeZone);
        var from = bucket == UsageBucket.Hour ? current.AddHours(-23) : UsageCalendar.StartOf(UsageBucket.Day, current.AddDays(-29).AddHours(12), timeZone);
        var starts = UsageCalendar.Starts(bucket, from, End, timeZone);
        var sums = starts.ToDictionary(s => s, _ => (Requests: 0L, Denied: 0L, Tokens: 0L, Cost: 0m));
        await foreach (var row in ledger.AggregateAsync(new UsageAggregateQuery { From = from, To = End, Bucket = bucket, TimeZone = timeZone }, cancellationToken).ConfigureAwait(false))
        {
            var s = sums.TryGetValue(row.BucketStart, out var existing) ? existing : default;
            sums[row.BucketStart] = (s.Requests + row.Sums.Requests, s.Denied + (row.Status == UsageStatus.Denied ? row.Sums.Requests : 0),
                s.Tokens + row.Sums.InputTokens + row.Sums.OutputTokens, s.Cost + row.Sums.CostUsd);
        }
        var points = sums.OrderBy(p => p.Key).Select(p => new TimelinePointDto(p.Key, p.Value.Requests, p.Value.Denied, p.Value.Tokens, p.Value.Cost)).ToArray();
        return new TimelineDto(bucket.ToString(), from, Now, points);
    }

    public async Task<ForecastDto> ForecastAsync(CancellationToken cancellationToken)
    {
        var forecasts = await SpendForecast.ForecastAsync(ledger, Now, timeZone, UsageDimension.Budget, engine.GetPolicy, cancellationToken).ConfigureAwait(false);
        return new ForecastDto(Now, forecasts.OrderBy(f => f.Scope, StringComparer.Ordinal).Select(f => new BudgetForecastDto(f.Scope, f.MonthStart, f.MonthEnd,
            f.MonthToDate.CostUsd, f.ProjectedMonthEnd.CostUsd, f.MonthToDate.Requests, f.ProjectedMonthEnd.Requests, f.Method, f.HistoryDays,
            f.Limits.Select(l => new LimitProjectionDto(l.Limit.Dimension.ToString(), l.Limit.Window.ToString(), l.Limit.Amount, l.Used, l.ProjectedAtWindowEnd,
                Finite(l.ProjectedPercent), l.WindowEnd, l.ReachedAt, l.AlreadyReached)).ToArray())).ToArray());
    }

    public BreakersDto Breakers()
    {
        var scopes = engine.Policies.Select(p => p.Name).Concat(engine.Breakers.All.Select(b => b.Scope)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        return new BreakersDto(engine.Breakers.GlobalStopReason, scopes.Select(Breaker).ToArray());
    }

    /// <summary>A breaker's state without creating one for a scope that never had one (it is closed).</summary>
    public BreakerDto Breaker(string scope)
    {
        var breaker = engine.Breakers.All.FirstOrDefault(b => string.Equals(b.Scope, scope, StringComparison.Ordinal));
        if (breaker is null) return new BreakerDto(scope, engine.Breakers.GlobalStopReason is null ? nameof(CircuitBreakerState.Closed) : nameof(CircuitBreakerState.EmergencyStopped), engine.Breakers.GlobalStopReason, null, 0);
        var state = breaker.State;
        return new BreakerDto(scope, state.ToString(), breaker.Reason,
            state is CircuitBreakerState.Open or CircuitBreakerState.HalfOpen ? breaker.OpenUntil : null, breaker.ConsecutiveFailures);
    }

    private static LimitDto Limit(LimitUsage u) => new(u.Limit.Dimension.ToString(), u.Limit.Window.ToString(), u.Limit.Amount, u.Used, u.Remaining,
        Finite(u.Percent), u.WindowStart, u.WindowEnd);

    private static TotalsDto Totals(UsageTotals t) => new(t.Requests, t.Succeeded, t.Failed, t.Denied, t.Cancelled, t.InputTokens, t.OutputTokens, t.TotalTokens, t.CostUsd);

    private static double Finite(double value) => double.IsFinite(value) ? Math.Round(value, 3) : 0;
}
