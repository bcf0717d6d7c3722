using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Tests;

/// <summary>
/// The ledger's writer sums each batch in memory and upserts the hourly and daily rollups once per group
/// (<c>SqliteBatchRollup</c>); the rollups must be exactly what <c>SqliteRollup.CatchUp</c> computes from the records
/// themselves. Every column is compared (<c>SELECT *</c>), so a column added to the rollups and not kept by the writer fails here.
/// </summary>
public class RollupParityTests
{
    private static readonly DateTimeOffset Start = new(2030, 3, 31, 22, 10, 0, TimeSpan.Zero);

    private static UsageRecord Record(int i) => new()
    {
        Id = "p" + (i % 180), // later batches repeat ids: those are skipped and must not be rolled up twice
        Timestamp = Start.AddMinutes(i * 7 % 300),
        Budget = i % 3 == 0 ? "support" : "search",
        Tenant = i % 4 == 0 ? null : "t" + i % 5,
        Provider = i % 7 == 0 ? null : "openai",
        Model = i % 6 == 0 ? null : i % 2 == 0 ? "gpt-4o" : "gpt-4o-mini",
        InputTokens = 100 + i,
        OutputTokens = 7 * i,
        CachedInputTokens = i % 3,
        ReasoningTokens = i % 11,
        ReservedInputTokens = 120 + i,
        ReservedOutputTokens = 256,
        ReservedCostUsd = 0.0031m + i / 1_000_000m,
        CostUsd = 0.00123m * (i % 13) + 0.0000001m,
        UsageReported = i % 5 != 0,
        Duration = TimeSpan.FromMilliseconds(300 + i),
        Status = i % 9 == 0 ? UsageStatus.Failed : UsageStatus.Success,
        PriceTableVersion = i % 8 == 0 ? null : "2030-01",
    };

    private static List<string> Rows(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table} ORDER BY 1, 2, 3, 4, 5, 6, 7;";
        using var reader = command.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read()) rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => $"{reader.GetName(i)}={reader.GetValue(i)}")));
        return rows;
    }

    [Fact]
    public async Task The_rollups_the_writer_keeps_per_batch_equal_those_recomputed_from_the_records()
    {
        using var dir = new TempDirectory();
        var path = dir.File("parity.db");
        await using (var ledger = new SqliteUsageLedger(new SqliteLedgerOptions { Path = path, Durability = LedgerDurability.Batched, BatchSize = 37 }))
        {
            for (var i = 0; i < 400; i++) await ledger.AppendAsync(Record(i));
        }

        using var connection = SqliteSchema.Open(path, synchronousFull: false);
        var hourly = Rows(connection, "usage_hourly");
        var daily = Rows(connection, "usage_daily");
        Assert.True(hourly.Count > 10 && daily.Count > 4, $"{hourly.Count} hourly and {daily.Count} daily rows: the records should span several groups");

        using (var reset = connection.CreateCommand())
        {
            reset.CommandText = "DELETE FROM usage_hourly; DELETE FROM usage_daily; UPDATE rollup_state SET last_seq = 0 WHERE name = 'usage_hourly';";
            reset.ExecuteNonQuery();
        }
        Assert.Equal(180, SqliteRollup.CatchUp(connection));

        Assert.Equal(hourly, Rows(connection, "usage_hourly"));
        Assert.Equal(daily, Rows(connection, "usage_daily"));
    }
}
