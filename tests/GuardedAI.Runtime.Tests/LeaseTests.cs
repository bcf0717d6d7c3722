namespace GuardedAI.Tests;

/// <summary>The reservation API as a caller without Microsoft.Extensions.AI uses it: a lease, never an exception for a denial.</summary>
public class LeaseTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("lease")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 2)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000).Build();

    [Fact]
    public async Task A_denial_is_a_value_on_the_lease_not_an_exception()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        await using var first = await engine.TryReserveAsync(policy, TestEngine.Estimate(400, 400));
        Assert.True(first.IsAcquired);
        Assert.Null(first.Denial);

        var second = await engine.TryReserveAsync(policy, TestEngine.Estimate(400, 400));

        Assert.False(second.IsAcquired);
        Assert.True(second.IsSettled); // nothing is held, nothing to settle
        var denial = second.Denial!;
        Assert.Equal((DenialKind.WindowLimit, "lease", BudgetDimension.TotalTokens, BudgetWindow.Day), (denial.Kind, denial.Scope, denial.Dimension!.Value, denial.Window!.Value));
        Assert.Equal((800m, 1_000m, 800m), (denial.Used, denial.Limit, denial.Requested));
        Assert.Equal(TimeSpan.FromHours(12), second.RetryAfter);
        Assert.StartsWith("Budget 'lease' denied the call: the daily tokens limit is 1,000, 800 is used", denial.Reason);
        await Assert.ThrowsAsync<InvalidOperationException>(() => second.CommitAsync(new TokenUsage(1, 1)).AsTask());
        // The denial is recorded, with the lease's id.
        Assert.Contains(engine.Ledger.Snapshot(), r => r.Id == second.Id && r.Status == UsageStatus.Denied && r.Reason == denial.Reason);
    }

    [Fact]
    public async Task A_lease_settles_once_and_a_second_settlement_is_refused_and_not_counted()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(300, 300));

        var settled = await lease.CommitAsync(new TokenUsage(120, 30));
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.CommitAsync(new TokenUsage(500, 500)).AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.FailAsync("late failure").AsTask());
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.CancelAsync("late cancel").AsTask());
        await lease.DisposeAsync();

        Assert.Equal((150L, UsageStatus.Success), (settled.TotalTokens, settled.Status));
        Assert.Equal((150L, UsageStatus.Success), (engine.RecordOf(lease).TotalTokens, engine.RecordOf(lease).Status));
        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(1m, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(150m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        Assert.Single(engine.Ledger.Snapshot());
    }

    [Fact]
    public async Task Concurrent_settlements_of_one_lease_count_once()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(300, 300));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            try
            {
                if (i % 2 == 0) await lease.CommitAsync(new TokenUsage(100, 100));
                else await lease.FailAsync("provider failed", new TokenUsage(100, 0));
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        })));

        Assert.Equal(1, attempts.Count(settled => settled));
        Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(1m, (await engine.GetUsageAsync(policy)).Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
    }

    [Fact]
    public async Task A_failed_call_counts_the_request_and_what_was_consumed_and_tells_the_breaker()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("flaky").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 10_000)
            .WithBreaker(new BreakerSettings { ConsecutiveFailuresToOpen = 1 }).Build();
        var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(100, 100));

        var settled = await lease.FailAsync("HttpRequestException: 500", new TokenUsage(100, 7));

        Assert.Equal((UsageStatus.Failed, 107L), (settled.Status, settled.TotalTokens));
        var record = engine.RecordOf(lease);
        Assert.Equal((UsageStatus.Failed, 107L, "HttpRequestException: 500"), (record.Status, record.TotalTokens, record.Reason));
        Assert.Equal(CircuitBreakerState.Open, engine.Breakers.Get("flaky").State);
        var next = await engine.TryReserveAsync(policy, TestEngine.Estimate(100, 100));
        Assert.Equal(DenialKind.BreakerOpen, next.Denial!.Kind);
    }

    [Fact]
    public async Task Changing_the_options_after_the_engine_is_built_changes_nothing()
    {
        var options = new BudgetEngineOptions { TimeProvider = new FakeTimeProvider(TestEngine.Start), LogAlerts = false, ReservationLease = TimeSpan.FromMinutes(1) };
        options.Policies.Add(Policy());
        await using var engine = new BudgetEngine(options);

        options.ReservationLease = TimeSpan.FromDays(1);
        options.Policies.Clear();
        options.Policies.Add(BudgetPolicy.Create("other").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1).Build());

        Assert.NotNull(engine.GetPolicy("lease"));
        Assert.Null(engine.GetPolicy("other"));
        var lease = await engine.TryReserveAsync(engine.GetPolicy("lease")!, TestEngine.Estimate(1, 1));
        Assert.Equal(TestEngine.Start + TimeSpan.FromMinutes(1), lease.ExpiresAt);
    }

    [Fact]
    public async Task The_engine_does_not_change_the_price_catalogue_it_is_given()
    {
        var prices = PriceCatalog.CreateDefault();
        var loggerBefore = prices.Logger;
        var (engine, _, alerts) = TestEngine.Create(o => { o.Prices = prices; o.LoggerFactory = new RecordingLogger(); });
        var policy = Policy();

        var estimate = engine.Estimate("my-private-model", 100, 100);
        await (await engine.TryReserveAsync(policy, estimate)).CommitAsync(new TokenUsage(100, 100));

        Assert.Same(loggerBefore, prices.Logger);
        Assert.Equal(prices.DefaultPrice.InputPerMillion * 100m / 1_000_000m + prices.DefaultPrice.OutputPerMillion * 100m / 1_000_000m, estimate.CostUsd);
        await engine.Parts.Alerts.FlushAsync();
        Assert.Single(alerts.Alerts, a => a.Level == AlertLevel.UnknownModelPrice && a.Scope == "my-private-model");
    }

    [Fact]
    public async Task A_commit_racing_a_disposal_on_another_thread_settles_the_lease_once_and_counts_it_once()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("race").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1_000_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 4).Build();
        engine.AddPolicy(policy);
        const int Leases = 1_000;
        int committed = 0, refused = 0;

        for (var i = 0; i < Leases; i++)
        {
            var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(100, 50));
            using var start = new Barrier(2);
            var commit = OnOwnThread(async () =>
            {
                start.SignalAndWait();
                try
                {
                    await lease.CommitAsync(new TokenUsage(10, 5));
                    Interlocked.Increment(ref committed);
                }
                catch (InvalidOperationException)
                {
                    Interlocked.Increment(ref refused); // the disposal settled it first, as abandoned
                }
            });
            var dispose = OnOwnThread(async () =>
            {
                start.SignalAndWait();
                await lease.DisposeAsync();
            });
            await Task.WhenAll(commit, dispose);
            Assert.True(lease.IsSettled);
        }

        // Each lease is one record and one request: its commit's 15 tokens, or the 100 prompt tokens of an abandoned call.
        Assert.Equal(Leases, committed + refused);
        var records = engine.Ledger.Snapshot();
        Assert.Equal(Leases, records.Count);
        Assert.Equal(Leases, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal((committed, refused), (records.Count(r => r.Status == UsageStatus.Success), records.Count(r => r.Status == UsageStatus.Cancelled)));
        var usage = await engine.GetUsageAsync(policy);
        Assert.Equal(Leases, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(committed * 15m + refused * 100m, usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    // A thread of its own for each side of the race: the barrier blocks its thread, which must not be one the pool needs
    // for the other side while other tests keep it busy.
    private static Task OnOwnThread(Func<Task> body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
}
