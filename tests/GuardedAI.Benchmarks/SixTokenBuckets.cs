using System.Threading.RateLimiting;

namespace GuardedAI.Benchmarks;

/// <summary>The peer of a reserve + commit against six limits: six <see cref="TokenBucketRateLimiter"/>s, one permit
/// from each per call (<see cref="ReserveCommitBenchmarks"/>, and the development probes).</summary>
internal sealed class SixTokenBuckets : IDisposable
{
    private readonly TokenBucketRateLimiter[] _buckets = Enumerable.Range(0, 6).Select(_ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
    {
        TokenLimit = int.MaxValue,
        TokensPerPeriod = int.MaxValue,
        // A bucket this size never runs dry in a run, so its replenishing timer may be slow. At one millisecond, the
        // six timers fired 6,000 times a second, each waking a thread-pool worker that then spun in sched_yield:
        // on two cores that took CPU from whichever side was being measured.
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        AutoReplenishment = true,
        QueueLimit = 0,
    })).ToArray();

    /// <summary>Takes one permit from each bucket and gives it back; true when all six were granted.</summary>
    public bool AcquireAll()
    {
        var ok = true;
        foreach (var bucket in _buckets)
        {
            using var lease = bucket.AttemptAcquire(1);
            ok &= lease.IsAcquired;
        }
        return ok;
    }

    public void Dispose()
    {
        foreach (var bucket in _buckets) bucket.Dispose();
    }
}
