using BenchmarkDotNet.Attributes;
using GuardedAI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Does a sink that hangs for 30 s slow a guarded call? Every call here publishes an alert (a provider over-report with
/// a zero repeat interval), so every call goes through the alert path; the first alert reaches the sink, which then
/// hangs for 30 s while the queue fills and drops its oldest entries. Compared with the same calls and a sink that
/// returns at once. The claim: the difference is far below one millisecond per call.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MaxColumn]
public class HangingSinkBenchmarks
{
    private readonly UsageEstimate _estimate = new("gpt-4o-mini", 100, 10, 0.0001m);
    private readonly TokenUsage _overReported = new(100, 500);
    private BudgetEngine _engine = null!;
    private BudgetPolicy _policy = null!;

    [Params(false, true)]
    public bool HangingSink { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = new BudgetEngineOptions { LogAlerts = false, Ledger = new DiscardingLedger() };
        options.Alerts.RepeatInterval = TimeSpan.Zero;
        options.AlertSinks.Add(HangingSink ? new Hanging() : new Instant());
        _engine = new BudgetEngine(options);
        _policy = BudgetPolicy.Create("bench").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, long.MaxValue / 4).Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "reserve + commit, every call alerting")]
    public async Task<LeaseSettlement> Call()
    {
        var lease = await _engine.TryReserveAsync(_policy, _estimate);
        return await lease.CommitAsync(_overReported);
    }

    private sealed class Hanging : IBudgetAlertSink
    {
        public async ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) =>
            await Task.Delay(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
    }

    private sealed class Instant : IBudgetAlertSink
    {
        public ValueTask SendAsync(BudgetAlert alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
