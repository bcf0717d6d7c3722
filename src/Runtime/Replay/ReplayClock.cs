namespace GuardedAI.Replay;

/// <summary>
/// The clock of a what-if replay: it stands still at the time of the call being replayed and moves only forward, when
/// the replay moves it. Its timers never fire — a replay settles every call itself, so nothing needs sweeping.
/// </summary>
internal sealed class ReplayClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Volatile.Read(ref _ticks), TimeSpan.Zero);

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Moves to <paramref name="instant"/>; never back (records of one instant may come in any order).</summary>
    public void MoveTo(DateTimeOffset instant)
    {
        if (instant.UtcTicks > _ticks) Volatile.Write(ref _ticks, instant.UtcTicks);
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => StoppedTimer.Instance;

    private sealed class StoppedTimer : ITimer
    {
        public static readonly StoppedTimer Instance = new();
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>The ledger of a replay engine: it keeps nothing. The replay never writes to the live ledger, and a month of
/// records held twice in memory would be gigabytes.</summary>
internal sealed class DiscardingLedger : IUsageLedger
{
    public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }
}
