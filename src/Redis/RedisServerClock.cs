namespace GuardedAI.Redis;

/// <summary>
/// The one clock every instance sharing a Redis follows: this instance's clock (<see cref="Local"/>) corrected by the
/// Redis server's <c>TIME</c>, measured on every script that reads it. Window boundaries and lease expiry are decided
/// inside the scripts by the server's clock; this provider lets the engine compute the same windows (and stamp its
/// records with the same time) before it asks, so a disagreement is rare and only near a boundary — and then the
/// script refuses and the engine retries in the server's windows.
/// </summary>
/// <remarks>
/// The offset is the server time minus the midpoint of the local readings taken around the round trip, so it is off
/// by at most half the round trip. A sample replaces the current one when there is none, when its round trip is no
/// longer, when the current one is older than <see cref="SampleLifetime"/>, or when the server refused a window.
/// Timers and timestamps are the local provider's: only wall-clock time is corrected.
/// </remarks>
internal sealed class RedisServerClock : TimeProvider
{
    /// <summary>How long a sample with a short round trip is preferred over newer ones with longer round trips.</summary>
    public static readonly TimeSpan SampleLifetime = TimeSpan.FromSeconds(30);

    private volatile TimeProvider _local;
    private volatile Sample? _sample;

    public RedisServerClock(TimeProvider local) => _local = local;

    /// <summary>This instance's own clock.</summary>
    public TimeProvider Local => _local;

    /// <summary>How far this instance's clock is ahead of the Redis server's (negative: behind); null before the first measurement.</summary>
    public TimeSpan? Skew => _sample is { } sample ? -sample.Offset : null;

    /// <summary>The round trip of the measurement behind <see cref="Skew"/> (its uncertainty is half of it).</summary>
    public TimeSpan? SkewUncertainty => _sample is { } sample ? sample.RoundTrip / 2 : null;

    /// <summary>Follows <paramref name="local"/> from now on; the measurement starts again.</summary>
    public void UseLocal(TimeProvider local)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (ReferenceEquals(local, this)) return;
        _local = local;
        _sample = null;
    }

    /// <summary>Records one reading of the server's clock taken between two local readings.</summary>
    /// <returns>Whether the reading became the current offset.</returns>
    public bool Observe(DateTimeOffset localBefore, long serverUnixMs, DateTimeOffset localAfter, bool force = false)
    {
        var roundTrip = localAfter - localBefore;
        if (roundTrip < TimeSpan.Zero) roundTrip = TimeSpan.Zero;
        var current = _sample;
        // Checked before anything is built: on every reservation most readings are turned down (a longer round trip).
        if (!force && current is not null && roundTrip > current.RoundTrip && localAfter - current.TakenAt < SampleLifetime) return false;
        var midpoint = localBefore + roundTrip / 2;
        _sample = new Sample(DateTimeOffset.FromUnixTimeMilliseconds(serverUnixMs) - midpoint, roundTrip, localAfter);
        return true;
    }

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow()
    {
        var now = _local.GetUtcNow();
        return _sample is { } sample ? now + sample.Offset : now;
    }

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => _local.LocalTimeZone;

    /// <inheritdoc/>
    public override long TimestampFrequency => _local.TimestampFrequency;

    /// <inheritdoc/>
    public override long GetTimestamp() => _local.GetTimestamp();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _local.CreateTimer(callback, state, dueTime, period);

    private sealed record Sample(TimeSpan Offset, TimeSpan RoundTrip, DateTimeOffset TakenAt);
}
