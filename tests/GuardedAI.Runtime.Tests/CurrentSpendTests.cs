using GuardedAI.Reports;

namespace GuardedAI.Tests;

/// <summary>
/// "How much have I spent today?": <see cref="BudgetEngine.GetSpendAsync"/> answers for every dimension, limited or not,
/// per budget, tenant, conversation and model, over the current calendar window.
/// </summary>
public class CurrentSpendTests
{
    private static readonly BudgetPolicy RequestsOnly = BudgetPolicy.Create("support").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build();

    private static async Task<LeaseSettlement> Call(BudgetEngine engine, string model, long input, long output, string? tenant = null, string? conversation = null, BudgetPolicy? policy = null)
    {
        var lease = await engine.ReserveAsync(policy ?? RequestsOnly, engine.Estimate(model, input, output), new ReservationContext { Tenant = tenant, ConversationId = conversation });
        return await lease.CommitAsync(new TokenUsage(input, output));
    }

    [Fact]
    public async Task Every_dimension_is_reported_even_those_no_limit_counts()
    {
        var (engine, _, _) = TestEngine.Create();
        await using var _e = engine;
        var records = new[]
        {
            await Call(engine, "gpt-4o-mini", 1_200, 300),
            await Call(engine, "gpt-4o", 800, 150),
        };

        var spend = await engine.GetSpendAsync();

        Assert.Equal(2, spend.Total.Requests);
        Assert.Equal(2_000, spend.Total.InputTokens);
        Assert.Equal(450, spend.Total.OutputTokens);
        Assert.Equal(2_450, spend.Total.TotalTokens);
        Assert.Equal(records.Sum(r => r.CostUsd), spend.Total.CostUsd);
        Assert.True(spend.Total.CostUsd > 0m);
        // The counters know only the limited dimension: that is why GetSpendAsync reads the records.
        var limited = Assert.Single(await engine.GetUsageAsync(RequestsOnly));
        Assert.Equal(BudgetDimension.Requests, limited.Limit.Dimension);
        Assert.Equal((TestEngine.Start.Date, TestEngine.Start.Date.AddDays(1)), (spend.From.UtcDateTime, spend.To.UtcDateTime));
    }

    [Fact]
    public async Task Spend_is_reported_per_budget_tenant_conversation_and_model()
    {
        var (engine, _, _) = TestEngine.Create();
        await using var _e = engine;
        var other = BudgetPolicy.Create("research").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 100).Build();
        await Call(engine, "gpt-4o-mini", 100, 10, tenant: "acme", conversation: "c1");
        await Call(engine, "gpt-4o-mini", 200, 20, tenant: "acme", conversation: "c2");
        await Call(engine, "gpt-4o", 400, 40, tenant: "globex", conversation: "c1");
        await Call(engine, "gpt-4o", 800, 80, policy: other);

        Assert.Equal(700, (await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { Budget = "support" } })).Total.InputTokens);
        Assert.Equal(300, (await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { Tenant = "acme" } })).Total.InputTokens);
        Assert.Equal(500, (await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { ConversationId = "c1" } })).Total.InputTokens);
        Assert.Equal(1_200, (await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { Model = "gpt-4o" } })).Total.InputTokens);

        var byModel = await engine.GetSpendAsync(new SpendQuery { GroupBy = [UsageGrouping.Model] });
        Assert.Equal([("gpt-4o", 1_200L), ("gpt-4o-mini", 300L)], byModel.Groups.Select(g => (g.Keys[0], g.Totals.InputTokens)));
        Assert.True(byModel.Groups[0].Totals.CostUsd > byModel.Groups[1].Totals.CostUsd);   // largest cost first
        Assert.Equal(byModel.Total.CostUsd, byModel.Groups.Sum(g => g.Totals.CostUsd));

        var byTenantAndBudget = await engine.GetSpendAsync(new SpendQuery { GroupBy = [UsageGrouping.Tenant, UsageGrouping.Budget] });
        Assert.Equal(3, byTenantAndBudget.Groups.Count);
        Assert.Contains(byTenantAndBudget.Groups, g => g.Keys[0] is null && g.Keys[1] == "research" && g.Totals.Requests == 1);
    }

    [Fact]
    public async Task Today_starts_at_midnight_of_the_budgets_time_zone_and_a_conversation_spans_days()
    {
        var berlin = BudgetPolicy.Create("berlin").InTimeZone("Europe/Berlin").WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 100).Build();
        var (engine, clock, _) = TestEngine.Create(o => o.Policies.Add(berlin), start: new DateTimeOffset(2026, 3, 15, 22, 30, 0, TimeSpan.Zero)); // 23:30 in Berlin
        await using var _e = engine;
        await Call(engine, "gpt-4o-mini", 100, 10, conversation: "long", policy: berlin);
        clock.Advance(TimeSpan.FromHours(1));                                                                        // 00:30 in Berlin, 23:30 UTC
        await Call(engine, "gpt-4o-mini", 200, 20, conversation: "long", policy: berlin);

        var berlinToday = await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { Budget = "berlin" } });
        Assert.Equal(200, berlinToday.Total.InputTokens);
        Assert.Equal(new DateTimeOffset(2026, 3, 15, 23, 0, 0, TimeSpan.Zero), berlinToday.From);
        Assert.Equal(300, (await engine.GetSpendAsync()).Total.InputTokens);                                         // UTC: both on the 15th
        Assert.Equal(300, (await engine.GetSpendAsync(new SpendQuery { Window = BudgetWindow.Conversation, Filter = new UsageFilter { ConversationId = "long" } })).Total.InputTokens);

        clock.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, (await engine.GetSpendAsync()).Total.Requests);
        Assert.Equal(2, (await engine.GetSpendAsync(new SpendQuery { Window = BudgetWindow.Month })).Total.Requests);
    }

    [Fact]
    public async Task A_denied_call_is_counted_as_denied_with_no_spend()
    {
        var tight = BudgetPolicy.Create("tight").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).WithThresholds(tripAtPercent: 100).Build();
        var (engine, _, _) = TestEngine.Create();
        await using var _e = engine;
        var first = await Call(engine, "gpt-4o-mini", 100, 10, policy: tight);
        var denied = await engine.TryReserveAsync(tight, engine.Estimate("gpt-4o-mini", 100, 10));
        Assert.False(denied.IsAcquired);

        var spend = await engine.GetSpendAsync(new SpendQuery { Filter = new UsageFilter { Budget = "tight" } });

        Assert.Equal((2L, 1L, 1L), (spend.Total.Requests, spend.Total.Succeeded, spend.Total.Denied));
        Assert.Equal(first.CostUsd, spend.Total.CostUsd);
    }
}
