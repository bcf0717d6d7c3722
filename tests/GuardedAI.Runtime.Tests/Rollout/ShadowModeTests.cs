namespace GuardedAI.Tests.Rollout;

/// <summary>
/// A budget in shadow is evaluated exactly as if enforced but never denies: run side by side with an enforced copy on the
/// same calls, it lets every call through and marks as "would have been denied" exactly the calls the copy denies.
/// </summary>
public class ShadowModeTests
{
    private static BudgetPolicy Policy(EnforcementMode mode, string name = "bot") => BudgetPolicy.Create(name)
        .ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 12)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Minute, 14_000)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 90_000)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 700)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 6_000)
        .WithMaxOutputTokens(1_000)
        .WithThresholds(tripAtPercent: 99)
        .WithBreaker(BreakerSettings.Default with { ConsecutiveFailuresToOpen = 2, FailureOpenDuration = TimeSpan.FromMinutes(2) })
        .WithMode(mode)
        .Build();

    private static BudgetPolicy Tenant(EnforcementMode mode) => BudgetPolicy.Create("acme")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 15)
        .WithMode(mode)
        .Build();

    /// <summary>Sends <paramref name="calls"/> one after another; returns per call the denial (enforced) or the shadow finding.</summary>
    private static async Task<(string? Denied, string? WouldBeDeniedBy, string? Reason)[]> RunAsync(BudgetEngine engine, FakeTimeProvider clock, BudgetPolicy policy, IReadOnlyList<ShadowCall> calls)
    {
        var outcomes = new (string?, string?, string?)[calls.Count];
        foreach (var call in calls)
        {
            clock.Advance(call.Gap);
            var context = new ReservationContext { Tenant = call.Tenant, ConversationId = call.Conversation };
            var lease = await engine.TryReserveAsync(policy, engine.Estimate("gpt-4o-mini", call.Input, call.Output), context);
            if (!lease.IsAcquired)
            {
                outcomes[call.Index] = (lease.Denial!.Scope, null, lease.Denial.Reason);
                continue;
            }
            var record = call.ProviderFails ? await lease.FailAsync("provider said 500", call.Actual) : await lease.CommitAsync(call.Actual);
            outcomes[call.Index] = (null, record.WouldBeDeniedBy, record.WouldBeDeniedReason);
        }
        return outcomes;
    }

    [Fact]
    public async Task A_thousand_calls_a_shadow_budget_lets_through_are_exactly_those_its_enforced_copy_denies()
    {
        // The budget and the tenant's budget both in shadow, against both enforced: the same decisions, call by call.
        var calls = ShadowSequence.Generate(1_000, seed: 18);
        var (enforced, enforcedClock, _) = TestEngine.Create(o => o.TenantPolicies["acme"] = Tenant(EnforcementMode.Enforce));
        var (shadow, shadowClock, _) = TestEngine.Create(o => o.TenantPolicies["acme"] = Tenant(EnforcementMode.Shadow));
        await using var _1 = enforced;
        await using var _2 = shadow;

        var expected = await RunAsync(enforced, enforcedClock, Policy(EnforcementMode.Enforce), calls);
        var actual = await RunAsync(shadow, shadowClock, Policy(EnforcementMode.Shadow), calls);

        var deniedByEnforced = expected.Where(o => o.Denied is not null).ToList();
        Assert.InRange(deniedByEnforced.Count, 50, 950); // the sequence exercises the limits, and not trivially
        // Every kind of decision is exercised: window limits, a per-request cap, a conversation limit, a breaker opened by
        // provider failures, a breaker tripped by a threshold, and the tenant's own budget.
        foreach (var kind in new[] { "the per-minute tokens limit", "above the per-request cap", "per-conversation tokens limit",
                     "consecutive provider failures", "circuit breaker is open until the window resets", "Budget 'tenant:acme'" })
        {
            Assert.Contains(deniedByEnforced, o => o.Reason!.Contains(kind, StringComparison.Ordinal));
        }
        for (var i = 0; i < calls.Count; i++)
        {
            Assert.Null(actual[i].Denied);
            Assert.Equal(expected[i].Denied, actual[i].WouldBeDeniedBy);
            Assert.Equal(expected[i].Reason, actual[i].Reason);
        }
        var records = shadow.Ledger.Snapshot();
        Assert.Equal(calls.Count, records.Count);
        Assert.DoesNotContain(records, r => r.Status == UsageStatus.Denied);
        Assert.Equal(deniedByEnforced.Count, records.Count(r => r.WouldBeDeniedBy is not null));
    }

    [Fact]
    public async Task An_enforced_tenant_still_denies_beside_a_budget_in_shadow_and_counts_what_really_happened()
    {
        var (engine, _, _) = TestEngine.Create(o => o.TenantPolicies["acme"] = BudgetPolicy.Create("acme").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 3).Build());
        await using var _ = engine;
        var policy = BudgetPolicy.Create("bot").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).InShadowMode().Build();
        var acme = new ReservationContext { Tenant = "acme" };
        var outcomes = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10), acme);
            outcomes.Add(lease.IsAcquired ? (await lease.CommitAsync(new TokenUsage(10, 10))).WouldBeDeniedBy ?? "allowed" : "denied by " + lease.Denial!.Scope);
        }
        // The budget would have denied the 2nd and 3rd calls; they happened, so the tenant counted them and denies the 4th.
        Assert.Equal(["allowed", "bot", "bot", "denied by tenant:acme", "denied by tenant:acme"], outcomes);
    }

    [Fact]
    public async Task Concurrent_callers_see_the_same_denials_per_limit_in_shadow_as_enforced()
    {
        BudgetPolicy Make(EnforcementMode mode) => BudgetPolicy.Create("burst")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 400)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 31_000)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 5m)
            .WithThresholds(tripAtPercent: 100)
            .WithMode(mode).Build();

        async Task<(int Acquired, Dictionary<string, int> PerLimit, string[] Ledger)> Run(EnforcementMode mode)
        {
            var (engine, _, _) = TestEngine.Create();
            await using var _ = engine;
            var policy = Make(mode);
            using var start = new ManualResetEventSlim(false);
            // Every call reserves 100 tokens and uses exactly that: the outcome per limit does not depend on the order.
            var callers = Enumerable.Range(0, 1_000).Select(_ => Task.Run(async () =>
            {
                start.Wait();
                var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(60, 40, 0.001m));
                if (!lease.IsAcquired) return $"denied {lease.Denial!.Dimension}/{lease.Denial.Window}";
                var record = await lease.CommitAsync(new TokenUsage(60, 40));
                return record.WouldBeDeniedBy is null ? "allowed" : $"denied {record.WouldBeDeniedReason!.Split(':')[1].Split(',')[0].Trim()}";
            })).ToArray();
            start.Set();
            var outcomes = await Task.WhenAll(callers);
            var usage = await engine.GetUsageAsync(policy);
            return (outcomes.Count(o => o == "allowed"),
                outcomes.GroupBy(o => o.StartsWith("denied", StringComparison.Ordinal) ? "denied" : o).ToDictionary(g => g.Key, g => g.Count()),
                usage.Select(u => $"{u.Limit}={u.Used}").ToArray());
        }

        var enforced = await Run(EnforcementMode.Enforce);
        var shadow = await Run(EnforcementMode.Shadow);

        Assert.Equal(310, enforced.Acquired); // 31,000 tokens / 100 per call
        Assert.Equal(enforced.Acquired, shadow.Acquired);
        Assert.Equal(enforced.PerLimit, shadow.PerLimit);
        Assert.Equal(690, shadow.PerLimit["denied"]);
        // The shadow budget's counters hold exactly what the enforced budget's do: the calls it would have let through.
        Assert.Equal(enforced.Ledger, shadow.Ledger);
    }

    [Fact]
    public async Task A_shadow_denial_is_counted_in_metrics_and_alerted_once_per_window()
    {
        var (engine, clock, alerts) = TestEngine.Create();
        await using var _ = engine;
        var policy = BudgetPolicy.Create("quiet").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2).InShadowMode().Build();

        for (var i = 0; i < 6; i++) await (await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10))).CommitAsync(new TokenUsage(10, 10));
        await engine.FlushAlertsAsync();
        var first = alerts.Alerts.Where(a => a.Level == AlertLevel.WouldBeDenied).ToList();
        Assert.Single(first);
        Assert.Equal("quiet", first[0].Scope);
        Assert.Equal(BudgetWindow.Day, first[0].Window);

        clock.Advance(TimeSpan.FromDays(1));
        for (var i = 0; i < 4; i++) await (await engine.TryReserveAsync(policy, TestEngine.Estimate(10, 10))).CommitAsync(new TokenUsage(10, 10));
        await engine.FlushAlertsAsync();
        Assert.Equal(2, alerts.Alerts.Count(a => a.Level == AlertLevel.WouldBeDenied));

        var records = engine.Ledger.Snapshot();
        Assert.Equal(10, records.Count);
        Assert.All(records, r => Assert.Equal(UsageStatus.Success, r.Status));
        Assert.Equal(6, records.Count(r => r.WouldBeDeniedBy == "quiet"));
    }
}
