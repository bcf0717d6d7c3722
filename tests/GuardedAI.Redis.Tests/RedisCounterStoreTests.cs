using GuardedAI.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace GuardedAI.Redis.Tests;

[Collection("redis")]
public class RedisCounterStoreTests(RedisFixture fixture)
{
    // The store decides windows and leases by the server's clock; these tests freeze it at Now (the scripts read the
    // test clock key in place of TIME) so a minute boundary during the run cannot move the current window.
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private async Task<GuardedAIRedis> ConnectFrozenAsync()
    {
        var redis = await fixture.ConnectAsync(testClockKey: "test:server-now");
        await redis.Connection.GetDatabase().StringSetAsync(redis.Options.KeyPrefix + "test:server-now", Now.ToUnixTimeMilliseconds());
        return redis;
    }

    private static CounterCharge Charge(string scope, BudgetDimension dimension, long amount, long limit, BudgetWindow window = BudgetWindow.Day) =>
        new(new CounterKey(scope, dimension, window, WindowCalendar.Start(window, Now, TimeZoneInfo.Utc)), amount, limit, WindowCalendar.End(window, Now, TimeZoneInfo.Utc));

    /// <summary>Settles reservation <paramref name="id"/> with <paramref name="actual"/> (a new object: the store finds its lease by id) and returns the counters' values.</summary>
    private static async Task<IReadOnlyList<long>> SettleAsync(GuardedAI.Redis.RedisBudgetCounterStore store, string id, CounterCharge[] actual)
    {
        var settlement = new CounterReservation(id, actual, Now);
        await store.SettleAsync(settlement);
        return settlement.Values.ToArray();
    }

    [Fact]
    public async Task Reserve_is_all_or_none_and_reports_the_limit_that_did_not_fit()
    {
        await using var redis = await ConnectFrozenAsync();
        var store = redis.Counters;
        var requests = Charge("s", BudgetDimension.Requests, 1, 10);
        var tokens = Charge("s", BudgetDimension.TotalTokens, 600, 1000);

        var reservation = new CounterReservation("r1", [requests, tokens], Now.AddMinutes(10));
        var first = await store.TryReserveAsync(reservation);
        Assert.True(first.Success);
        Assert.Equal([1L, 600L], reservation.Values.ToArray());

        var second = await store.TryReserveAsync(new CounterReservation("r2", [requests, tokens], Now.AddMinutes(10)));
        Assert.False(second.Success);
        Assert.Equal(1, second.FailedIndex);
        Assert.Equal(600, second.FailedCurrent);
        // Nothing of the denied reservation was taken.
        Assert.Equal([1L, 600L], await store.ReadAsync([requests.Key, tokens.Key]));
        Assert.Equal(1, await store.OutstandingReservationsAsync());
    }

    [Fact]
    public async Task Settle_replaces_the_estimate_once_and_a_repeat_changes_nothing()
    {
        await using var redis = await ConnectFrozenAsync();
        var store = redis.Counters;
        var tokens = Charge("s", BudgetDimension.TotalTokens, 500, 1000);
        await store.TryReserveAsync(new CounterReservation("r1", [tokens], Now.AddMinutes(10)));

        Assert.Equal([120L], await SettleAsync(store, "r1", [tokens with { Amount = 120 }]));
        Assert.Equal([120L], await SettleAsync(store, "r1", [tokens with { Amount = 120 }]));
        Assert.Equal([120L], await store.ReadAsync([tokens.Key]));
        Assert.Equal(0, await store.OutstandingReservationsAsync());
    }

    [Fact]
    public async Task Expired_leases_return_to_the_budget_and_a_late_settle_counts_the_actual_usage()
    {
        await using var redis = await ConnectFrozenAsync();
        var store = redis.Counters;
        var tokens = Charge("s", BudgetDimension.TotalTokens, 500, 1000);
        await store.TryReserveAsync(new CounterReservation("gone", [tokens], Now.AddSeconds(-1)));
        await store.TryReserveAsync(new CounterReservation("late", [tokens], Now.AddSeconds(-1)));
        await store.TryReserveAsync(new CounterReservation("live", [tokens with { Amount = 0 }], Now.AddMinutes(5)));

        Assert.Equal(2, await store.ReclaimExpiredAsync(Now));
        Assert.Equal([0L], await store.ReadAsync([tokens.Key]));
        Assert.Equal([70L], await SettleAsync(store, "late", [tokens with { Amount = 70 }]));
        Assert.Equal(0, await store.ReclaimExpiredAsync(Now));
        Assert.Equal(1, await store.OutstandingReservationsAsync());
    }

    [Fact]
    public async Task Counter_keys_expire_after_their_window()
    {
        await using var redis = await ConnectFrozenAsync();
        var minute = Charge("s", BudgetDimension.Requests, 1, 10, BudgetWindow.Minute);
        await redis.Counters.TryReserveAsync(new CounterReservation("r", [minute], Now.AddMinutes(1)));
        var ttl = await redis.Connection.GetDatabase().KeyTimeToLiveAsync(redis.Counters.CounterKeyName(minute.Key));
        Assert.NotNull(ttl);
        var expected = minute.WindowEnd + redis.Options.CounterGracePeriod - DateTimeOffset.UtcNow;
        Assert.InRange(ttl!.Value.TotalSeconds, expected.TotalSeconds - 5, expected.TotalSeconds + 5);
    }

    [Fact]
    public async Task A_calendar_counter_gets_its_expiry_when_created_even_by_a_settlement_after_it_expired()
    {
        // The scripts set a calendar window's expiry only when they create the key (it never changes): check both creators.
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        var hour = Charge("s", BudgetDimension.TotalTokens, 100, 1000, BudgetWindow.Hour);
        var key = redis.Counters.CounterKeyName(hour.Key);
        var expected = (hour.WindowEnd + redis.Options.CounterGracePeriod - DateTimeOffset.UtcNow).TotalSeconds;

        await redis.Counters.TryReserveAsync(new CounterReservation("first", [hour], Now.AddMinutes(5)));
        await redis.Counters.TryReserveAsync(new CounterReservation("second", [hour], Now.AddMinutes(5)));
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value.TotalSeconds, expected - 5, expected + 5);

        await db.KeyDeleteAsync(key); // the key expired between the reservation and its settlement
        Assert.Equal([40L], await SettleAsync(redis.Counters, "first", [hour with { Amount = 140 }]));
        Assert.InRange((await db.KeyTimeToLiveAsync(key))!.Value.TotalSeconds, expected - 5, expected + 5);
        // An amount equal to what was reserved is only read.
        Assert.Equal([40L], await SettleAsync(redis.Counters, "second", [hour with { Amount = 100 }]));
    }

    [Fact]
    public async Task Scripts_called_by_their_sha1_still_run_after_the_server_forgot_them()
    {
        await using var redis = await ConnectFrozenAsync();
        var tokens = Charge("s", BudgetDimension.TotalTokens, 100, 1000);
        await redis.Counters.TryReserveAsync(new CounterReservation("a", [tokens], Now.AddMinutes(5)));
        await redis.Connection.GetDatabase().ExecuteAsync("SCRIPT", "FLUSH"); // as after a restart or a failover

        var reservation = new CounterReservation("b", [tokens], Now.AddMinutes(5));
        Assert.True((await redis.Counters.TryReserveAsync(reservation)).Success);
        Assert.Equal([200L], reservation.Values.ToArray());
        Assert.Equal([150L], await SettleAsync(redis.Counters, "a", [tokens with { Amount = 50 }]));
    }

    [Fact]
    public async Task A_reservation_of_no_counters_is_held_until_it_is_settled()
    {
        // It writes no lease (nothing to return), but it is listed as held like any other until its settlement.
        await using var redis = await ConnectFrozenAsync();
        var reservation = new CounterReservation("none", [], Now.AddMinutes(5));
        Assert.True((await redis.Counters.TryReserveAsync(reservation)).Success);
        Assert.Equal(1, await redis.Counters.OutstandingReservationsAsync());
        await redis.Counters.SettleAsync(new CounterReservation("none", [], Now));
        Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());
    }

    [Fact]
    public async Task Calls_batched_together_after_the_server_forgot_the_scripts_each_count_once()
    {
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        var tokens = Charge("s", BudgetDimension.TotalTokens, 10, 1_000_000);
        await redis.Counters.TryReserveAsync(new CounterReservation("warm", [tokens with { Amount = 0 }], Now.AddMinutes(5)));
        await db.ExecuteAsync("SCRIPT", "FLUSH");

        // 40 calls wait while every slot is held, then go as one batch: its EVALSHA finds no script and is sent again as
        // EVAL with the batch script's text. Every reservation and every settlement must count exactly once.
        var ids = Enumerable.Range(0, 40).Select(i => "b" + i).ToArray();
        Task<CounterReserveResult>[] reserves;
        using (redis.Reserves.HoldSlots(db))
        {
            reserves = ids.Select(id => redis.Counters.TryReserveAsync(new CounterReservation(id, [tokens], Now.AddMinutes(5))).AsTask()).ToArray();
        }
        Assert.All(await Task.WhenAll(reserves), r => Assert.True(r.Success));
        Assert.Equal((1L, 40L), redis.Reserves.Batched);
        Assert.Equal([400L], await redis.Counters.ReadAsync([tokens.Key]));

        await db.ExecuteAsync("SCRIPT", "FLUSH");
        Task<IReadOnlyList<long>>[] settles;
        using (redis.Settlements.HoldSlots(db))
        {
            settles = ids.Select(id => SettleAsync(redis.Counters, id, [tokens with { Amount = 3 }])).ToArray();
        }
        await Task.WhenAll(settles);
        Assert.Equal((1L, 40L), redis.Settlements.Batched);
        Assert.Equal([120L], await redis.Counters.ReadAsync([tokens.Key]));
        Assert.Equal(1, await redis.Counters.OutstandingReservationsAsync());   // "warm" alone
    }

    [Fact]
    public async Task A_reservation_id_reserved_twice_returns_both_amounts_when_it_is_settled()
    {
        await using var redis = await ConnectFrozenAsync();
        var tokens = Charge("s", BudgetDimension.TotalTokens, 100, 1000);
        // The lease is added to, not replaced: when it exists already, and when one reservation charges a counter twice.
        await redis.Counters.TryReserveAsync(new CounterReservation("twice", [tokens], Now.AddMinutes(5)));
        await redis.Counters.TryReserveAsync(new CounterReservation("twice", [tokens], Now.AddMinutes(5)));
        await redis.Counters.TryReserveAsync(new CounterReservation("twice", [tokens, tokens with { Amount = 30 }], Now.AddMinutes(5)));
        Assert.Equal([330L], await redis.Counters.ReadAsync([tokens.Key]));
        Assert.Equal([50L], await SettleAsync(redis.Counters, "twice", [tokens with { Amount = 50 }]));
    }

    [Fact]
    public async Task A_lease_holds_counter_keys_with_spaces_newlines_digits_and_non_ascii_and_returns_each_amount()
    {
        // A lease is one string of length-prefixed entries: a scope that looks like the format itself must not confuse it.
        await using var redis = await ConnectFrozenAsync();
        var odd = Charge("tenant 12 34 \n5 x é€😀", BudgetDimension.TotalTokens, 100, 1000);
        var plain = Charge("s", BudgetDimension.TotalTokens, 7, 1000);
        await redis.Counters.TryReserveAsync(new CounterReservation("odd", [odd, plain], Now.AddMinutes(5)));
        await redis.Counters.TryReserveAsync(new CounterReservation("odd-gone", [odd, plain], Now.AddSeconds(-1)));
        Assert.Equal([200L, 14L], await redis.Counters.ReadAsync([odd.Key, plain.Key]));

        Assert.Equal(1, await redis.Counters.ReclaimExpiredAsync(Now));
        Assert.Equal([100L, 7L], await redis.Counters.ReadAsync([odd.Key, plain.Key]));
        Assert.Equal([60L, 3L], await SettleAsync(redis.Counters, "odd", [odd with { Amount = 60 }, plain with { Amount = 3 }]));
    }

    // The layout before issue 16's change, written here as that version's scripts wrote it: a lease was a hash at l:<id> of
    // counter key → amount in the "leases" zset (scored by its expiry), and a settled id was marked with 1 at s:<id>.
    private static async Task ReserveAsPreviousVersionAsync(GuardedAIRedis redis, string id, CounterCharge charge, DateTimeOffset expiresAt)
    {
        var db = redis.Connection.GetDatabase();
        var prefix = redis.Options.KeyPrefix;
        var counter = redis.Counters.CounterKeyName(charge.Key);
        await db.StringIncrementAsync(counter, charge.Amount);
        await db.HashSetAsync(prefix + "l:" + id, counter, charge.Amount);
        await db.SortedSetAddAsync(prefix + "leases", prefix + "l:" + id, expiresAt.ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task During_a_rolling_upgrade_leases_and_settled_ids_of_the_previous_layout_count_once()
    {
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        var store = redis.Counters;
        var tokens = Charge("s", BudgetDimension.TotalTokens, 100, 1000);

        // Reserved by the previous version, settled by this one: the old lease's amount is replaced by the actual one.
        await ReserveAsPreviousVersionAsync(redis, "old-live", tokens, Now.AddMinutes(5));
        // Reserved by the previous version whose instance crashed: this version's sweep returns it.
        await ReserveAsPreviousVersionAsync(redis, "old-crashed", tokens, Now.AddSeconds(-1));
        // Reserved and settled by the previous version: its marker says settled, so a replay here changes nothing.
        await db.StringIncrementAsync(store.CounterKeyName(tokens.Key), 40);
        await db.StringSetAsync(redis.Options.KeyPrefix + "s:old-settled", "1", TimeSpan.FromHours(2));
        Assert.Equal([240L], await store.ReadAsync([tokens.Key]));
        Assert.Equal(2, await store.OutstandingReservationsAsync());

        Assert.Equal([165L], await SettleAsync(store, "old-live", [tokens with { Amount = 25 }]));
        Assert.False(await db.KeyExistsAsync(redis.Options.KeyPrefix + "l:old-live"));
        Assert.Equal(1, await store.ReclaimExpiredAsync(Now));
        Assert.Equal([65L], await store.ReadAsync([tokens.Key]));
        Assert.Equal([65L], await SettleAsync(store, "old-settled", [tokens with { Amount = 40 }]));
        Assert.Equal([65L], await SettleAsync(store, "old-live", [tokens with { Amount = 25 }]));
        Assert.Equal(0, await store.OutstandingReservationsAsync());

        // And the other way: an id this version settled reads as settled to the previous version (its marker key holds 1).
        await store.TryReserveAsync(new CounterReservation("new", [tokens], Now.AddMinutes(5)));
        await SettleAsync(store, "new", [tokens with { Amount = 10 }]);
        Assert.Equal("1", (string?)await db.StringGetAsync(redis.Options.KeyPrefix + "s:new"));
    }

    [Fact]
    public async Task Four_engines_with_64_callers_each_never_exceed_a_limit_and_counters_equal_the_records()
    {
        var prefix = RedisFixture.NewPrefix();
        var policy = BudgetPolicy.Create("shared")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 300)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 30_000)
            .WithBreaker(BreakerSettings.Default with { TripOnThreshold = false })
            .Build();
        var engines = new List<(BudgetEngine Engine, InMemoryUsageLedger Ledger)>();
        for (var i = 0; i < 4; i++)
        {
            var redis = await fixture.ConnectAsync(prefix);
            var ledger = new InMemoryUsageLedger();
            var options = new BudgetEngineOptions { LogAlerts = false, Ledger = ledger, Policies = { policy } };
            redis.ApplyTo(options);
            options.OwnedResources.Add(redis);
            engines.Add((await BudgetEngine.CreateAsync(options), ledger));
        }
        var denied = 0;
        await Task.WhenAll(engines.SelectMany(e => Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                try
                {
                    var r = await e.Engine.ReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 60, 60, 0));
                    await e.Engine.CommitAsync(r, new TokenUsage(60, 1 + (c + i) % 60));
                }
                catch (BudgetExceededException ex) when (ex.Kind == DenialKind.WindowLimit)
                {
                    Interlocked.Increment(ref denied);
                }
            }
        }))));

        var committed = engines.SelectMany(e => e.Ledger.Snapshot()).Where(r => r.Status == UsageStatus.Success).ToList();
        var usage = await engines[0].Engine.GetUsageAsync(policy);
        Assert.True(denied > 0, "the budget was meant to run out");
        Assert.Equal(committed.Count, usage.Single(u => u.Limit.Dimension == BudgetDimension.Requests).Used);
        Assert.Equal(committed.Sum(r => r.TotalTokens), usage.Single(u => u.Limit.Dimension == BudgetDimension.TotalTokens).Used);
        Assert.All(usage, u => Assert.True(u.Used <= u.Limit.Amount, $"{u.Limit} is at {u.Used}"));
        foreach (var (engine, _) in engines) await engine.DisposeAsync();
    }

    [Fact]
    public async Task A_redis_that_refuses_scripts_fails_the_start_with_a_clear_error_that_hides_the_password()
    {
        var admin = await ConnectionMultiplexer.ConnectAsync(fixture.Server.Configuration);
        const string password = "s3cret-Pa55word-xyz";
        await admin.GetDatabase().ExecuteAsync("ACL", "SETUSER", "noscripts", "on", ">" + password, "~*", "&*", "+@all", "-@scripting");
        await admin.DisposeAsync();

        var error = await Assert.ThrowsAsync<RedisScriptingUnavailableException>(() => GuardedAIRedis.ConnectAsync(new RedisStoreOptions
        {
            Configuration = $"{fixture.Server.Configuration},user=noscripts,password={password}",
        }));
        Assert.Contains("refuses Lua scripts", error.Message);
        Assert.Contains("per-instance", error.Message);
        Assert.DoesNotContain(password, error.ToString());
    }

    [Fact]
    public async Task An_unreachable_redis_never_hangs_a_call_and_the_error_hides_the_password()
    {
        const string password = "another-S3cret";
        var sink = new RecordingAlertSink();
        var started = DateTime.UtcNow;
        await using var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions
        {
            Configuration = $"127.0.0.1:1,password={password}",
            ConnectTimeout = TimeSpan.FromMilliseconds(300),
            OperationTimeout = TimeSpan.FromMilliseconds(300),
        });
        var options = new BudgetEngineOptions { LogAlerts = false, AlertSinks = { sink } };
        redis.ApplyTo(options);
        await using var engine = await BudgetEngine.CreateAsync(options);
        var policy = BudgetPolicy.Create("p").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 5).Build();
        var denial = await Assert.ThrowsAsync<BudgetExceededException>(() => engine.ReserveAsync(policy, new UsageEstimate(null, 1, 1, 0)).AsTask());
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(8), "connecting and one call must be bounded by the timeouts");
        Assert.Equal(DenialKind.StoreUnavailable, denial.Kind);
        Assert.Contains("down", denial.Message);
        await engine.Alerts.FlushAsync();
        var alert = Assert.Single(sink.Alerts, a => a.Level == AlertLevel.StoreUnavailable);
        Assert.DoesNotContain(password, alert.Message);
        Assert.DoesNotContain(password, denial.ToString());
    }

    [Fact]
    public async Task Breaker_state_and_alert_dedup_are_shared_between_instances()
    {
        var prefix = RedisFixture.NewPrefix();
        var sinks = new[] { new RecordingAlertSink(), new RecordingAlertSink() };
        var engines = new List<BudgetEngine>();
        var policy = BudgetPolicy.Create("b").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        foreach (var sink in sinks)
        {
            var redis = await fixture.ConnectAsync(prefix);
            var options = new BudgetEngineOptions { LogAlerts = false, AlertSinks = { sink }, BreakerSyncInterval = TimeSpan.FromMilliseconds(50), Policies = { policy } };
            redis.ApplyTo(options);
            options.OwnedResources.Add(redis);
            engines.Add(await BudgetEngine.CreateAsync(options));
        }

        engines[0].Breakers.Get("b").Trip("maintenance", TimeSpan.FromMinutes(5));
        await engines[0].Breakers.FlushAsync();
        await Eventually.TrueAsync(() => engines[1].Breakers.Get("b").State == CircuitBreakerState.Open, TimeSpan.FromSeconds(10), "instance 2 sees the open breaker");
        var denial = await Assert.ThrowsAsync<BudgetExceededException>(() => engines[1].ReserveAsync(policy, new UsageEstimate(null, 1, 1, 0)).AsTask());
        Assert.Equal(DenialKind.BreakerOpen, denial.Kind);
        Assert.Contains("maintenance", denial.Message);

        // A restarted instance starts with the shared state too.
        var redis3 = await fixture.ConnectAsync(prefix);
        var options3 = new BudgetEngineOptions { LogAlerts = false };
        redis3.ApplyTo(options3);
        options3.OwnedResources.Add(redis3);
        await using (var third = await BudgetEngine.CreateAsync(options3))
        {
            Assert.Equal(CircuitBreakerState.Open, third.Breakers.Get("b").State);
        }

        engines[1].Breakers.Get("b").Reset();
        await engines[1].Breakers.FlushAsync();
        await Eventually.TrueAsync(() => engines[0].Breakers.Get("b").State == CircuitBreakerState.Closed, TimeSpan.FromSeconds(10), "instance 1 sees the reset");

        // 8 of 10 requests, 4 through each instance: the warning (70%) fires once in all, not once per instance.
        for (var i = 0; i < 8; i++)
        {
            var r = await engines[i % 2].ReserveAsync(policy, new UsageEstimate(null, 1, 1, 0));
            await engines[i % 2].CommitAsync(r, new TokenUsage(1, 1));
        }
        foreach (var engine in engines) await engine.Alerts.FlushAsync();
        Assert.Equal(1, sinks.Sum(s => s.Alerts.Count(a => a.Level == AlertLevel.Warning)));
        Assert.True(engines.Sum(e => e.Alerts.SuppressedByOtherInstances) >= 1);
        foreach (var engine in engines) await engine.DisposeAsync();
    }

    [Fact]
    public async Task AddGuardedAI_with_redis_counters_and_a_sqlite_ledger_builds_an_engine_on_both()
    {
        using var dir = new TempDirectory();
        var prefix = RedisFixture.NewPrefix();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Redis:Configuration"] = fixture.Server.Configuration,
            ["GuardedAI:Redis:KeyPrefix"] = prefix,
            ["GuardedAI:Sqlite:Path"] = dir.File("ledger.db"),
            ["GuardedAI:Budgets:support:DailyRequests"] = "100",
        }).Build();
        var collection = new ServiceCollection();
        collection.AddGuardedAI(configuration).AddSqliteLedger().AddRedisCounters();
        var services = collection.BuildServiceProvider();
        // Connecting and restoring are asynchronous: before the host starts, the engine cannot be resolved.
        Assert.Contains("GetGuardedAIEngineAsync", Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<BudgetEngine>()).Message);
        var engine = await services.GetGuardedAIEngineAsync();
        Assert.Same(engine, services.GetRequiredService<BudgetEngine>());
        Assert.IsType<RedisBudgetCounterStore>(engine.Store);
        Assert.IsType<SqliteUsageLedger>(engine.Ledger);
        var policy = engine.GetPolicy("support")!;
        var r = await engine.ReserveAsync(policy, new UsageEstimate(null, 1, 1, 0));
        await engine.CommitAsync(r, new TokenUsage(1, 1));
        var db = ((RedisBudgetCounterStore)engine.Store);
        var key = new CounterKey("support", BudgetDimension.Requests, BudgetWindow.Day, WindowCalendar.Start(BudgetWindow.Day, DateTimeOffset.UtcNow, TimeZoneInfo.Utc));
        Assert.Equal([1L], await db.ReadAsync([key]));
        await engine.DisposeAsync();
        await services.DisposeAsync();

        var missing = new ServiceCollection();
        missing.AddGuardedAI(configuration).AddSqliteLedger();
        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(() => missing.BuildServiceProvider().GetGuardedAIEngineAsync());
        Assert.Equal("GuardedAI:Redis", Assert.Single(error.Errors).Path);
        Assert.Contains(".AddRedisCounters()", error.Message);
    }
}
