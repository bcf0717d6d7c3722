using System.Diagnostics;

namespace GuardedAI.Benchmarks;

/// <summary>
/// One million one-call conversations through the engine, each with its own conversation counters: the retained
/// counters and heap stay flat because idle conversations are forgotten. A measured run, not a BenchmarkDotNet timing:
/// <c>dotnet run -c Release --project tests/GuardedAI.Benchmarks -- conversations 1000000</c>.
/// </summary>
internal static class ConversationMemory
{
    public static async Task RunAsync(int conversations)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        var store = new InMemoryBudgetCounterStore(clock);
        await using var engine = new BudgetEngine(new BudgetEngineOptions
        {
            TimeProvider = clock, Store = store, Ledger = new DiscardingLedger(), LogAlerts = false, LeaseSweepInterval = Timeout.InfiniteTimeSpan,
        });
        var policy = BudgetPolicy.Create("chat").ForModel("gpt-4o-mini").WithScopeIdleTimeout(TimeSpan.FromMinutes(5))
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Conversation, 50)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Conversation, 1m)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1_000_000m).Build();
        var estimate = engine.Estimate("gpt-4o-mini", 200, 200);
        Console.WriteLine("conversations | counters held | managed heap (MB) | elapsed (s)");
        var watch = Stopwatch.StartNew();
        for (var i = 1; i <= conversations; i++)
        {
            var lease = await engine.TryReserveAsync(policy, estimate, new ReservationContext { ConversationId = "c" + i });
            await lease.CommitAsync(new TokenUsage(200, 100));
            clock.Advance(TimeSpan.FromMilliseconds(50)); // 20 new conversations a second
            if (i % (conversations / 10) == 0)
            {
                var heap = GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
                Console.WriteLine($"{i,13:N0} | {store.CounterCount,13:N0} | {heap,17:N1} | {watch.Elapsed.TotalSeconds,11:N1}");
            }
        }
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;
        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
