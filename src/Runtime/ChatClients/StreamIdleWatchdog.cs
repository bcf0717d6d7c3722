namespace GuardedAI;

/// <summary>
/// Notices a stream whose consumer stopped reading. An async enumerator that is abandoned without being disposed
/// never runs its <c>finally</c>, so its reservation would be held until the lease ran out. The guard arms this
/// watchdog whenever it hands an update to the consumer and disarms it when the consumer asks for the next one; if
/// the consumer does not ask within the idle timeout, <c>onAbandoned</c> runs (the guard cuts the provider stream and
/// settles what arrived) and the stream, if read again, ends with a <see cref="TimeoutException"/>. Time spent waiting
/// for the provider never counts: only the consumer can be idle.
/// </summary>
internal sealed class StreamIdleWatchdog : IAsyncDisposable
{
    private const int Reading = 0;
    private const int Handed = 1;
    private const int Cut = 2;

    private readonly ITimer _timer;
    private readonly TimeSpan _idleTimeout;
    private readonly Func<ValueTask> _onAbandoned;
    private int _state;

    public StreamIdleWatchdog(TimeProvider clock, TimeSpan idleTimeout, Func<ValueTask> onAbandoned)
    {
        _idleTimeout = idleTimeout;
        _onAbandoned = onAbandoned;
        _timer = clock.CreateTimer(static state => ((StreamIdleWatchdog)state!).Expire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The idle timeout.</summary>
    public TimeSpan IdleTimeout => _idleTimeout;

    /// <summary>Call just before handing an update to the consumer.</summary>
    public void Handing()
    {
        Volatile.Write(ref _state, Handed);
        _timer.Change(_idleTimeout, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Call when the consumer asks for the next update.</summary>
    /// <exception cref="TimeoutException">The stream was cut while the consumer was away.</exception>
    public void Resumed()
    {
        _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _state, Reading, Handed) == Cut)
        {
            throw new TimeoutException(
                $"GuardedAI cut this stream: it was not read for {Denials.FormatDuration(_idleTimeout)}, so its reservation was settled with what had arrived. Read streams without pausing longer than that, or raise StreamIdleTimeout (GuardedAI:StreamIdleTimeoutSeconds).");
        }
    }

    public ValueTask DisposeAsync() => _timer.DisposeAsync();

    private void Expire()
    {
        if (Interlocked.CompareExchange(ref _state, Cut, Handed) == Handed) _ = SettleAsync();
    }

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
