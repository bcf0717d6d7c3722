namespace GuardedAI.Engine;

/// <summary>
/// The engine's background work on its clock: the lease sweep (returns expired reservations to the budget and
/// forgets alert keys of ended windows) and, with a shared breaker store, the periodic re-read of breaker state.
/// </summary>
internal sealed class EngineTimers : IAsyncDisposable
{
    private readonly EngineParts _parts;
    private readonly ITimer _sweep;
    private readonly ITimer? _breakerSync;

    public EngineTimers(EngineParts parts, TimeSpan sweepInterval, TimeSpan breakerSyncInterval, bool syncBreakers)
    {
        _parts = parts;
        _sweep = parts.Time.CreateTimer(static state => _ = ((EngineTimers)state!).SweepAsync(), this, sweepInterval, sweepInterval);
        if (syncBreakers) _breakerSync = parts.Time.CreateTimer(static state => _ = ((EngineTimers)state!).SyncBreakersAsync(), this, breakerSyncInterval, breakerSyncInterval);
    }

    public async ValueTask<int> ReclaimExpiredAsync(CancellationToken cancellationToken)
    {
        var reclaimed = await _parts.Store.ReclaimExpiredAsync(_parts.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (reclaimed > 0) EngineLog.LeasesReclaimed(_parts.Logger, reclaimed);
        return reclaimed;
    }

    private async Task SweepAsync()
    {
        try
        {
            await ReclaimExpiredAsync(CancellationToken.None).ConfigureAwait(false);
            _parts.Thresholds.ForgetEndedWindows(_parts.Time.GetUtcNow());
        }
        catch (Exception ex)
        {
            EngineLog.SweepFailed(_parts.Logger, ex);
        }
    }

    private async Task SyncBreakersAsync()
    {
        try
        {
            // A breaker another instance opened by a threshold names its limit and usage here too.
            if (await _parts.Breakers.LoadAsync().ConfigureAwait(false) > 0) await RestoredTripCauses.ExplainAsync(_parts, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            EngineLog.BreakerSyncFailed(_parts.Logger, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        if (_breakerSync is not null) await _breakerSync.DisposeAsync().ConfigureAwait(false);
    }
}
