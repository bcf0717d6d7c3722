using System.Diagnostics;

namespace GuardedAI.Benchmarks;

/// <summary>
/// The reserve + commit ratio to six token buckets, measured in alternating blocks: a block of pairs, then a block of
/// bucket acquires, again and again, and the median of each block's ratio. BenchmarkDotNet times one side and then the
/// other, seconds apart, and this machine's speed moves by a third within minutes (runs BB and BC: 18.7× and 12.2× for
/// the same code), so a ratio of two figures taken at different moments carries the machine's drift. A block here lasts
/// a few milliseconds, and its pair of figures sees the same machine. Reported beside BenchmarkDotNet's figure, not
/// instead of it.
/// </summary>
internal static class InterleavedRatio
{
    public sealed record Result(double PairNs, double BucketsNs, double Ratio, int Blocks);

    public static async Task<Result> MeasureAsync(int blocks, int pairsPerBlock)
    {
        var engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        var policy = Fixtures.SixLimits("interleaved");
        engine.AddPolicy(policy);
        using var buckets = new SixTokenBuckets();
        try
        {
            // The buckets take ~10× less time a call: ten times as many make a block of about the same length.
            var acquiresPerBlock = pairsPerBlock * 10;
            await WarmUpAsync(engine, policy, buckets, pairsPerBlock, acquiresPerBlock);
            var pairNs = new double[blocks];
            var bucketNs = new double[blocks];
            var ratios = new double[blocks];
            for (var b = 0; b < blocks; b++)
            {
                // Which side goes first alternates, so a drift within a block falls on both alike.
                if (b % 2 == 0)
                {
                    pairNs[b] = await PairsAsync(engine, policy, pairsPerBlock);
                    bucketNs[b] = Acquires(buckets, acquiresPerBlock);
                }
                else
                {
                    bucketNs[b] = Acquires(buckets, acquiresPerBlock);
                    pairNs[b] = await PairsAsync(engine, policy, pairsPerBlock);
                }
                ratios[b] = pairNs[b] / bucketNs[b];
            }
            return new Result(Stats.Median(pairNs), Stats.Median(bucketNs), Stats.Median(ratios), blocks);
        }
        finally
        {
            await engine.DisposeAsync();
        }
    }

    /// <summary>
    /// Runs both sides until the just-in-time compiler has had nothing new to compile for half a second (and for at least
    /// a second in all, at most ten), so that the blocks time the code at its last tier, as BenchmarkDotNet's warm-up
    /// does. One block of each (the warm-up before the twenty-ninth round) left most of a fresh process's blocks on code
    /// not yet recompiled: `interleaved 41 5000` timed the pair at 1,750–2,229 ns where 101 blocks of 20,000 timed
    /// 764–917 ns in the same minutes, and in a full run, whose host process runs no benchmark itself, the interleaved
    /// ratio read above BenchmarkDotNet's.
    /// </summary>
    private static async Task WarmUpAsync(BudgetEngine engine, BudgetPolicy policy, SixTokenBuckets buckets, int pairsPerBlock, int acquiresPerBlock)
    {
        var least = TimeSpan.FromMilliseconds(BenchmarkScale.Pick(1_000, 0));
        var quiet = TimeSpan.FromMilliseconds(BenchmarkScale.Pick(500, 0));
        var most = TimeSpan.FromSeconds(10);
        var started = Stopwatch.GetTimestamp();
        var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
        var changed = started;
        while (true)
        {
            await PairsAsync(engine, policy, pairsPerBlock);
            Acquires(buckets, acquiresPerBlock);
            var now = Stopwatch.GetTimestamp();
            var count = System.Runtime.JitInfo.GetCompiledMethodCount();
            if (count != compiled)
            {
                compiled = count;
                changed = now;
            }
            var total = Stopwatch.GetElapsedTime(started, now);
            if ((total >= least && Stopwatch.GetElapsedTime(changed, now) >= quiet) || total >= most) return;
        }
    }

    /// <summary>Nanoseconds a reserve + commit, over <paramref name="count"/> of them.</summary>
    private static async Task<double> PairsAsync(BudgetEngine engine, BudgetPolicy policy, int count)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            var lease = await engine.TryReserveAsync(policy, Fixtures.Estimate);
            if (!lease.IsAcquired) throw new InvalidOperationException("The interleaved ratio's budget denied a reservation: " + lease.Denial);
            await lease.CommitAsync(Fixtures.Actual);
        }
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / count;
    }

    /// <summary>Nanoseconds a six-bucket acquire, over <paramref name="count"/> of them.</summary>
    private static double Acquires(SixTokenBuckets buckets, int count)
    {
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (!buckets.AcquireAll()) throw new InvalidOperationException("A token bucket refused a permit.");
        }
        return Stopwatch.GetElapsedTime(started).TotalNanoseconds / count;
    }
}
