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
            await PairsAsync(engine, policy, pairsPerBlock);   // warm-up: compiled code at its last tier, counters made
            Acquires(buckets, acquiresPerBlock);
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
