using GuardedAI.Integrity;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Tests;

/// <summary>
/// The fast verify path (columns read straight from SQLite, no record objects, segment ranges in parallel) reaches the
/// same verdicts as reading every record back: the encoding is the one ledgers were written with, rows of every shape
/// verify, a cost re-written as the same number is still the same record, and ranges verified in parallel find exactly
/// what one pass finds.
/// </summary>
public class LedgerVerifyFastPathTests
{
    private static readonly DateTimeOffset Day = new(2030, 5, 6, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_canonical_encoding_is_the_one_chains_were_written_with()
    {
        // Hashes computed by the encoder ledgers were first written with (schema 7): a change here breaks every existing chain.
        var previous = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var record = new UsageRecord
        {
            Id = "golden-1", Timestamp = new DateTimeOffset(2030, 5, 6, 9, 30, 15, TimeSpan.Zero).AddTicks(1234567),
            Budget = "support", Tenant = "acme", ConversationId = "conv-7", RunId = null, Kind = (UsageKind)1, DegradedFrom = "gpt-4o",
            Provider = "openai", Model = "gpt-4o-mini", InputTokens = 1200, OutputTokens = 345, CachedInputTokens = 200, ReasoningTokens = 0,
            CacheWriteInputTokens = 12, ReportedInputTokens = 1200, ReportedOutputTokens = null, ReportedTotalTokens = 1545,
            ReportedCachedInputTokens = null, ReportedReasoningTokens = 0, Anomalies = "cached>input", ReservedInputTokens = 1300, ReservedOutputTokens = 512,
            ReservedCostUsd = 0.0012500m, CostUsd = 0.000987654321m, UsageReported = true, Duration = TimeSpan.FromMilliseconds(812.5),
            Status = UsageStatus.Success, Reason = null, PriceTableVersion = "2025-11-20#3fa9c2d1",
            Tags = new Dictionary<string, string> { ["team"] = "billing", ["Region"] = "eu-west", ["café"] = "crème ☕", ["app"] = "" },
        };

        Assert.Equal("6e545da9a155faa1af8e572af11825e7a1fc8609ca96ea592c4df1f06f65bf7a", LedgerChain.ToHex(LedgerChain.Hash(previous, record)));
        Assert.Equal("e2b5b8eb98e78ab7e8ab31c052d6624dd422b917ee69db181ad13810c107c4f9", LedgerChain.ToHex(LedgerChain.Hash(previous,
            new OperatorAction(new DateTimeOffset(2030, 5, 6, 10, 0, 0, TimeSpan.Zero), "alice", "config.changed", null, "{\"x\":1}"))));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("0.000")]
    [InlineData("-0.5")]
    [InlineData("-0.000")]
    [InlineData("1.50")]
    [InlineData("0.0001350")]
    [InlineData("100")]
    [InlineData("100.")]
    [InlineData("007.5")]
    [InlineData("1234567890123456789012345678")]
    [InlineData("0.000000000000000000000000001")]
    [InlineData("0.0000000000000000000000000001")]
    [InlineData("0.00000000000000000000000000001")]
    [InlineData("123456.789000")]
    [InlineData(" 1.5 ")]
    [InlineData("1,000.25")]
    [InlineData("15e-1")]
    [InlineData("+2")]
    public void A_cost_read_from_text_encodes_as_the_decimal_the_reader_parses(string text)
    {
        var fromText = new ChainEncoder();
        fromText.Begin([], ChainEncoder.RecordKind);
        Assert.True(fromText.TryDecimal(System.Text.Encoding.UTF8.GetBytes(text), System.Globalization.NumberStyles.Number | System.Globalization.NumberStyles.AllowExponent));

        var parsed = new ChainEncoder();
        parsed.Begin([], ChainEncoder.RecordKind);
        parsed.Decimal(decimal.Parse(text, System.Globalization.NumberStyles.Number | System.Globalization.NumberStyles.AllowExponent, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(parsed.Hash(), fromText.Hash());
    }

    private static UsageRecord Shaped(int i) => new()
    {
        Id = "shape-" + i,
        Timestamp = Day.AddMinutes(i),
        Budget = i % 2 == 0 ? "support" : "bätch",
        Tenant = i % 3 == 0 ? null : "tenant-" + i,
        ConversationId = i % 4 == 0 ? "" : null,
        RunId = i % 5 == 0 ? "run-" + i : null,
        Kind = (UsageKind)(i % 3),
        DegradedFrom = i % 7 == 0 ? "gpt-4o" : null,
        Provider = i % 6 == 0 ? null : "openai",
        Model = "gpt-4o-mini",
        InputTokens = 100 + i,
        OutputTokens = i,
        CachedInputTokens = i % 2,
        ReportedInputTokens = i % 2 == 0 ? 100 + i : null,
        ReportedTotalTokens = i % 3 == 0 ? 0 : null,
        Anomalies = i % 8 == 0 ? "over-report" : null,
        ReservedInputTokens = 200,
        ReservedOutputTokens = 300,
        ReservedCostUsd = i % 2 == 0 ? 0.0020m : 1234567890.123456789012345678m,
        CostUsd = (i % 4) switch { 0 => 0m, 1 => 1.50m, 2 => 0.0000000000000000000000000001m, _ => 123456.789000m },
        UsageReported = i % 2 == 0,
        Duration = TimeSpan.FromTicks(i * 10_001),
        Status = (UsageStatus)(i % 4),
        Reason = i % 5 == 1 ? "denied: \"quota\"" : null,
        PriceTableVersion = i % 9 == 0 ? null : "v1",
        Tags = (i % 5) switch
        {
            0 => new Dictionary<string, string>(),
            1 => new Dictionary<string, string> { ["b"] = "2", ["a"] = "1", ["B"] = "3" },
            2 => new Dictionary<string, string> { ["region"] = "zürich", ["quote"] = "say \"hi\"\\" },
            3 => new Dictionary<string, string> { ["ключ"] = "значение", ["emoji"] = "🙂" },
            _ => new Dictionary<string, string> { ["<html>"] = "&amp;", ["empty"] = "" },
        },
    };

    private static async Task<string> WriteAsync(TempDirectory dir, int count, int days = 1)
    {
        var path = dir.File("ledger.db");
        await using var ledger = new SqliteUsageLedger(path);
        for (var d = 0; d < days; d++)
        {
            for (var i = 0; i < count; i++) await ledger.AppendAsync(Shaped(i) with { Id = $"shape-{d}-{i}", Timestamp = Day.AddDays(d).AddMinutes(i) });
        }
        return path;
    }

    private static void Sql(string path, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [Fact]
    public async Task Records_of_every_shape_verify_and_plain_ones_never_take_the_slow_path()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 60);

        var result = SqliteLedgerVerifier.Verify(path);
        Assert.True(result.IsIntact, string.Join("\n", result.Findings));
        Assert.Equal(60, result.Entries);

        // Only the records whose tags the writer escaped in JSON (non-ASCII, quotes, '<' and '&') are read the slow way.
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var transaction = connection.BeginTransaction(deferred: true);
        using var reader = new SqliteChainRecordReader(transaction, null, null);
        var read = 0;
        while (reader.Next() is { } entry)
        {
            Assert.Equal(entry.Stored, entry.Computed);
            read++;
        }
        Assert.Equal(60, read);
        Assert.Equal(Enumerable.Range(0, 60).Count(i => i % 5 is 2 or 3 or 4), reader.SlowRows);
    }

    [Fact]
    public async Task A_cost_rewritten_as_the_same_number_is_the_same_record_and_another_number_is_a_change()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 8);
        // shape-0-1 costs 1.50: the same amount in other notations is the same record to the ledger's reader, so to verify too.
        Sql(path, "UPDATE usage_records SET cost_usd = '1.5000' WHERE id = 'shape-0-1';");
        Sql(path, "UPDATE usage_records SET cost_usd = '15e-1' WHERE id = 'shape-0-5';");
        Assert.True(SqliteLedgerVerifier.Verify(path).IsIntact);

        Sql(path, "UPDATE usage_records SET cost_usd = '1.51' WHERE id = 'shape-0-1';");
        Sql(path, "UPDATE usage_records SET tags = '{\"a\":\"1\",\"b\":\"2\",\"B\":\"4\"}' WHERE id = 'shape-0-6';");
        var findings = SqliteLedgerVerifier.Verify(path).Findings;
        Assert.Equal(["record shape-0-1", "record shape-0-6"], findings.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.All(findings, f => Assert.Equal(ChainFindingKind.Changed, f.Kind));
    }

    [Fact]
    public async Task A_value_the_reader_cannot_read_is_named_not_misread()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 4);
        Sql(path, "UPDATE usage_records SET cost_usd = 'free' WHERE id = 'shape-0-2';");

        var error = Assert.Throws<InvalidOperationException>(() => SqliteLedgerVerifier.Verify(path));

        Assert.Contains("record shape-0-2", error.Message);
        Assert.Contains("changed by hand", error.Message);
    }

    [Fact]
    public async Task A_chain_hash_removed_or_retyped_is_a_finding_not_a_crash()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 6);
        Sql(path, "UPDATE usage_records SET chain_hash = NULL WHERE id = 'shape-0-2';");
        Sql(path, "UPDATE usage_records SET chain_prev = 'not a hash' WHERE id = 'shape-0-4';");

        var findings = SqliteLedgerVerifier.Verify(path).Findings;

        Assert.Contains(findings, f => f.Kind == ChainFindingKind.Changed && f.Name == "record shape-0-2");
        Assert.Contains(findings, f => f.Name == "record shape-0-4");
    }

    [Fact]
    public async Task Ranges_verified_in_parallel_find_exactly_what_one_pass_finds()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 20, days: 6);     // six segments (one writer, six UTC days)
        await new SqliteOperationsStore(path).AppendAsync(new OperatorAction(Day.AddDays(2).AddHours(1), "alice", "breaker.trip", "support", "x"));
        var intact = SqliteLedgerVerifier.Verify(path, workers: 3, minEntriesPerWorker: 1, CancellationToken.None);
        Assert.True(intact.IsIntact, string.Join("\n", intact.Findings));
        Assert.Equal(121, intact.Entries);
        Assert.Equal(6, intact.Segments);
        Assert.Equal(3, SqliteLedgerVerifier.Partition(ReadHeads(path), 3, 1).Count);

        Sql(path, "UPDATE usage_records SET input_tokens = 1 WHERE id = 'shape-0-3';");
        Sql(path, "DELETE FROM usage_records WHERE id = 'shape-3-7';");
        Sql(path, "UPDATE audit_log SET actor = 'mallory' WHERE action = 'breaker.trip';");
        Sql(path, "DELETE FROM usage_records WHERE id LIKE 'shape-5-%';");                       // a whole segment
        Sql(path, "UPDATE usage_records SET chain_pos = -1 WHERE id = 'shape-4-9';");
        Sql(path, "UPDATE usage_records SET chain_pos = 9 WHERE id = 'shape-4-10';");
        Sql(path, "UPDATE usage_records SET chain_pos = 10 WHERE id = 'shape-4-9';");

        var one = SqliteLedgerVerifier.Verify(path, workers: 1, minEntriesPerWorker: 1, CancellationToken.None);
        var three = SqliteLedgerVerifier.Verify(path, workers: 3, minEntriesPerWorker: 1, CancellationToken.None);

        Assert.Equal(one.Entries, three.Entries);
        Assert.Equal(one.Segments, three.Segments);
        Assert.Equal(one.Digest, three.Digest);
        Assert.Equal(one.Findings.Select(f => f.Message).Order(StringComparer.Ordinal), three.Findings.Select(f => f.Message).Order(StringComparer.Ordinal));
        Assert.Contains(three.Findings, f => f.Kind == ChainFindingKind.Changed && f.Name == "record shape-0-3");
        Assert.Contains(three.Findings, f => f.Kind == ChainFindingKind.Deleted && f.Message.Contains("shape-3-6") && f.Message.Contains("shape-3-8"));
        Assert.Contains(three.Findings, f => f.Kind == ChainFindingKind.Changed && f.Name!.Contains("breaker.trip"));
        Assert.Contains(three.Findings, f => f.Kind == ChainFindingKind.Deleted && f.Message.Contains("none is left"));
        Assert.Contains(three.Findings, f => f.Kind == ChainFindingKind.Reordered && f.Name == "record shape-4-10");
    }

    [Fact]
    public async Task A_writer_appending_while_ranges_are_verified_causes_no_false_finding()
    {
        using var dir = new TempDirectory();
        var path = await WriteAsync(dir, 30, days: 4);
        await using var ledger = new SqliteUsageLedger(path);
        using var stop = new CancellationTokenSource();
        var written = 0;
        var writer = Task.Run(async () =>
        {
            // Appends to today's and older days' segments (the last ones of the ranges, and ones in the middle) until told to stop.
            while (!stop.IsCancellationRequested)
            {
                var i = written++;
                await ledger.AppendAsync(Shaped(1) with { Id = "live-" + i, Timestamp = Day.AddDays(i % 4).AddHours(12).AddSeconds(i) });
            }
        });
        try
        {
            for (var run = 0; run < 5; run++)
            {
                var result = SqliteLedgerVerifier.Verify(path, workers: 3, minEntriesPerWorker: 1, CancellationToken.None);
                Assert.True(result.IsIntact, string.Join("\n", result.Findings));
            }
        }
        finally
        {
            stop.Cancel();
            await writer;
        }
        Assert.True(written > 0);
        Assert.True(SqliteLedgerVerifier.Verify(path).IsIntact);
    }

    private static List<ChainHead> ReadHeads(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT segment, length, head FROM chain_heads;";
        using var reader = command.ExecuteReader();
        var heads = new List<ChainHead>();
        while (reader.Read()) heads.Add(new ChainHead(reader.GetString(0), reader.GetInt64(1), (byte[])reader.GetValue(2)));
        return heads;
    }
}
