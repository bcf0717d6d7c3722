using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using GuardedAI;
using GuardedAI.Integrity;
using GuardedAI.Sqlite;

namespace GuardedAI.Benchmarks;

/// <summary>
/// How long does <c>guardedai verify</c> take on an untouched ledger of 1,000,000 records? The setup writes them once
/// (30 days of calls, tags on every third, through the bulk writer, so they are chained exactly as the ledger's own
/// writer chains them) into a temporary file; each iteration verifies the whole chain: every record read back,
/// re-encoded and hashed, every link and head checked. The claim (docs/stores.md): seconds, not minutes.
/// Run: <c>dotnet run -c Release --project benchmarks/GuardedAI.Benchmarks -- --filter *LedgerVerify*</c>.
/// </summary>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class LedgerVerifyBenchmarks
{
    private const int Records = 1_000_000;
    private string _directory = null!;
    private string _path = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "guardedai-verify-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _path = Path.Combine(_directory, "ledger.db");
        var start = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var step = TimeSpan.FromDays(30) / Records;
        var tags = new Dictionary<string, string> { ["team"] = "support", ["feature"] = "chat" };
        using var importer = new SqliteLedgerImporter(_path);
        var batch = new List<UsageRecord>(10_000);
        for (var i = 0; i < Records; i++)
        {
            batch.Add(new UsageRecord
            {
                Id = "r" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture),
                Timestamp = start + step * i,
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
            });
            if (batch.Count == batch.Capacity)
            {
                importer.Write(batch);
                batch.Clear();
            }
        }
        if (batch.Count > 0) importer.Write(batch);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [Benchmark(Description = "verify 1,000,000 chained records")]
    public LedgerVerification Verify()
    {
        var result = SqliteLedgerVerifier.Verify(_path);
        if (!result.IsIntact || result.Entries != Records) throw new InvalidOperationException($"expected an intact chain of {Records} records: {result.Entries}, {string.Join("; ", result.Findings)}");
        return result;
    }
}
