namespace GuardedAI.Redis.Tests;

/// <summary>Conversation counters in Redis: shared by instances, never past their limit, and expiring after the idle time.</summary>
[Collection("redis")]
public class ConversationScopeTests(RedisFixture fixture)
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithScopeIdleTimeout(TimeSpan.FromMinutes(10))
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 40).Build();

    [Fact]
    public async Task Two_instances_share_a_conversation_limit_and_its_key_expires_after_the_idle_time()
    {
        var prefix = RedisFixture.NewPrefix();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        // The instances follow the Redis server's clock; the test drives it (the scripts read this key in place of TIME).
        var serverClock = (StackExchange.Redis.RedisKey)(prefix + "test:server-now");
        await using var redisCheck = await fixture.ConnectAsync(prefix);
        await redisCheck.Connection.GetDatabase().StringSetAsync(serverClock, clock.GetUtcNow().ToUnixTimeMilliseconds());
        var engines = new List<BudgetEngine>();
        for (var i = 0; i < 2; i++)
        {
            var redis = await fixture.ConnectAsync(prefix, "test:server-now");
            var options = new BudgetEngineOptions { LogAlerts = false, TimeProvider = clock, Policies = { Policy() } };
            redis.ApplyTo(options);
            options.OwnedResources.Add(redis);
            engines.Add(await BudgetEngine.CreateAsync(options));
        }
        var policy = Policy();
        var context = new ReservationContext { ConversationId = "c-1" };

        var granted = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(async () =>
        {
            var lease = await engines[i % 2].TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0), context);
            if (!lease.IsAcquired) return false;
            await lease.CommitAsync(new TokenUsage(10, 5));
            return true;
        })));

        Assert.Equal(40, granted.Count(g => g));
        var usage = await engines[0].GetUsageAsync(policy, context);
        Assert.Equal(40m, Assert.Single(usage).Used);

        var key = redisCheck.Counters.CounterKeyName(new CounterKey("conversation:chat:c-1", BudgetDimension.Requests, BudgetWindow.Conversation, DateTimeOffset.UnixEpoch));
        var ttl = await redisCheck.Connection.GetDatabase().KeyTimeToLiveAsync(key);
        var expected = TimeSpan.FromMinutes(10) + redisCheck.Options.CounterGracePeriod;
        Assert.InRange(ttl!.Value.TotalSeconds, expected.TotalSeconds - 60, expected.TotalSeconds + 5);

        // A call five minutes later moves the expiry with it: the idle time counts from the last call.
        clock.Advance(TimeSpan.FromMinutes(5));
        await redisCheck.Connection.GetDatabase().StringSetAsync(serverClock, clock.GetUtcNow().ToUnixTimeMilliseconds());
        var another = await engines[1].TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0), new ReservationContext { ConversationId = "c-1" });
        Assert.False(another.IsAcquired);
        var other = await engines[1].TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0), new ReservationContext { ConversationId = "c-2" });
        await other.CommitAsync(new TokenUsage(1, 1));
        var ttlOther = await redisCheck.Connection.GetDatabase().KeyTimeToLiveAsync(key.ToString().Replace("c-1", "c-2"));
        Assert.InRange(ttlOther!.Value.TotalSeconds, (expected + TimeSpan.FromMinutes(5)).TotalSeconds - 60, (expected + TimeSpan.FromMinutes(5)).TotalSeconds + 5);
        foreach (var engine in engines) await engine.DisposeAsync();
    }
}
