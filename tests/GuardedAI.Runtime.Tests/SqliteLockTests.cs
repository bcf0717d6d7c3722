using GuardedAI.Sqlite;
using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests;

/// <summary>
/// Another connection holds the ledger file with <c>BEGIN EXCLUSIVE</c> (real SQLite, real locks): start-up fails in
/// bounded time saying so, no call waits longer than the busy timeout, the outage is a store-down condition with its
/// alert and fail mode, and every record is written once the file is free.
/// </summary>
public class SqliteLockTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Start_up_on_a_locked_file_fails_in_bounded_time_saying_the_file_is_locked()
    {
        using var dir = new TempDirectory();
        var path = dir.File("locked.db");
        await new SqliteUsageLedger(path).DisposeAsync();
        using var locker = ExclusiveLock.Hold(path);

        var watch = Stopwatch.StartNew();
        var error = Assert.Throws<InvalidOperationException>(() => new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(300) }));

        Assert.True(watch.Elapsed < Bound, $"start-up waited {watch.Elapsed}");
        Assert.Contains("is locked by another connection or process", error.Message);
        Assert.Contains("GuardedAI:Sqlite:BusyTimeoutMs", error.Message);
        Assert.DoesNotContain("Is it a SQLite database", error.Message);
    }

    [Fact]
    public async Task A_locked_ledger_stalls_no_call_fails_closed_with_an_alert_and_loses_no_record()
    {
        using var dir = new TempDirectory();
        var (services, engine, clock, alerts) = await Start(dir.File("ledger.db"), StoreFailureMode.FailClosed);
        await using var _ = services;
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient(), engine, engine.GetPolicy("bot")!);
        var ledger = (SqliteUsageLedger)engine.Ledger;
        await client.GetResponseAsync("before the lock");
        // Its record written first: the writer must find the file locked on the next call's record, not on this one's,
        // which on a loaded machine could still be on its way when the lock is taken.
        await ledger.FlushAsync().WaitAsync(Bound);

        using (ExclusiveLock.Hold(ledger.Path))
        {
            var watch = Stopwatch.StartNew();
            await client.GetResponseAsync("while locked").WaitAsync(Bound);
            var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("denied while locked").WaitAsync(Bound));
            Assert.True(watch.Elapsed < Bound, $"two calls took {watch.Elapsed}");

            Assert.Equal(DenialKind.StoreUnavailable, denied.Kind);
            Assert.False(ledger.IsAvailable);
            Assert.Contains("locked", ledger.UnavailableReason);
            await engine.Alerts.FlushAsync();
            Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreUnavailable && a.Message.Contains("locked"));
        }

        await ledger.FlushAsync().WaitAsync(Bound);   // the writer retries until the file is free
        Assert.True(ledger.IsAvailable);
        clock.Advance(engine.Parts.StoreRetryInterval);
        await client.GetResponseAsync("after the lock");
        await engine.Alerts.FlushAsync();

        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreRecovered);
        var records = await ledger.ReadAllAsync(UsageQuery.All);
        // Nothing lost: the three calls, and the call denied while the file was locked (recorded once it was free).
        Assert.Equal(4, records.Count);
        Assert.Equal(3, records.Count(r => r.Status == UsageStatus.Success));
        Assert.Single(records, r => r.Status == UsageStatus.Denied && r.Reason!.Contains("store"));
        Assert.Equal(3, (await engine.GetUsageAsync(engine.GetPolicy("bot")!)).Single().Used);
    }

    [Fact]
    public async Task A_locked_ledger_fails_open_when_configured_and_writes_every_record_when_free()
    {
        using var dir = new TempDirectory();
        var (services, engine, _, alerts) = await Start(dir.File("open.db"), StoreFailureMode.FailOpen);
        await using var _ = services;
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient(), engine, engine.GetPolicy("bot")!);
        var ledger = (SqliteUsageLedger)engine.Ledger;

        using (ExclusiveLock.Hold(ledger.Path))
        {
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < 5; i++) await client.GetResponseAsync($"call {i}").WaitAsync(Bound);
            Assert.True(watch.Elapsed < Bound, $"five calls took {watch.Elapsed}");
            // The records wait in memory, and reads see them.
            Assert.Equal(5, (await ledger.ReadAllAsync(UsageQuery.All).AsTask().WaitAsync(Bound)).Count);
            Assert.Equal(5, ledger.PendingCount);
        }

        await ledger.FlushAsync().WaitAsync(Bound);
        await engine.Alerts.FlushAsync();
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.StoreUnavailable && a.Message.Contains("Failing open"));
        Assert.Equal(0, ledger.PendingCount);
        await using var reader = new SqliteConnection($"Data Source={ledger.Path};Mode=ReadOnly;Pooling=False");
        reader.Open();
        using var count = reader.CreateCommand();
        count.CommandText = "SELECT count(*) FROM usage_records";
        Assert.Equal(5L, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public async Task Records_a_locked_file_refuses_until_shutdown_are_kept_and_written_at_the_next_start()
    {
        using var dir = new TempDirectory();
        var path = dir.File("shutdown.db");
        var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, BusyTimeout = TimeSpan.FromMilliseconds(200) });
        using (ExclusiveLock.Hold(path))
        {
            for (var i = 0; i < 3; i++) await ledger.AppendAsync(Record($"kept-{i}")).AsTask().WaitAsync(Bound);
            await ledger.DisposeAsync().AsTask().WaitAsync(Bound);
        }
        Assert.True(File.Exists(path + ".pending.jsonl"));

        await using var reopened = new SqliteUsageLedger(path);

        Assert.Equal(["kept-0", "kept-1", "kept-2"], (await reopened.ReadAllAsync(UsageQuery.All)).Select(r => r.Id).Order(StringComparer.Ordinal));
        Assert.False(File.Exists(path + ".pending.jsonl"));
    }

    private static async Task<(ServiceProvider Services, BudgetEngine Engine, FakeTimeProvider Clock, RecordingAlertSink Alerts)> Start(string path, StoreFailureMode mode)
    {
        var clock = new FakeTimeProvider(TestEngine.Start);
        var alerts = new RecordingAlertSink();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Sqlite:Path"] = path,
            ["GuardedAI:Sqlite:BusyTimeoutMs"] = "300",
            ["GuardedAI:StoreFailureMode"] = mode.ToString(),
            ["GuardedAI:Budgets:bot:Model"] = "gpt-4o-mini",
            ["GuardedAI:Budgets:bot:DailyRequests"] = "100",
        }).Build();
        var services = new ServiceCollection().AddSingleton<TimeProvider>(clock)
            .AddGuardedAI(configuration, o => { o.LogAlerts = false; o.AlertSinks.Add(alerts); }).AddSqliteLedger().BuildServiceProvider();
        return (services, await services.GetGuardedAIEngineAsync(), clock, alerts);
    }

    private static UsageRecord Record(string id) => new() { Id = id, Timestamp = TestEngine.Start, Budget = "b", Status = UsageStatus.Success, InputTokens = 1 };

    /// <summary>A second connection holding the file's write lock, as another process would.</summary>
    private sealed class ExclusiveLock : IDisposable
    {
        private readonly SqliteConnection _connection;

        private ExclusiveLock(string path)
        {
            _connection = new SqliteConnection($"Data Source={path};Pooling=False");
            _connection.Open();
            using var begin = _connection.CreateCommand();
            begin.CommandText = "BEGIN EXCLUSIVE;";
            begin.ExecuteNonQuery();
        }

        public static ExclusiveLock Hold(string path) => new(path);

        public void Dispose()
        {
            using (var rollback = _connection.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK;";
                rollback.ExecuteNonQuery();
            }
            _connection.Dispose();
        }
    }
}
