namespace GuardedAI.Tests;

/// <summary>Gradual slowdown before the hard limit, on a fake clock: throttle at warning, a cheaper model at critical, deny at trip.</summary>
public class DegradationTests
{
    private static BudgetPolicy Policy(Func<BudgetPolicyBuilder, BudgetPolicyBuilder> degrade) => degrade(BudgetPolicy.Create("graded").ForModel("gpt-4o")
        .WithMaxOutputTokens(50)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 20)
        .WithThresholds(warnAtPercent: 50, criticalAtPercent: 80, tripAtPercent: 95)).Build();

    [Fact]
    public async Task Past_the_warning_threshold_calls_are_spaced_by_the_throttle_interval()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy(b => b.ThrottleAtWarning(TimeSpan.FromSeconds(10)));
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);
        for (var i = 0; i < 10; i++) await client.GetResponseAsync($"call {i}"); // 50%: the warning threshold

        // The bucket holds one permit: the next call goes at once, the one after waits for the clock.
        await client.GetResponseAsync("first throttled call").WaitAsync(TimeSpan.FromSeconds(5));
        var second = client.GetResponseAsync("second throttled call");
        var third = client.GetResponseAsync("third throttled call");
        Assert.False(second.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(second.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await second.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(third.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(10));
        await third;
        Assert.Equal(13, engine.Ledger.Snapshot().Count(r => r.Status == UsageStatus.Success));
    }

    [Fact]
    public async Task A_throttled_budget_with_a_full_queue_denies_and_says_when_to_retry()
    {
        var (engine, clock, _) = TestEngine.Create();
        var policy = Policy(b => b.ThrottleAtWarning(TimeSpan.FromSeconds(5), queueLimit: 1));
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);
        for (var i = 0; i < 11; i++) await client.GetResponseAsync($"call {i}"); // the last one took the bucket's permit
        var waiting = client.GetResponseAsync("waits");

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("one too many"));

        Assert.Equal(DenialKind.Throttled, denied.Kind);
        Assert.Equal(TimeSpan.FromSeconds(5), denied.RetryAfter);
        Assert.Contains("throttled to one call every 5s", denied.Message);
        clock.Advance(TimeSpan.FromSeconds(5));
        await waiting;
    }

    [Fact]
    public async Task Past_the_critical_threshold_calls_go_to_the_cheaper_model_and_the_record_says_so()
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient();
        var policy = Policy(b => b.DowngradeAtCritical("gpt-4o-mini"));
        var client = new BudgetChatClient(inner, engine, policy);
        for (var i = 0; i < 15; i++) await client.GetResponseAsync($"call {i}"); // 75%: below critical
        Assert.Equal("gpt-4o", engine.Ledger.Snapshot()[^1].Model);

        await client.GetResponseAsync("call 16"); // 80% after this one settles
        await client.GetResponseAsync("call 17");

        Assert.Equal("gpt-4o-mini", inner.LastOptions!.ModelId);
        var record = engine.Ledger.Snapshot()[^1];
        Assert.Equal(("gpt-4o-mini", "gpt-4o"), (record.Model, record.DegradedFrom));
        Assert.Equal(engine.Prices.ComputeCost("gpt-4o-mini", new TokenUsage(record.InputTokens, record.OutputTokens)), record.CostUsd);
    }

    [Fact]
    public async Task At_the_trip_threshold_calls_are_denied()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy(b => b.DowngradeAtCritical("gpt-4o-mini"));
        var client = new BudgetChatClient(new FakeChatClient(), engine, policy);
        var denied = 0;
        for (var i = 0; i < 25; i++)
        {
            try { await client.GetResponseAsync($"call {i}"); }
            catch (BudgetExceededException e) when (e.Kind == DenialKind.BreakerOpen) { denied++; }
        }

        // 19 of 20 requests is 95%: the breaker trips there and denies the six calls after it.
        Assert.Equal(6, denied);
        Assert.Equal(19, engine.Ledger.Snapshot().Count(r => r.Status == UsageStatus.Success));
    }

    [Fact]
    public void Bad_degradation_settings_are_refused_with_the_budget_named()
    {
        var error = Assert.Throws<BudgetPolicyException>(() => BudgetPolicy.Create("bad").ThrottleAtWarning(TimeSpan.Zero).Build());
        Assert.Contains("'bad'", error.Message);
        Assert.Contains("throttle interval must be positive", error.Message);
    }
}
