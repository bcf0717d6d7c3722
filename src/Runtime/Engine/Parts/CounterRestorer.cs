namespace GuardedAI.Engine;

/// <summary>
/// Brings an engine's state up to date after a start. Breaker state is loaded from the breaker store. Counters
/// depend on the store (<see cref="IBudgetCounterStore.RestoreStrategy"/>): an in-process store gets the ledger's
/// totals of each known policy's current windows; a shared store (Redis) gets every record of the replay horizon
/// settled again, which its per-id memory makes idempotent, so a settlement a crash interrupted is counted once and
/// nothing twice. When the shared store is down at start, the replay runs again once it answers.
/// </summary>
internal sealed class CounterRestorer
{
    private readonly EngineParts _parts;
    private readonly object _gate = new();
    private Task<RestoreResult>? _restore;
    private int _replayPending;

    public CounterRestorer(EngineParts parts)
    {
        _parts = parts;
        parts.Store.Recovered += ReplayPendingAsync;
    }

    /// <summary>Runs once; later calls return the first result.</summary>
    public Task<RestoreResult> RestoreAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return _restore ??= RestoreAndExplainAsync(cancellationToken);
    }

    private async Task<RestoreResult> RestoreAndExplainAsync(CancellationToken cancellationToken)
    {
        var result = await RestoreCoreAsync(cancellationToken).ConfigureAwait(false);
        // A breaker restored open by a threshold names its limit and usage again, read from the counters just restored.
        await RestoredTripCauses.ExplainAsync(_parts, cancellationToken).ConfigureAwait(false);
        return result;
    }

    private async Task<RestoreResult> RestoreCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var breakers = 0;
        try
        {
            breakers = await _parts.Breakers.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A shared breaker store that is down must not stop the start; the sync timer reads it again.
            EngineLog.BreakerLoadFailed(_parts.Logger, ex);
        }
        var now = _parts.Time.GetUtcNow();
        var store = _parts.Store.Primary;
        var strategy = store.RestoreStrategy;
        if (strategy == CounterRestoreStrategy.None) return new RestoreResult(strategy, 0, 0, 0, breakers);

        var from = strategy == CounterRestoreStrategy.ReplaySettlements ? now - store.ReplayHorizon : EarliestWindowStart(now);
        if (from == now) return new RestoreResult(strategy, 0, 0, 0, breakers);

        var resets = strategy == CounterRestoreStrategy.SumLedger ? await LoadResetsAsync(from, cancellationToken).ConfigureAwait(false) : null;
        var sums = new Dictionary<CounterKey, CounterCharge>();
        int records = 0, replayed = 0, unknown = 0;
        await foreach (var record in _parts.Recorder.Ledger.QueryAsync(new UsageQuery { From = from }, cancellationToken).ConfigureAwait(false))
        {
            if (record.Status == UsageStatus.Denied) continue;
            records++;
            if (_parts.Policies.Get(record.Budget) is not { } policy)
            {
                unknown++;
                continue;
            }
            var tenantPolicy = record.Tenant is { } tenant ? _parts.Policies.GetTenant(tenant) : null;
            // The charges the call's settlement made: its windows are those of its start (the reservation time).
            var context = new ReservationContext { ConversationId = record.ConversationId, RunId = record.RunId };
            var charges = ShadowReserver.Settled(policy, tenantPolicy, record, UsageAmounts.Of(record.Kind, record.InputTokens, record.OutputTokens, record.CostUsd), context);
            if (strategy == CounterRestoreStrategy.ReplaySettlements)
            {
                try
                {
                    await store.SettleAsync(new CounterReservation(record.Id, charges, record.Timestamp), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Start anyway (the failure mode applies) and replay when the store is back; replay is idempotent.
                    Volatile.Write(ref _replayPending, 1);
                    _parts.Store.MarkDown(ex);
                    return new RestoreResult(strategy, records, replayed, unknown, breakers);
                }
                replayed++;
                continue;
            }
            foreach (var charge in charges)
            {
                if (charge.WindowEnd <= now) continue; // a window that is over
                if (resets is not null && resets.TryGetValue((charge.Key.Scope, charge.Key.Window, charge.Key.WindowStart), out var resetAt) && record.Timestamp < resetAt) continue;
                sums[charge.Key] = sums.TryGetValue(charge.Key, out var sum) ? sum with { Amount = sum.Amount + charge.Amount } : charge;
            }
        }

        if (strategy == CounterRestoreStrategy.SumLedger && sums.Count > 0) await store.AddAsync(sums.Values.ToArray(), cancellationToken).ConfigureAwait(false);
        if (unknown > 0) EngineLog.RestoreUnknownBudgets(_parts.Logger, unknown);
        var counters = strategy == CounterRestoreStrategy.SumLedger ? sums.Count : replayed;
        EngineLog.Restored(_parts.Logger, counters, records, strategy);
        return new RestoreResult(strategy, records, counters, unknown, breakers);
    }

    /// <summary>The latest reset of each window instance that starts at or after <paramref name="from"/>.</summary>
    private async Task<Dictionary<(string, BudgetWindow, DateTimeOffset), DateTimeOffset>?> LoadResetsAsync(DateTimeOffset from, CancellationToken cancellationToken)
    {
        if (_parts.CounterResets is not { } store) return null;
        var latest = new Dictionary<(string, BudgetWindow, DateTimeOffset), DateTimeOffset>();
        foreach (var reset in await store.LoadAsync(from, cancellationToken).ConfigureAwait(false))
        {
            var key = (reset.Scope, reset.Window, reset.WindowStart);
            if (!latest.TryGetValue(key, out var at) || reset.ResetAt > at) latest[key] = reset.ResetAt;
        }
        return latest;
    }

    private DateTimeOffset EarliestWindowStart(DateTimeOffset now)
    {
        var from = now;
        foreach (var policy in _parts.Policies.AllKnown())
        {
            foreach (var limit in policy.Limits.Concat(policy.Thresholds.SoftLimits))
            {
                // A conversation or run is restored when its records fall in a calendar window read anyway, or within its idle timeout.
                if (limit.Window.IsScope())
                {
                    if (now - policy.ScopeIdleTimeout < from) from = now - policy.ScopeIdleTimeout;
                    continue;
                }
                var start = WindowCalendar.Start(limit.Window, now, policy.Zone);
                if (start < from) from = start;
            }
        }
        return from;
    }

    /// <summary>Replays settlements that a store outage at start interrupted.</summary>
    private async Task ReplayPendingAsync()
    {
        if (Interlocked.Exchange(ref _replayPending, 0) == 0) return;
        try
        {
            Task<RestoreResult> replay;
            lock (_gate) replay = _restore = RestoreCoreAsync(CancellationToken.None);
            var result = await replay.ConfigureAwait(false);
            EngineLog.Replayed(_parts.Logger, result.Counters);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _replayPending, 1);
            EngineLog.ReplayFailed(_parts.Logger, ex);
        }
    }
}
