using System.Diagnostics;
using GuardedAI.Engine;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Each step of a reserve + commit run by one thread and then by two at once (a development aid: <c>probe contention</c>).
/// A step whose two threads together do less than one alone writes memory every caller shares: its cache lines move
/// between the cores on every call.
/// </summary>
internal static class ContentionProbe
{
    public static async Task RunAsync()
    {
        await using var setup = new ProbeSetup();
        var (parts, policy, now) = (setup.Parts, setup.Policy, setup.Now);
        using var buckets = new SixTokenBuckets();

        // Six counters side by side in one cache line, against six on lines of their own: a reservation's adds and a settlement's.
        var packed = GC.AllocateArray<long>(64, pinned: true);
        var spread = GC.AllocateArray<long>(6 * 16 + 8, pinned: true);
        Scale("6 counters, one line", () => SixAdds(packed, (8 - LineOffset(packed)) % 8, 1));
        Scale("6 counters, six lines", () => SixAdds(spread, (8 - LineOffset(spread)) % 8, 16));
        Scale("clock", () => parts.Time.GetUtcNow());
        Scale("id", () => ReservationIds.Next(now));
        Scale("charges (shared set)", () => Charges.SetFor(policy, ReservationContext.Empty, now));
        Scale("breaker get+enter", () => parts.Breakers.Get(policy.Name).TryEnter(out _, out _));
        Scale("store reserve+settle", setup.ReserveAndSettle);
        Scale("… and thresholds", () =>
        {
            parts.Thresholds.Evaluate(setup.ReserveAndSettle(), policy, null, null, now);
            return 0;
        });
        Scale("ledger append", () => setup.Ledger.AppendAsync(setup.Record));
        Scale("6 token buckets", buckets.AcquireAll);
        Scale("reserve + commit, no ledger", () => setup.Pair(setup.Discarding));
        Scale("reserve + commit", () => setup.Pair(setup.Engine));
    }

    /// <summary>Reserve + commit on <paramref name="threads"/> threads for <paramref name="seconds"/>: something to attach a
    /// profiler to (<c>probe pairs threads seconds</c>).</summary>
    public static async Task PairsAsync(int threads, double seconds)
    {
        var options = new BudgetEngineOptions { LogAlerts = false };
        // Development switches: what one shared piece costs the callers.
        if (Environment.GetEnvironmentVariable("PROBE_NO_LEDGER") == "1") options.Ledger = new DiscardingLedger();
        if (Environment.GetEnvironmentVariable("PROBE_NO_ANOMALY") == "1") options.Alerts.AnomalyFactor = 0;
        var engine = new BudgetEngine(options);
        var policy = Fixtures.SixLimits("probe");
        engine.AddPolicy(policy);
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var counts = new long[threads * 16];
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            long done = 0;
            while (Stopwatch.GetTimestamp() < until)
            {
                for (var k = 0; k < 1000; k++)
                {
                    var lease = engine.TryReserveAsync(policy, Fixtures.Estimate).Result;
                    lease.CommitAsync(Fixtures.Actual).AsTask().Wait();
                }
                done += 1000;
            }
            counts[t * 16] = done;
        })).ToArray();
        foreach (var worker in workers) worker.Start();
        foreach (var worker in workers) worker.Join();
        Console.WriteLine($"{threads} threads: {counts.Sum() / seconds:N0} pairs/s");
        await engine.DisposeAsync();
    }

    /// <summary>How many longs into its cache line the pinned array's first element is.</summary>
    private static int LineOffset(long[] array) => (int)((System.Runtime.InteropServices.Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) & 63) / 8);

    private static long SixAdds(long[] counters, int start, int stride)
    {
        long last = 0;
        for (var i = 0; i < 6; i++)
        {
            ref var value = ref counters[start + i * stride];
            var current = Volatile.Read(ref value);
            while (Interlocked.CompareExchange(ref value, current + 3, current) is var seen && seen != current) current = seen;
        }
        for (var i = 0; i < 6; i++) last = Interlocked.Add(ref counters[start + i * stride], -2);
        return last;
    }

    /// <summary>Prints the step's time per call on one thread and on each of two, best of five rounds each.</summary>
    private static void Scale<T>(string what, Func<T> step)
    {
        const int n = 200_000;
        for (var w = 0; w < 20_000; w++) step();
        double one = double.MaxValue, two = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            one = Math.Min(one, Run(1));
            two = Math.Min(two, Run(2));
        }
        Console.WriteLine($"{what,-28} one thread {one,8:N1} ns   two threads {two,8:N1} ns each   together {2 * one / two:0.00}× one");

        double Run(int threads)
        {
            using var start = new Barrier(threads + 1);
            var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
            {
                start.SignalAndWait();
                for (var k = 0; k < n; k++) step();
                start.SignalAndWait();
            })).ToArray();
            foreach (var worker in workers) worker.Start();
            start.SignalAndWait();
            var watch = Stopwatch.StartNew();
            start.SignalAndWait();
            var elapsed = watch.Elapsed;
            foreach (var worker in workers) worker.Join();
            return elapsed.TotalNanoseconds / n;
        }
    }
}
