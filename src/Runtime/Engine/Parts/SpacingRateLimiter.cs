using System.Threading.RateLimiting;

namespace GuardedAI.Engine;

/// <summary>
/// A <see cref="RateLimiter"/> that spaces permits at least an interval apart on a <see cref="TimeProvider"/>: each acquire
/// takes the next free slot and waits for it, up to a queue limit. The framework's token bucket measures elapsed time with
/// the system clock even when replenished by hand, so it cannot follow an engine's clock (and a test's fake one).
/// </summary>
internal sealed class SpacingRateLimiter(TimeProvider time, TimeSpan interval, int queueLimit) : RateLimiter
{
    private readonly object _gate = new();
    private DateTimeOffset _nextSlot = DateTimeOffset.MinValue;
    private int _waiting;
    private long _granted;
    private long _refused;
    private DateTimeOffset? _idleSince = time.GetUtcNow();

    public override TimeSpan? IdleDuration { get { lock (_gate) return _idleSince is { } since ? time.GetUtcNow() - since : null; } }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = time.GetUtcNow() >= _nextSlot ? 1 : 0,
                CurrentQueuedCount = _waiting,
                TotalSuccessfulLeases = _granted,
                TotalFailedLeases = _refused,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        Check(permitCount);
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now < _nextSlot) return Refuse(_nextSlot - now);
            _nextSlot = now + interval;
            _granted++;
            return Lease.Granted;
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Check(permitCount);
        DateTimeOffset slot;
        DateTimeOffset now;
        lock (_gate)
        {
            now = time.GetUtcNow();
            if (_waiting >= queueLimit && now < _nextSlot) return Refuse(_nextSlot - now);
            slot = _nextSlot > now ? _nextSlot : now;
            _nextSlot = slot + interval;
            _waiting++;
            _idleSince = null;
        }
        try
        {
            if (slot > now) await Task.Delay(slot - now, time, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _waiting--;
                if (_waiting == 0) _idleSince = time.GetUtcNow();
            }
        }
        lock (_gate) _granted++;
        return Lease.Granted;
    }

    private RateLimitLease Refuse(TimeSpan retryAfter)
    {
        _refused++;
        return new Lease(false, retryAfter);
    }

    private static void Check(int permitCount)
    {
        if (permitCount != 1) throw new ArgumentOutOfRangeException(nameof(permitCount), permitCount, "A spacing limiter grants one permit at a time.");
    }

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Granted = new(true, null);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}
