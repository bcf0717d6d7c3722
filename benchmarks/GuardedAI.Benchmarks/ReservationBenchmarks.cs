using BenchmarkDotNet.Attributes;
using GuardedAI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Reserve + commit of one call against a policy with six limits (the FREE tier), compared with the
/// check-then-increment under one global lock that simple budget managers use. Both single-threaded here;
/// the lock-free store's advantage is that concurrent callers on different budgets never contend.
/// </summary>
[MemoryDiagnoser]
public class ReservationBenchmarks
{
    private BudgetEngine _engine = null!;
    private BudgetPolicy _policy = null!;
    private readonly UsageEstimate _estimate = new("gpt-4o-mini", 100, 100, 0.0001m);
    private readonly TokenUsage _actual = new(90, 60);
    private readonly LockedBudget _locked = new();

    [GlobalSetup]
    public void Setup()
    {
        _engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, Ledger = new NullLedger() });
        _policy = BudgetPolicy.Create("bench")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, long.MaxValue / 4)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, long.MaxValue / 2)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, long.MaxValue / 4)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 2)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Hour, 1_000_000_000m)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 2_000_000_000m)
            .Build();
    }

    [Benchmark(Baseline = true, Description = "global lock, check-then-increment")]
    public bool GlobalLock() => _locked.TryCharge(1, 200, 0.0001m);

    [Benchmark(Description = "GuardedAI reserve + commit (6 limits)")]
    public async Task<UsageRecord?> GuardedAI()
    {
        var lease = await _engine.TryReserveAsync(_policy, _estimate);
        return await lease.CommitAsync(_actual);
    }

    private sealed class LockedBudget
    {
        private readonly object _gate = new();
        private long _requests, _tokens;
        private decimal _cost;

        public bool TryCharge(long requests, long tokens, decimal cost)
        {
            lock (_gate)
            {
                if (_requests + requests > long.MaxValue / 2 || _tokens + tokens > long.MaxValue / 2 || _cost + cost > 1_000_000_000m) return false;
                _requests += requests;
                _tokens += tokens;
                _cost += cost;
                return true;
            }
        }
    }

    private sealed class NullLedger : IUsageLedger
    {
        public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }
}
