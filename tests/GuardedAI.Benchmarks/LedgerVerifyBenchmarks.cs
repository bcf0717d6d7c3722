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
/// Run: <c>dotnet run -c Release --project tests/GuardedAI.Benchmarks -- --filter *LedgerVerify*</c>.
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
            batch.Add(PostgreSqlVerifyBenchmarks.Record(i, start + step * i, tags));
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
