using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GuardedAI.Integrity;
using GuardedAI.PostgreSql;

namespace GuardedAI.Benchmarks;

/// <summary>
/// How long does <c>guardedai verify --connection …</c> take on an untouched PostgreSQL ledger of 1,000,000 records? The
/// setup starts a server of its own (or uses GUARDEDAI_BENCH_POSTGRES) and writes the records of
/// <see cref="LedgerVerifyBenchmarks"/> once through the bulk writer, chained exactly as the ledger's writer chains them;
/// each iteration verifies the whole chain: every record read back in one snapshot, re-encoded and hashed, every link
/// and head checked. The claim (docs/stores.md): seconds, not minutes.
/// Run: <c>dotnet run -c Release --project tests/GuardedAI.Benchmarks -- --filter *PostgreSqlVerify*</c>, or
/// <c>… -- pgverify 1000000</c> for one timed run with the setup's own time.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class PostgreSqlVerifyBenchmarks
{
    private const int Records = 1_000_000;
    private PostgresServer? _server;
    private PostgreSqlLedgerOptions _options = null!;
    private int _records = Records;
    private bool _kept;

    [GlobalSetup]
    public void Setup() => SetupAsync(Records).GetAwaiter().GetResult();

    public async Task SetupAsync(int records)
    {
        _records = records;
        _server = StartServer();
        _options = new PostgreSqlLedgerOptions { ConnectionString = _server.ConnectionString, Schema = "bench_" + Guid.NewGuid().ToString("N")[..8] };
        await WriteRecordsAsync();
    }

    /// <summary>
    /// As <see cref="SetupAsync"/>, into a schema kept in the server's data directory between runs (as the month report's
    /// records are): writing 1,000,000 chained records takes most of a minute, and <c>--quick</c> must finish in five. A
    /// schema is reused only when its last writing finished (its comment says so, with the count); <see cref="MedianAsync"/>
    /// writes it again when a verify of a reused one fails (the chain's encoding changed since it was written).
    /// </summary>
    private async Task<bool> SetupKeptAsync(int records)
    {
        _records = records;
        _kept = true;
        _server = StartServer();
        _options = new PostgreSqlLedgerOptions { ConnectionString = _server.ConnectionString, Schema = $"bench_verify_{records}" };
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(_server.ConnectionString);
        await using (var comment = dataSource.CreateCommand($"SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace WHERE nspname = '{_options.Schema}'"))
        {
            if (await comment.ExecuteScalarAsync() as string == CompleteMark(records)) return true;
        }
        await RewriteKeptAsync();
        return false;
    }

    private async Task RewriteKeptAsync()
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(_server!.ConnectionString);
        await using (var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_options.Schema}\" CASCADE")) await drop.ExecuteNonQueryAsync();
        await WriteRecordsAsync();
        await using var mark = dataSource.CreateCommand($"COMMENT ON SCHEMA \"{_options.Schema}\" IS '{CompleteMark(_records)}'");
        await mark.ExecuteNonQueryAsync();
    }

    private static PostgresServer StartServer() =>
        PostgresServer.Start() ?? throw new InvalidOperationException("PostgreSQL is not installed (apt-get install postgresql) and GUARDEDAI_BENCH_POSTGRES is not set.");

    private static string CompleteMark(int records) => $"GuardedAI verify benchmark: {records} records written";

    private async Task WriteRecordsAsync()
    {
        var records = _records;
        await using var importer = await PostgreSqlLedgerImporter.OpenAsync(_options);
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var step = TimeSpan.FromDays(30) / records;
        var tags = new Dictionary<string, string> { ["team"] = "support", ["feature"] = "chat" };
        var batch = new List<UsageRecord>(10_000);
        for (var i = 0; i < records; i++)
        {
            batch.Add(Record(i, start + step * i, tags));
            if (batch.Count == batch.Capacity)
            {
                await importer.WriteAsync(batch);
                batch.Clear();
            }
        }
        if (batch.Count > 0) await importer.WriteAsync(batch);
        await using var vacuum = Npgsql.NpgsqlDataSource.Create(_server!.ConnectionString);
        await using var command = vacuum.CreateCommand($"VACUUM ANALYZE \"{_options.Schema}\".usage_records");
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The i-th record of a verify benchmark's ledger (30 days of calls, tags on every third): the same on SQLite and PostgreSQL.</summary>
    internal static UsageRecord Record(int i, DateTimeOffset at, Dictionary<string, string> tags) => new()
    {
        Id = "r" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture),
        Timestamp = at,
        Budget = i % 7 == 0 ? "batch-jobs" : "support-bot",
        Tenant = i % 5 == 0 ? "tenant-" + (i % 100) : null,
        Provider = "openai",
        Model = "gpt-4o-mini",
        InputTokens = 500 + i % 300,
        OutputTokens = 100 + i % 50,
        ReservedInputTokens = 520,
        ReservedOutputTokens = 256,
        ReservedCostUsd = 0.0003m,
        CostUsd = 0.000135m + (i % 97) / 10_000_000m,
        UsageReported = true,
        Duration = TimeSpan.FromMilliseconds(800 + i % 400),
        Status = i % 50 == 0 ? UsageStatus.Failed : UsageStatus.Success,
        PriceTableVersion = "2025-11-20#3fa9c2d1",
        Tags = i % 3 == 0 ? tags : new Dictionary<string, string>(),
    };

    /// <summary>Drops the benchmark's schema unless it is the kept one (the server's data directory is kept for the month
    /// report's 10 M records) and stops the server.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        if (_server is null) return;
        try
        {
            if (_options?.Schema is not null && !_kept)
            {
                using var dataSource = Npgsql.NpgsqlDataSource.Create(_server.ConnectionString);
                using var drop = dataSource.CreateCommand($"DROP SCHEMA IF EXISTS \"{_options.Schema}\" CASCADE");
                drop.ExecuteNonQuery();
            }
        }
        finally
        {
            _server.Dispose();
        }
    }

    [Benchmark(Description = "verify 1,000,000 chained records (PostgreSQL)")]
    public LedgerVerification Verify() => VerifyAsync().GetAwaiter().GetResult();

    private async Task<LedgerVerification> VerifyAsync()
    {
        var result = await PostgreSqlLedgerVerifier.VerifyAsync(_options);
        if (!result.IsIntact || result.Entries != _records) throw new InvalidOperationException($"expected an intact chain of {_records} records: {result.Entries}, {string.Join("; ", result.Findings)}");
        return result;
    }

    /// <summary>
    /// Reads every record row (the verifier's columns, in chain order, each field read) without checking anything: the
    /// peer a verification is compared with, measured in the same run.
    /// </summary>
    public async Task<TimeSpan> RawReadAsync()
    {
        var watch = Stopwatch.StartNew();
        await using var source = Npgsql.NpgsqlDataSource.Create(_server!.ConnectionString);
        await using var connection = await source.OpenConnectionAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            $"SET search_path TO \"{_options.Schema}\"; SET enable_sort = off; SELECT * FROM usage_records WHERE chain_segment IS NOT NULL ORDER BY chain_segment, chain_pos, seq", connection)
        { CommandTimeout = 0 };
        await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess);
        long rows = 0;
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++) _ = reader.GetValue(i);
            rows++;
        }
        if (rows != _records) throw new InvalidOperationException($"read {rows} rows, expected {_records}");
        return watch.Elapsed;
    }

    /// <summary>Verifies once; returns the wall time and this process's CPU time.</summary>
    public async Task<(TimeSpan Wall, TimeSpan Cpu)> TimeVerifyAsync()
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await VerifyAsync();
        return (watch.Elapsed, Process.GetCurrentProcess().TotalProcessorTime - cpu);
    }

    /// <summary>Writes <paramref name="records"/> once (kept for later runs); the medians of <paramref name="runs"/> verifications and raw reads, in milliseconds.</summary>
    public static async Task<(double VerifyMs, double RawReadMs)> MedianAsync(int records, int runs)
    {
        var bench = new PostgreSqlVerifyBenchmarks();
        var reused = await bench.SetupKeptAsync(records);
        try
        {
            var verify = new List<double>();
            var raw = new List<double>();
            for (var run = 0; run < runs; run++)
            {
                (TimeSpan Wall, TimeSpan Cpu) timed;
                try
                {
                    timed = await bench.TimeVerifyAsync();
                }
                catch (InvalidOperationException) when (reused)
                {
                    // Written by an earlier build whose chain this one does not accept: written again, then timed.
                    reused = false;
                    await bench.RewriteKeptAsync();
                    timed = await bench.TimeVerifyAsync();
                }
                verify.Add(timed.Wall.TotalMilliseconds);
                raw.Add((await bench.RawReadAsync()).TotalMilliseconds);
            }
            return (verify.Order().ElementAt(runs / 2), raw.Order().ElementAt(runs / 2));
        }
        finally
        {
            bench.Cleanup();
        }
    }

    /// <summary><c>pgverify N</c>: writes N records once, then times three verifications beside three raw reads of the same rows.</summary>
    public static async Task MeasureAsync(int records)
    {
        var bench = new PostgreSqlVerifyBenchmarks();
        var setup = Stopwatch.StartNew();
        await bench.SetupAsync(records);
        Console.WriteLine($"wrote {records:#,0} chained records in {setup.Elapsed.TotalSeconds:0.0} s");
        try
        {
            for (var run = 1; run <= 3; run++)
            {
                var (wall, cpu) = await bench.TimeVerifyAsync();
                var raw = await bench.RawReadAsync();
                Console.WriteLine($"run {run}: verify {wall.TotalSeconds:0.00} s ({cpu.TotalSeconds:0.00} s CPU in this process); raw read of the same rows {raw.TotalSeconds:0.00} s; ratio {wall / raw:0.00}");
            }
        }
        finally
        {
            bench.Cleanup();
        }
    }
}
