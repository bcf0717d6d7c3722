using StackExchange.Redis;

namespace GuardedAI.Redis.Tests;

/// <summary>redis-server stopped mid-run and started again: each test has its own server, since it kills it.</summary>
public class OutageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static BudgetPolicy Policy(int requests) => BudgetPolicy.Create("outage")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, requests)
        .WithBreaker(BreakerSettings.Default with { TripOnThreshold = false })
        .Build();

    private static async Task<(BudgetEngine Engine, RecordingAlertSink Alerts)> EngineAsync(RedisServer server, StoreFailureMode mode, BudgetPolicy policy, double fraction = 1)
    {
        var sink = new RecordingAlertSink();
        // A stopped server refuses connections at once; the timeout only has to outlast a slow answer on a busy machine.
        var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = server.Configuration, OperationTimeout = TimeSpan.FromSeconds(3) });
        var options = new BudgetEngineOptions
        {
            LogAlerts = false,
            AlertSinks = { sink },
            StoreFailureMode = mode,
            StoreRetryInterval = TimeSpan.FromMilliseconds(200),
            FallbackLimitFraction = fraction,
            Policies = { policy },
        };
        redis.ApplyTo(options);
        options.OwnedResources.Add(redis);
        return (await BudgetEngine.CreateAsync(options), sink);
    }

    private static async Task<long> RedisRequests(RedisServer server, BudgetPolicy policy)
    {
        await using var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = server.Configuration });
        var key = new CounterKey(policy.Name, BudgetDimension.Requests, BudgetWindow.Day, WindowCalendar.Start(BudgetWindow.Day, DateTimeOffset.UtcNow, TimeZoneInfo.Utc));
        return (await redis.Counters.ReadAsync([key]))[0];
    }

    private static async Task CallAsync(BudgetEngine engine, BudgetPolicy policy)
    {
        var r = await engine.ReserveAsync(policy, new UsageEstimate(null, 1, 1, 0));
        await engine.CommitAsync(r, new TokenUsage(1, 1));
    }

    [Fact]
    public async Task Fail_closed_denies_with_the_store_down_reason_alerts_and_enforces_on_redis_again_after_it_is_back()
    {
        await using var server = new RedisServer();
        var policy = Policy(3);
        var (engine, alerts) = await EngineAsync(server, StoreFailureMode.FailClosed, policy);
        await using var _ = engine;
        await CallAsync(engine, policy);
        Assert.Equal(1, await RedisRequests(server, policy));

        server.Stop();
        var denial = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(engine, policy));
        Assert.Equal(DenialKind.StoreUnavailable, denial.Kind);
        Assert.Contains("store", denial.Message);
        Assert.Contains("down", denial.Message);
        Assert.NotNull(denial.RetryAfter);
        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreUnavailable && a.Message.Contains("Failing closed"));

        // Back (empty: this server keeps nothing on disk). No restart of the engine.
        server.Start();
        await Eventually.TrueAsync(async () =>
        {
            try { await CallAsync(engine, policy); return true; }
            catch (BudgetExceededException ex) when (ex.Kind == DenialKind.StoreUnavailable) { return false; }
        }, Patience, "a call goes through once redis-server is back");
        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreRecovered);
        Assert.Equal(1, await RedisRequests(server, policy));

        // Enforced on Redis: another instance's spend there counts against this one.
        await using (var other = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            var key = new CounterKey(policy.Name, BudgetDimension.Requests, BudgetWindow.Day, WindowCalendar.Start(BudgetWindow.Day, DateTimeOffset.UtcNow, TimeZoneInfo.Utc));
            await other.GetDatabase().StringIncrementAsync("{guardedai}:c:" + key.ToStorageKey(), 2);
        }
        var limited = await Assert.ThrowsAsync<BudgetExceededException>(() => CallAsync(engine, policy));
        Assert.Equal(DenialKind.WindowLimit, limited.Kind);
        Assert.Equal(3, limited.Used);
    }

    [Fact]
    public async Task Fail_open_serves_within_the_fallback_budget_alerts_and_moves_that_usage_to_redis_when_it_is_back()
    {
        await using var server = new RedisServer();
        var policy = Policy(10);
        var (engine, alerts) = await EngineAsync(server, StoreFailureMode.FailOpen, policy, fraction: 0.5);
        await using var _ = engine;
        await CallAsync(engine, policy);
        // This first call normally goes to Redis. On a loaded machine Redis can miss the 1 s operation timeout on it
        // (its script's first use): the engine then fails open already and serves the call on the fallback, where it
        // counts against the fallback's half like every call after the stop. (That was the "one call early" once seen
        // here: the fallback counted that call, not one too many.) The alert says which it was.
        await engine.Alerts.FlushAsync();
        var firstOnFallback = alerts.Alerts.Any(a => a.Level == AlertLevel.StoreUnavailable) ? 1 : 0;

        server.Stop();
        // Half of the limit locally: the fallback serves exactly 5 calls in all, then denies with 5 used of them.
        var served = 0;
        BudgetExceededException? denial = null;
        while (denial is null && served <= 5)
        {
            try { await CallAsync(engine, policy); served++; }
            catch (BudgetExceededException ex) { denial = ex; }
        }
        Assert.NotNull(denial);
        Assert.Equal(5 - firstOnFallback, served);
        Assert.Equal(5m, denial.Used);
        Assert.Equal(DenialKind.WindowLimit, denial.Kind);
        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreUnavailable && a.Message.Contains("Failing open"));

        server.Start();
        await Eventually.TrueAsync(async () =>
        {
            try { await CallAsync(engine, policy); }
            catch (BudgetExceededException) { }
            await engine.Alerts.FlushAsync();
            return alerts.Alerts.Any(a => a.Level == AlertLevel.StoreRecovered);
        }, Patience, "the engine uses redis again");
        // The calls served locally during the outage now count in Redis too (this server came back empty).
        await Eventually.TrueAsync(async () => await RedisRequests(server, policy) >= 1 + served, Patience, "fallback usage moved to redis");
        Assert.InRange(await RedisRequests(server, policy), 1 + served, 10);
    }
}
