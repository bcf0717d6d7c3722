using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.Tests;

/// <summary>
/// The SQLite ledger's write-ahead log is copied back into the file by a second connection after the writer commits
/// (<see cref="SqliteLedgerOptions.BackgroundCheckpoints"/>), so the writer does not stop for it.
/// </summary>
public class SqliteBackgroundCheckpointTests
{
    // ~600 KB of records: ~150 pages of log, far below the 1,000 pages at which SQLite would checkpoint on the writer.
    private const int Records = 2000;

    private static UsageRecord Record(int n) => new()
    {
        Id = "cp-" + n.ToString("D6", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = TestEngine.Start.AddSeconds(n),
        Budget = "b",
        Tenant = "tenant-" + (n % 50),
        Provider = "openai",
        Model = "gpt-4o-mini",
        InputTokens = 500 + n % 700,
        OutputTokens = 100 + n % 300,
        CostUsd = 0.00042m,
        UsageReported = true,
        Status = UsageStatus.Success,
    };

    private static async Task AppendAsync(SqliteUsageLedger ledger)
    {
        for (var i = 0; i < Records; i++) await ledger.AppendAsync(Record(i));
        await ledger.FlushAsync();
    }

    private static long FileLength(string path) => new FileInfo(path).Length;

    [Fact]
    public async Task The_log_is_copied_into_the_file_by_the_background_connection()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched });
        var before = FileLength(path);

        await AppendAsync(ledger);

        // The checkpoint follows the commit on its own connection: wait (bounded) for the file to take the records and
        // the checkpoint to return (the file grows while it runs, before it is counted).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((FileLength(path) < before + 300_000 || ledger.BackgroundCheckpointCount == 0) && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.True(FileLength(path) >= before + 300_000, $"the file stayed at {FileLength(path):N0} bytes (was {before:N0}) with {Records:N0} records in the log");
        Assert.True(ledger.BackgroundCheckpointCount > 0);
        Assert.Equal(Records, (await ledger.ReadAllAsync(UsageQuery.All)).Count);
    }

    [Fact]
    public async Task Without_it_the_log_keeps_the_records_until_SQLite_checkpoints_on_the_writer()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, BackgroundCheckpoints = false });
        var before = FileLength(path);

        await AppendAsync(ledger);

        // Below SQLite's 1,000 pages nothing checkpoints: the records are in the log only.
        Assert.Equal(before, FileLength(path));
        Assert.True(FileLength(path + "-wal") > 300_000);
        Assert.Equal(0, ledger.BackgroundCheckpointCount);
        Assert.Equal(Records, (await ledger.ReadAllAsync(UsageQuery.All)).Count);
    }

    [Fact]
    public async Task Closing_the_ledger_closes_both_connections_and_removes_the_log()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched });
        await AppendAsync(ledger);
        await ledger.DisposeAsync();

        // SQLite removes the log when its last connection closes: a checkpointer left open would keep it.
        Assert.False(File.Exists(path + "-wal"));
        await using var reopened = new SqliteUsageLedger(path);
        Assert.Equal(Records, (await reopened.ReadAllAsync(UsageQuery.All)).Count);
    }

    [Fact]
    public async Task The_writer_keeps_its_own_checkpoint_as_a_backstop_and_keeps_SQLites_when_no_second_connection_opens()
    {
        using var dir = new TempDirectory();
        var path = dir.File("ledger.db");
        using var writer = SqliteSchema.Open(path, synchronousFull: false);
        Assert.Equal("1000", SqliteSchema.Scalar(writer, "PRAGMA wal_autocheckpoint;"));

        // A file that is not there cannot be opened read-write without creating it: no checkpointer, the writer as it was.
        Assert.Null(SqliteWalCheckpointer.Start(writer, dir.File("missing.db"), NullLogger.Instance));
        Assert.Equal("1000", SqliteSchema.Scalar(writer, "PRAGMA wal_autocheckpoint;"));
        Assert.False(File.Exists(dir.File("missing.db")));

        var checkpointer = SqliteWalCheckpointer.Start(writer, path, NullLogger.Instance);
        Assert.NotNull(checkpointer);
        Assert.Equal(SqliteWalCheckpointer.WriterBackstopPages.ToString(System.Globalization.CultureInfo.InvariantCulture), SqliteSchema.Scalar(writer, "PRAGMA wal_autocheckpoint;"));
        await checkpointer.DisposeAsync();
    }

    [Fact]
    public async Task Configuration_can_turn_it_off_and_rejects_a_value_that_is_not_a_boolean()
    {
        using var dir = new TempDirectory();
        ServiceProvider Host(string value) => new ServiceCollection().AddGuardedAI(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["GuardedAI:Sqlite:Path"] = dir.File("configured.db"),
            ["GuardedAI:Sqlite:Durability"] = "Batched",
            ["GuardedAI:Sqlite:BackgroundCheckpoints"] = value,
        }).Build(), o => o.LogAlerts = false).AddSqliteLedger().BuildServiceProvider();

        await using (var off = Host("false"))
        {
            var ledger = Assert.IsType<SqliteUsageLedger>((await off.GetGuardedAIEngineAsync()).Ledger);
            await AppendAsync(ledger);
            Assert.Equal(0, ledger.BackgroundCheckpointCount);
        }

        await using var wrong = Host("sometimes");
        var error = await Assert.ThrowsAsync<GuardedAIConfigurationException>(async () => await wrong.GetGuardedAIEngineAsync());
        Assert.Contains(error.Errors, e => e.Path == "GuardedAI:Sqlite:BackgroundCheckpoints");
    }
}
