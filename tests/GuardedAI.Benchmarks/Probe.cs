using System.Diagnostics;
using GuardedAI.Engine;

namespace GuardedAI.Benchmarks;

/// <summary>Times each step of a reserve + commit on its own (a development aid: <c>probe</c>).</summary>
internal static class Probe
{
    public static async Task RunAsync()
    {
        var setup = new ProbeSetup();
        var (engine, policy, parts, now, amounts) = (setup.Engine, setup.Policy, setup.Parts, setup.Now, setup.Amounts);
        var settled = new CounterReservation("settled", Charges.For(policy, null, amounts, ReservationContext.Empty, now), now);
        Time("clock", () => parts.Time.GetUtcNow());
        Time("id", () => ReservationIds.Next(now).ToString());
        Time("charges (shared set)", () => Charges.SetFor(policy, ReservationContext.Empty, now));
        Time("breaker get+enter", () => parts.Breakers.Get(policy.Name).TryEnter(out _, out _));
        Time("store reserve+settle", setup.ReserveAndSettle);
        Time("thresholds", () => { parts.Thresholds.Evaluate(settled, policy, null, null, now); return 0; });
        Time("sanitize", () => ReportedUsageSanitizer.Sanitize(Fixtures.Actual, true, Fixtures.Estimate, settled, parts.Pricing.Cost));
        Time("price", () => parts.Pricing.Cost("gpt-4o-mini", Fixtures.Actual));
        // The cost and its counter units, in integers (the path every call takes) and in decimal arithmetic (the definition).
        var price = parts.Pricing.Catalog.Resolve("gpt-4o-mini").Price;
        var actual = Fixtures.Actual;
        Time("cost + units, integers", () => BudgetUnits.ToUnits(BudgetDimension.CostUsd, PriceCatalog.ComputeCost(price, actual)));
        Time("cost + units, decimal", () => BudgetUnits.NanoUnitsInDecimal(PriceCatalog.CostInDecimal(actual.InputTokens, price.InputPerMillion, 0, price.CachedInputPerMillion ?? price.InputPerMillion,
            0, price.InputPerMillion, actual.OutputTokens, price.OutputPerMillion, 0, price.OutputPerMillion)));
        Time("ledger append", () => setup.Ledger.AppendAsync(setup.Record));
        Time("reserve only (+cancel)", () => { var l = engine.TryReserveAsync(policy, Fixtures.Estimate).Result; return l.CancelAsync("x").Result; });
        Time("reserve + commit", () => setup.Pair(engine));
        Time("reserve + commit, no ledger", () => setup.Pair(setup.Discarding));
        await setup.DisposeAsync();
        await Parallel64Async(policy);
    }

    /// <summary>64 callers doing reserve + commit, and the same callers acquiring six token-bucket permits: the best of
    /// five rounds of each, alternated, so that both see the same machine.</summary>
    private static async Task Parallel64Async(BudgetPolicy policy)
    {
        var engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        engine.AddPolicy(policy);
        // The same engine with a ledger that keeps nothing: what keeping the newest records alive costs all callers (GC).
        var discarding = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, Ledger = new DiscardingLedger() });
        discarding.AddPolicy(policy);
        using var buckets = new SixTokenBuckets();
        double bestPairs = 0, bestBuckets = 0, bestDiscarding = 0;
        for (var round = 0; round < 6; round++)
        {
            bestPairs = Math.Max(bestPairs, await RateAsync(async () =>
            {
                var lease = await engine.TryReserveAsync(policy, Fixtures.Estimate);
                await lease.CommitAsync(Fixtures.Actual);
            }));
            bestDiscarding = Math.Max(bestDiscarding, await RateAsync(async () =>
            {
                var lease = await discarding.TryReserveAsync(policy, Fixtures.Estimate);
                await lease.CommitAsync(Fixtures.Actual);
            }));
            bestBuckets = Math.Max(bestBuckets, await RateAsync(() =>
            {
                buckets.AcquireAll();
                return ValueTask.CompletedTask;
            }));
        }
        Console.WriteLine($"{"64 callers reserve+commit",-28} {bestPairs,10:N0} /s");
        Console.WriteLine($"{"64 callers, no ledger",-28} {bestDiscarding,10:N0} /s");
        Console.WriteLine($"{"64 callers 6 token buckets",-28} {bestBuckets,10:N0} /s");
        await engine.DisposeAsync();
        await discarding.DisposeAsync();
    }

    private static async Task<double> RateAsync(Func<ValueTask> pair)
    {
        const int perCaller = 2_000;
        var watch = Stopwatch.StartNew();
        var callers = new Task[64];
        for (var c = 0; c < callers.Length; c++)
        {
            callers[c] = Task.Run(async () =>
            {
                for (var i = 0; i < perCaller; i++) await pair();
            });
        }
        await Task.WhenAll(callers);
        return 64.0 * perCaller / watch.Elapsed.TotalSeconds;
    }

    private static void Time<T>(string what, Func<T> step)
    {
        for (var w = 0; w < 20_000; w++) step();
        var best = double.MaxValue;
        long bytes = 0;
        for (var round = 0; round < 5; round++)
        {
            const int n = 100_000;
            var before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            for (var k = 0; k < n; k++) step();
            best = Math.Min(best, watch.Elapsed.TotalNanoseconds / n);
            bytes = (GC.GetAllocatedBytesForCurrentThread() - before) / n;
        }
        Console.WriteLine($"{what,-28} {best,10:N1} ns {bytes,6} B");
    }
}
