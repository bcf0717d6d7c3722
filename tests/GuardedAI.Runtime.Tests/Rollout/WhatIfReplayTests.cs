namespace GuardedAI.Tests.Rollout;

/// <summary>
/// A what-if replay of a ledger decides every call exactly as an enforced engine would have, had the same calls been
/// sent through it on a fake clock: same record ids, same reasons, same times.
/// </summary>
public class WhatIfReplayTests
{
    private static readonly DateTimeOffset MonthStart = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Sends the calls through an engine whose budget limits nothing: the ledger a month of traffic leaves behind.</summary>
    private static async Task<IReadOnlyList<UsageRecord>> RecordAsync(IReadOnlyList<(DateTimeOffset At, ShadowCall Call)> calls, string model = "gpt-4o-mini")
    {
        var (engine, clock, _) = TestEngine.Create(start: MonthStart);
        await using var _ = engine;
        var open = BudgetPolicy.Create("support").ForModel("gpt-4o-mini").Build();
        foreach (var (at, call) in calls)
        {
            clock.SetUtcNow(at);
            var lease = await engine.TryReserveAsync(open, engine.Estimate(model, call.Input, call.Output), Context(call));
            if (call.ProviderFails) await lease.FailAsync("provider said 500", call.Actual);
            else await lease.CommitAsync(call.Actual);
        }
        return engine.Ledger.Snapshot();
    }

    private static async IAsyncEnumerable<UsageRecord> Async(IEnumerable<UsageRecord> records)
    {
        foreach (var record in records)
        {
            await Task.Yield();
            yield return record;
        }
    }

    private static ReservationContext Context(ShadowCall call) => new() { Tenant = call.Tenant, ConversationId = call.Conversation };

    private static BudgetPolicy Proposed() => BudgetPolicy.Create("support").ForModel("gpt-4o-mini")
        .InTimeZone("Europe/Berlin")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 9)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 120_000)
        .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 0.6m)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 2_500)
        .WithMaxOutputTokens(1_000)
        .WithBreaker(BreakerSettings.Default with { ConsecutiveFailuresToOpen = 2, FailureOpenDuration = TimeSpan.FromMinutes(20) })
        .Build();

    private static BudgetPolicy ProposedTenant() => BudgetPolicy.Create("acme").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 25).Build();

    [Fact]
    public async Task Replaying_a_month_reports_exactly_the_denials_an_enforced_engine_gives_the_same_calls()
    {
        // A month of calls, a few minutes apart on average, with bursts, tenants, conversations and provider failures.
        var generated = ShadowSequence.Generate(4_000, seed: 2026);
        var at = MonthStart;
        var calls = new List<(DateTimeOffset, ShadowCall)>();
        foreach (var call in generated)
        {
            at += call.Gap * 3;
            calls.Add((at, call));
        }
        Assert.True(at > MonthStart.AddDays(20), $"the calls span {at - MonthStart}");
        var records = await RecordAsync(calls);
        Assert.Equal(calls.Count, records.Count);

        // The reference: the same calls, enforced, on a fake clock.
        var (enforced, clock, _) = TestEngine.Create(o => o.TenantPolicies["acme"] = ProposedTenant(), MonthStart);
        await using var _1 = enforced;
        var policy = Proposed();
        var expected = new List<(string Id, DateTimeOffset At, string Reason)>();
        for (var i = 0; i < calls.Count; i++)
        {
            var (time, call) = calls[i];
            clock.SetUtcNow(time);
            var lease = await enforced.TryReserveAsync(policy, enforced.Estimate("gpt-4o-mini", call.Input, call.Output), Context(call));
            if (!lease.IsAcquired)
            {
                expected.Add((records[i].Id, time, lease.Denial!.Reason));
                continue;
            }
            if (call.ProviderFails) await lease.FailAsync("provider said 500", call.Actual);
            else await lease.CommitAsync(call.Actual);
        }

        var proposal = new WhatIfProposal([policy], new Dictionary<string, BudgetPolicy> { ["acme"] = ProposedTenant() });
        var report = await WhatIfReplay.RunAsync(proposal, records);

        Assert.Equal(calls.Count, report.Replayed);
        Assert.Equal(expected, report.Denials.Select(d => (d.RecordId, d.Timestamp, d.Reason)).ToList());
        Assert.InRange(expected.Count, 100, calls.Count - 100);
        // Every kind of limit takes part (directly, or through the breaker its threshold tripped) ...
        foreach (var (dimension, window) in new (BudgetDimension?, BudgetWindow?)[]
                 {
                     (BudgetDimension.Requests, BudgetWindow.Hour), (BudgetDimension.TotalTokens, BudgetWindow.Conversation),
                     (BudgetDimension.OutputTokens, null), (BudgetDimension.Requests, BudgetWindow.Day), (BudgetDimension.TotalTokens, BudgetWindow.Day),
                     (BudgetDimension.CostUsd, BudgetWindow.Month), (null, null),
                 })
        {
            Assert.True(report.Limits.Any(l => l.Dimension == dimension && l.Window == window), $"{dimension}/{window}: " + string.Join("; ", report.Limits.Select(l => $"{l.Kind} {l.Dimension}/{l.Window} {l.Denials}")));
        }
        // ... and each is reported with how often it denied, its first hit and the spend it would have avoided.
        foreach (var limit in report.Limits)
        {
            var denied = report.Denials.Where(d => d.Kind == limit.Kind && d.Dimension == limit.Dimension && d.Window == limit.Window
                && (d.Scope == limit.Scope || d.Scope.StartsWith(limit.Scope + ":", StringComparison.Ordinal))).ToList();
            Assert.Equal(denied.Count, limit.Denials);
            Assert.Equal(denied[0].Timestamp, limit.FirstHitAt);
            Assert.Equal(denied.Sum(d => d.CostUsd), limit.SpendAvoidedUsd);
        }
        Assert.Contains(report.Limits, l => l.Kind == DenialKind.BreakerOpen);
        Assert.Equal(expected.Count, report.DeniedCount);
        Assert.Equal(report.Denials.Count, report.Who.Sum(w => w.Denials));
        Assert.Equal(report.Denials.Where(d => d.Tenant == "acme").Sum(d => d.CostUsd), report.Who.Where(w => w.Tenant == "acme").Sum(w => w.SpendAvoidedUsd));

        // A bounded list keeps the first calls; the counts and sums still cover all.
        var bounded = await WhatIfReplay.RunAsync(proposal, Async(records), maxListedCalls: 10);
        Assert.Equal(report.Denials.Take(10), bounded.Denials);
        Assert.Equal(report.DeniedCount, bounded.DeniedCount);
        Assert.Equal(report.SpendAvoidedUsd, bounded.SpendAvoidedUsd);
        Assert.Equal(report.Limits, bounded.Limits);
        Assert.Equal(report.Denials.Sum(d => records.Single(r => r.Id == d.RecordId).CostUsd), report.SpendAvoidedUsd);
    }

    [Fact]
    public async Task Calendar_days_are_those_of_the_budgets_time_zone_across_a_daylight_saving_change()
    {
        // A call every 10 minutes for all of March 2026 (UTC); 100 requests a day in Berlin, where 29 March has 23 hours.
        var calls = Enumerable.Range(0, 31 * 144).Select(i => (MonthStart.AddMinutes(10 * i), new ShadowCall(i, TimeSpan.Zero, 100, 50, new TokenUsage(100, 50), false, null, null))).ToList();
        var records = await RecordAsync(calls);
        var policy = BudgetPolicy.Create("support").InTimeZone("Europe/Berlin").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100)
            .WithThresholds(tripAtPercent: 100).Build();

        var report = await WhatIfReplay.RunAsync(new WhatIfProposal([policy]), records);

        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var perDay = report.Denials.GroupBy(d => TimeZoneInfo.ConvertTime(d.Timestamp, berlin).Date).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(44, perDay[new DateTime(2026, 3, 10)]); // 144 calls, 100 allowed
        Assert.Equal(38, perDay[new DateTime(2026, 3, 29)]); // 138 calls in the 23-hour day
        Assert.Equal(44, perDay[new DateTime(2026, 3, 30)]);
        // 1 March in Berlin started at 23:00 UTC on 28 February, before the ledger: its 101st call is at 16:40 UTC.
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 16, 40, 0, TimeSpan.Zero), report.Limits.Single().FirstHitAt);
    }

    [Fact]
    public async Task A_replay_reports_downgrades_and_throttling_and_never_touches_the_live_ledger_or_counters()
    {
        var calls = Enumerable.Range(0, 60).Select(i => (MonthStart.AddSeconds(20 * i), new ShadowCall(i, TimeSpan.Zero, 1_000, 500, new TokenUsage(1_000, 500), false, null, null))).ToList();
        var records = await RecordAsync(calls, "gpt-4o");
        var policy = BudgetPolicy.Create("support").ForModel("gpt-4o")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 50)
            .WithThresholds(tripAtPercent: 100)
            .ThrottleAtWarning(TimeSpan.FromMinutes(1))
            .DowngradeAtCritical("gpt-4o-mini")
            .Build();
        var (live, _, _) = TestEngine.Create(start: MonthStart);
        await using var _1 = live;
        live.AddPolicy(policy);
        var before = live.Ledger.Snapshot().Count;

        var report = await WhatIfReplay.RunAsync(new WhatIfProposal([policy]), records);

        // 70% of 50 is reached at the 35th call, 90% at the 45th; the 51st and later are denied.
        var throttled = report.Degradations.Where(d => d.Action == WhatIfDegradationAction.Throttled).ToList();
        var downgraded = report.Degradations.Where(d => d.Action == WhatIfDegradationAction.Downgraded).ToList();
        Assert.Equal(records[35].Id, throttled[0].RecordId);
        Assert.Equal(15, throttled.Count);
        Assert.Equal(TimeSpan.FromSeconds(40), throttled[0].Delay);
        Assert.Equal(records[45].Id, downgraded[0].RecordId);
        Assert.Equal(5, downgraded.Count);
        Assert.All(downgraded, d => Assert.Equal("gpt-4o-mini", d.DowngradedTo));
        Assert.All(downgraded, d => Assert.True(d.DegradedCostUsd < d.CostUsd / 10, $"{d.DegradedCostUsd} vs {d.CostUsd}"));
        Assert.Equal(10, report.Denials.Count);
        Assert.Equal(before, live.Ledger.Snapshot().Count);
        Assert.All(await live.GetUsageAsync(policy), u => Assert.Equal(0m, u.Used));
    }
}
