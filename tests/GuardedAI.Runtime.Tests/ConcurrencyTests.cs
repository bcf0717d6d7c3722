namespace GuardedAI.Tests;

public class ConcurrencyTests
{
    [Fact]
    public async Task A_thousand_concurrent_callers_never_push_any_dimension_past_its_limit()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("race")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 400)
            .WithLimit(BudgetDimension.InputTokens, BudgetWindow.Day, 30_000)
            .WithLimit(BudgetDimension.OutputTokens, BudgetWindow.Day, 28_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 55_000)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 0.9m)
            .Build();

        // Each caller reserves 100 in / 100 out / $0.003 and really uses 90 / 70 / $0.0025.
        var estimate = TestEngine.Estimate(100, 100, 0.003m);
        var actual = new TokenUsage(90, 70);
        var maxSeen = new long[policy.Limits.Length];
        using var start = new ManualResetEventSlim(false);
        var callers = Enumerable.Range(0, 1000).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            try
            {
                var reservation = await engine.ReserveAsync(policy, estimate);
                var usage = await engine.GetUsageAsync(policy);
                for (var i = 0; i < usage.Count; i++) InterlockedMax(ref maxSeen[i], (long)(usage[i].Used * 1_000_000_000m));
                await engine.CommitAsync(reservation, actual);
                return true;
            }
            catch (BudgetExceededException)
            {
                return false;
            }
        })).ToArray();
        start.Set();
        var results = await Task.WhenAll(callers);

        var succeeded = results.Count(r => r);
        var final = await engine.GetUsageAsync(policy);
        var ledger = engine.Ledger.Snapshot();
        var committed = ledger.Where(r => r.Status == UsageStatus.Success).ToList();
        var cost = committed.Sum(r => r.CostUsd);

        Assert.Equal(succeeded, committed.Count);
        Assert.Equal(1000 - succeeded, ledger.Count(r => r.Status == UsageStatus.Denied));
        Assert.InRange(succeeded, 1, 999);
        // Exact sums: each counter equals what the committed records add up to.
        Assert.Equal(succeeded, Used(final, BudgetDimension.Requests));
        Assert.Equal(committed.Sum(r => r.InputTokens), Used(final, BudgetDimension.InputTokens));
        Assert.Equal(committed.Sum(r => r.OutputTokens), Used(final, BudgetDimension.OutputTokens));
        Assert.Equal(committed.Sum(r => r.TotalTokens), Used(final, BudgetDimension.TotalTokens));
        Assert.Equal(BudgetUnits.ToUnits(BudgetDimension.CostUsd, 0) + committed.Sum(r => BudgetUnits.ToUnits(BudgetDimension.CostUsd, r.CostUsd)),
            BudgetUnits.ToUnits(BudgetDimension.CostUsd, Used(final, BudgetDimension.CostUsd)));
        // Never past a limit, not even in flight (reserved amounts included).
        for (var i = 0; i < policy.Limits.Length; i++)
        {
            Assert.True(maxSeen[i] <= policy.Limits[i].Amount * 1_000_000_000m, $"{policy.Limits[i]} was exceeded in flight: {maxSeen[i] / 1e9m}");
            Assert.True(final[i].Used <= policy.Limits[i].Amount, $"{policy.Limits[i]} ended at {final[i].Used}");
        }
        Assert.True(cost > 0);
    }

    [Fact]
    public async Task Concurrent_callers_through_the_chat_client_stay_within_the_daily_request_limit()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chat-race").ForModel("gpt-4o-mini")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 37)
            .WithMaxOutputTokens(50).WithBreaker(new BreakerSettings { TripOnThreshold = false }).Build();
        var inner = new Simulation.SimulatedChatClient("gpt-4o-mini", responseWords: 20);
        var client = new BudgetChatClient(inner, engine, policy);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(async () =>
        {
            try { await client.GetResponseAsync($"question {i}"); return true; }
            catch (BudgetExceededException) { return false; }
        })));

        Assert.Equal(37, outcomes.Count(o => o));
        Assert.Equal(37, inner.RequestCount);
        Assert.Equal(37m, (await engine.GetUsageAsync(policy)).Single().Used);
    }

    private static decimal Used(IReadOnlyList<LimitUsage> usage, BudgetDimension dimension) => usage.Single(u => u.Limit.Dimension == dimension).Used;

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Volatile.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current) return;
            current = seen;
        }
    }
}
