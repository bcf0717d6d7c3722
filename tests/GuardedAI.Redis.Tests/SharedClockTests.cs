using Microsoft.Extensions.Logging;

namespace GuardedAI.Redis.Tests;

/// <summary>
/// One clock for every instance: two engines on one real Redis whose own clocks are 30 s apart agree on the windows and
/// lease expiry of the Redis server's clock. The server's clock is driven through the test-only clock key (the scripts
/// read it in place of TIME), so the run can cross midnight, the end of a month and minute boundaries on demand.
/// </summary>
[Collection("redis")]
public class SharedClockTests(RedisFixture fixture)
{
    private const string ClockKey = "test:server-now";
    private static readonly DateTimeOffset Start = new(2030, 3, 31, 23, 58, 50, TimeSpan.Zero);

    private static BudgetPolicy Policy() => BudgetPolicy.Create("shared").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 5)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 8)
        .WithLimit(BudgetDimension.Requests, BudgetWindow.Month, 1000)
        .Build();

    [Fact]
    public async Task Engines_thirty_seconds_apart_never_let_a_window_of_the_server_clock_admit_more_than_its_limit()
    {
        var prefix = RedisFixture.NewPrefix();
        using var server = new ServerClock(fixture, prefix);
        await server.SetAsync(Start);
        var behind = new FakeTimeProvider(Start - TimeSpan.FromSeconds(15));
        var ahead = new FakeTimeProvider(Start + TimeSpan.FromSeconds(15));
        var logs = new ListLogger();
        var (engineBehind, redisBehind) = await StartAsync(prefix, behind, null);
        var (engineAhead, redisAhead) = await StartAsync(prefix, ahead, logs);
        await using var _ = engineBehind;
        await using var __ = engineAhead;
        var policy = Policy();

        // Both engines call every second of server time from 23:58:50 to 00:00:12. The ahead instance's own clock
        // wobbles (0.8 s, 1.2 s steps), so its measured offset is a little stale at times and the server refuses a
        // window near a boundary; the engine then counts the call in the server's window.
        var admitted = new List<DateTimeOffset>();
        for (var step = 0; step < 82; step++)
        {
            var now = await server.GetAsync();
            foreach (var engine in new[] { engineBehind, engineAhead })
            {
                var lease = await engine.TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0));
                if (!lease.IsAcquired) continue;
                await lease.CommitAsync(new TokenUsage(10, 5));
                admitted.Add(now);
            }
            await server.SetAsync(now + TimeSpan.FromSeconds(1));
            behind.Advance(TimeSpan.FromSeconds(1));
            ahead.Advance(TimeSpan.FromMilliseconds(step % 2 == 0 ? 800 : 1200));
        }

        var byMinute = admitted.GroupBy(t => WindowCalendar.Start(BudgetWindow.Minute, t, TimeZoneInfo.Utc)).ToDictionary(g => g.Key, g => g.Count());
        var byDay = admitted.GroupBy(t => WindowCalendar.Start(BudgetWindow.Day, t, TimeZoneInfo.Utc)).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(byMinute.Values, count => Assert.InRange(count, 0, 5));
        Assert.All(byDay.Values, count => Assert.InRange(count, 0, 8));
        // Not vacuous: the limits were reached on both sides of midnight, by the server's calendar.
        Assert.Equal(5, byMinute[new DateTimeOffset(2030, 3, 31, 23, 58, 0, TimeSpan.Zero)]);
        Assert.Equal(8, byDay[new DateTimeOffset(2030, 3, 31, 0, 0, 0, TimeSpan.Zero)]);
        Assert.Equal(5, byMinute[new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero)]);
        Assert.Equal(5, byDay[new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero)]);

        // The counters in Redis say the same: the new day's and the new month's counters hold only the new day's calls.
        var april = new CounterKey("shared", BudgetDimension.Requests, BudgetWindow.Month, new DateTimeOffset(2030, 4, 1, 0, 0, 0, TimeSpan.Zero));
        var march = april with { WindowStart = new DateTimeOffset(2030, 3, 1, 0, 0, 0, TimeSpan.Zero) };
        Assert.Equal([8L, 5L], await redisBehind.Counters.ReadAsync([march, april]));

        // Each instance knows and reports how far off it is.
        Assert.Equal(TimeSpan.FromSeconds(-15), redisBehind.ClockSkew);
        Assert.InRange(redisAhead.ClockSkew!.Value.TotalSeconds, 14.7, 15.3);
        Assert.Contains(logs.Entries, e => e.Id == 1502);
    }

    [Fact]
    public async Task Leases_expire_by_the_server_clock_whatever_the_instances_clocks_say()
    {
        var prefix = RedisFixture.NewPrefix();
        using var server = new ServerClock(fixture, prefix);
        var at = new DateTimeOffset(2030, 6, 1, 12, 0, 0, TimeSpan.Zero);
        await server.SetAsync(at);
        var behind = new FakeTimeProvider(at - TimeSpan.FromSeconds(15));
        var ahead = new FakeTimeProvider(at + TimeSpan.FromSeconds(15));
        var (engineBehind, redisBehind) = await StartAsync(prefix, behind, null, TimeSpan.FromSeconds(60));
        var (engineAhead, redisAhead) = await StartAsync(prefix, ahead, null, TimeSpan.FromSeconds(60));
        await using var _ = engineBehind;
        await using var __ = engineAhead;
        var policy = Policy();

        // The instance whose clock is behind reserves and never settles (as if it crashed).
        var orphan = await engineBehind.TryReserveAsync(policy, new UsageEstimate("gpt-4o-mini", 10, 10, 0));
        Assert.True(orphan.IsAcquired);
        Assert.Equal(at + TimeSpan.FromSeconds(60), orphan.ExpiresAt);
        var dayKey = new CounterKey("shared", BudgetDimension.Requests, BudgetWindow.Day, new DateTimeOffset(2030, 6, 1, 0, 0, 0, TimeSpan.Zero));

        // 59 s later by the server the lease holds, although the ahead instance's own clock is already 74 s past,
        // beyond the lease as the behind instance's clock would have set it, and whatever `now` a sweep passes.
        await server.SetAsync(at + TimeSpan.FromSeconds(59));
        ahead.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(0, await redisAhead.Counters.ReclaimExpiredAsync(ahead.GetUtcNow() + TimeSpan.FromDays(1)));
        Assert.Equal([1L], await redisAhead.Counters.ReadAsync([dayKey]));

        // Just past 60 s by the server it is returned, by either instance's sweep.
        await server.SetAsync(at + TimeSpan.FromSeconds(60.001));
        Assert.Equal(1, await redisBehind.Counters.ReclaimExpiredAsync(DateTimeOffset.UnixEpoch));
        Assert.Equal([0L], await redisAhead.Counters.ReadAsync([dayKey]));
        await orphan.CancelAsync("test over");
    }

    [Fact]
    public async Task A_store_called_with_windows_of_a_wrong_clock_refuses_them_and_names_the_server_time()
    {
        var prefix = RedisFixture.NewPrefix();
        using var server = new ServerClock(fixture, prefix);
        var midnight = new DateTimeOffset(2030, 1, 2, 0, 0, 0, TimeSpan.Zero);
        await server.SetAsync(midnight + TimeSpan.FromSeconds(3));
        await using var redis = await fixture.ConnectAsync(prefix, ClockKey);
        var yesterday = midnight.AddDays(-1);
        var stale = new CounterCharge(new CounterKey("s", BudgetDimension.Requests, BudgetWindow.Day, yesterday), 1, 10, midnight);

        var refused = await redis.Counters.TryReserveAsync(new CounterReservation("r1", [stale], midnight.AddMinutes(1)));

        Assert.False(refused.Success);
        Assert.Equal(midnight + TimeSpan.FromSeconds(3), refused.StoreTime);
        Assert.Equal([0L], await redis.Counters.ReadAsync([stale.Key]));
        Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());
        var current = stale with { Key = stale.Key with { WindowStart = midnight }, WindowEnd = midnight.AddDays(1) };
        Assert.True((await redis.Counters.TryReserveAsync(new CounterReservation("r2", [current], midnight.AddMinutes(1)))).Success);
    }

    private async Task<(BudgetEngine Engine, GuardedAIRedis Redis)> StartAsync(string prefix, TimeProvider local, ILogger? logger, TimeSpan? lease = null)
    {
        var redis = await GuardedAIRedis.ConnectAsync(new RedisStoreOptions { Configuration = fixture.Server.Configuration, KeyPrefix = prefix, TestServerClockKey = ClockKey }, logger);
        var options = new BudgetEngineOptions { LogAlerts = false, TimeProvider = local, Policies = { Policy() }, ReservationLease = lease };
        redis.ApplyTo(options);
        options.OwnedResources.Add(redis);
        await redis.SynchronizeClockAsync();
        return (await BudgetEngine.CreateAsync(options), redis);
    }

    /// <summary>The Redis server's clock as the scripts see it: the test clock key.</summary>
    private sealed class ServerClock(RedisFixture fixture, string prefix) : IDisposable
    {
        private readonly StackExchange.Redis.ConnectionMultiplexer _connection = StackExchange.Redis.ConnectionMultiplexer.Connect(fixture.Server.Configuration);

        private StackExchange.Redis.IDatabase Db => _connection.GetDatabase();

        public void Dispose() => _connection.Dispose();

        public async Task SetAsync(DateTimeOffset time) => await Db.StringSetAsync(prefix + ClockKey, time.ToUnixTimeMilliseconds());

        public async Task<DateTimeOffset> GetAsync() => DateTimeOffset.FromUnixTimeMilliseconds((long)await Db.StringGetAsync(prefix + ClockKey));
    }
}

/// <summary>Collects log entries (event id and message) for assertions.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(int Id, string Message)> _entries = new();

    public IReadOnlyList<(int Id, string Message)> Entries { get { lock (_entries) return _entries.ToArray(); } }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_entries) _entries.Add((eventId.Id, formatter(state, exception)));
    }
}
