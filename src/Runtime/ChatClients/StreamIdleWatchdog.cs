namespace GuardedAI;

/// <summary>
/// Notices a stream whose consumer stopped reading. An async enumerator that is abandoned without being disposed
/// never runs its <c>finally</c>, so its reservation would be held until the lease ran out. The guard marks the time
/// whenever it hands an update to the consumer and clears the mark when the consumer asks for the next one; if the
/// consumer does not ask within the idle timeout, <c>onAbandoned</c> runs (the guard cuts the provider stream and
/// settles what arrived) and the stream, if read again, ends with a <see cref="TimeoutException"/>. Time spent waiting
/// for the provider never counts: only the consumer can be idle.
/// </summary>
/// <remarks>
/// Issue 16: the timer is not moved on every update. Moving a timer takes its timer queue's lock and was ~15 % of a
/// streamed update's cost in the guard; an update now writes a timestamp. The timer is armed once for the idle timeout
/// and, when it fires, looks at the mark: a consumer handed its update less than the timeout ago re-arms it for the
/// rest, one reading or waiting for the provider re-arms it for a whole timeout, and only one away for the whole
/// timeout is cut. A stream shorter than the timeout never wakes it. On the system clock the mark is
/// <see cref="Environment.TickCount64"/> (milliseconds, read without the precise clock: reading that was as much again
/// as the timer had cost); another <see cref="TimeProvider"/> (a test's) is read through its timestamp.
/// </remarks>
internal sealed class StreamIdleWatchdog : IAsyncDisposable
{
    /// <summary>The consumer is reading (or the guard waits for the provider).</summary>
    private const long Reading = 0;

    /// <summary>The stream was cut while the consumer was away.</summary>
    private const long Cut = -1;

    /// <summary>The longest time a timer takes (~49.7 days): a longer idle timeout waits that long, and looks again.</summary>
    private static readonly TimeSpan LongestDue = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private readonly TimeProvider _clock;
    private readonly ITimer _timer;
    private readonly TimeSpan _idleTimeout;
    private readonly Func<ValueTask> _onAbandoned;

    /// <summary>Whether the clock is the system's, read through <see cref="Environment.TickCount64"/>.</summary>
    private readonly bool _systemClock;

    /// <summary><see cref="Reading"/>, <see cref="Cut"/>, or when (<see cref="NowMs"/>, at least 1) the update was handed to a
    /// consumer that has not asked for the next one.</summary>
    private long _handedAt;

    public StreamIdleWatchdog(TimeProvider clock, TimeSpan idleTimeout, Func<ValueTask> onAbandoned)
    {
        _clock = clock;
        _systemClock = clock == TimeProvider.System;
        _idleTimeout = idleTimeout;
        _onAbandoned = onAbandoned;
        _timer = clock.CreateTimer(static state => ((StreamIdleWatchdog)state!).Expire(), this, Due(idleTimeout), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The idle timeout.</summary>
    public TimeSpan IdleTimeout => _idleTimeout;

    /// <summary>Call just before handing an update to the consumer.</summary>
    public void Handing() => Volatile.Write(ref _handedAt, Math.Max(1, NowMs()));

    /// <summary>Call when the consumer asks for the next update.</summary>
    /// <exception cref="TimeoutException">The stream was cut while the consumer was away.</exception>
    public void Resumed()
    {
        // Only the timer changes the mark besides the consumer, and only from handed to cut: a failed exchange means cut.
        var handed = Volatile.Read(ref _handedAt);
        if (handed == Cut || Interlocked.CompareExchange(ref _handedAt, Reading, handed) != handed)
        {
            throw new TimeoutException(
                $"GuardedAI cut this stream: it was not read for {Denials.FormatDuration(_idleTimeout)}, so its reservation was settled with what had arrived. Read streams without pausing longer than that, or raise StreamIdleTimeout (GuardedAI:StreamIdleTimeoutSeconds).");
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    private void Expire()
    {
        var handed = Volatile.Read(ref _handedAt);
        if (handed == Cut) return;
        if (handed == Reading)
        {
            Arm(_idleTimeout);
            return;
        }
        var idle = TimeSpan.FromMilliseconds(NowMs() - handed);
        if (idle < _idleTimeout)
        {
            Arm(_idleTimeout - idle);
            return;
        }
        // The exact timestamp: a consumer that came back and was handed another update since is not cut for the first.
        if (Interlocked.CompareExchange(ref _handedAt, Cut, handed) == handed) _ = SettleAsync();
        else Arm(_idleTimeout);
    }

    private void Arm(TimeSpan due)
    {
        try
        {
            _timer.Change(Due(due), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The stream ended while the timer looked: nothing to watch.
        }
    }

    /// <summary>Milliseconds on a monotonic clock: the system's coarse tick count, or the time provider's timestamp.</summary>
    private long NowMs() => _systemClock ? Environment.TickCount64 : (long)(_clock.GetTimestamp() * 1000.0 / _clock.TimestampFrequency);

    private static TimeSpan Due(TimeSpan due) => due > LongestDue ? LongestDue : due;

    private async Task SettleAsync()
    {
        try
        {
            await _onAbandoned().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The engine logs a settlement it could not write; a timer thread has nobody to tell.
        }
    }
}
