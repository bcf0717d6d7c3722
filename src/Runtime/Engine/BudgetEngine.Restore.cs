using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>What <see cref="BudgetEngine.RestoreAsync"/> did.</summary>
/// <param name="Strategy">How the counters were restored.</param>
/// <param name="Records">Ledger records read (denied calls excluded).</param>
/// <param name="Counters">Counters written (summed) or settlements replayed.</param>
/// <param name="UnknownBudgetRecords">Records of budgets the engine does not know, which could not be restored.</param>
/// <param name="Breakers">Breaker states taken from the breaker store.</param>
public sealed record RestoreResult(CounterRestoreStrategy Strategy, int Records, int Counters, int UnknownBudgetRecords, int Breakers);

public sealed partial class BudgetEngine
{
    private Task<RestoreResult>? _restore;

    /// <summary>
    /// Builds an engine and restores its state: breaker state from <see cref="BudgetEngineOptions.BreakerStateStore"/>
    /// and the counters of every current window from the ledger (see <see cref="RestoreAsync"/>). Use this, rather
    /// than the constructor, with a durable ledger: a restart mid-day then keeps today's spend.
    /// </summary>
    public static async Task<BudgetEngine> CreateAsync(BudgetEngineOptions options, CancellationToken cancellationToken = default)
    {
        var engine = new BudgetEngine(options);
        try
        {
            await engine.RestoreAsync(cancellationToken).ConfigureAwait(false);
            return engine;
        }
        catch
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Restores state after a start. Breaker state is loaded from the breaker store. Counters depend on the store
    /// (<see cref="IBudgetCounterStore.RestoreStrategy"/>): an in-process store gets the ledger's totals of each
    /// registered policy's (and tenant's) current windows; a shared store (Redis) gets every record of the replay
    /// horizon settled again, which its per-id memory makes idempotent, so a settlement a crash interrupted is
    /// counted once and nothing twice. Register policies before calling this. It runs once; later calls return the
    /// first result.
    /// </summary>
    public Task<RestoreResult> RestoreAsync(CancellationToken cancellationToken = default)
    {
        lock (_restoreGate) return _restore ??= RestoreCoreAsync(cancellationToken);
    }

    private readonly object _restoreGate = new();

    private async Task<RestoreResult> RestoreCoreAsync(CancellationToken cancellationToken)
    {
        await Task.Yield();
        var breakers = 0;
        try
        {
            breakers = await Breakers.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A shared breaker store that is down must not stop the start; the sync timer reads it again.
            _logger.LogError(ex, "GuardedAI could not load breaker state at start; it will read it again when the store answers.");
        }
        var now = TimeProvider.GetUtcNow();
        var strategy = Store.RestoreStrategy;
        if (strategy == CounterRestoreStrategy.None) return new RestoreResult(strategy, 0, 0, 0, breakers);

        DateTimeOffset from;
        if (strategy == CounterRestoreStrategy.ReplaySettlements)
        {
            from = now - Store.ReplayHorizon;
        }
        else
        {
            from = now;
            foreach (var policy in AllKnownPolicies())
            {
                foreach (var limit in policy.Limits)
                {
                    var start = WindowCalendar.Start(limit.Window, now, policy.TimeZone);
                    if (start < from) from = start;
                }
            }
            if (from == now) return new RestoreResult(strategy, 0, 0, 0, breakers);
        }

        var sums = new Dictionary<CounterKey, CounterCharge>();
        int records = 0, replayed = 0, unknown = 0;
        await foreach (var record in Ledger.QueryAsync(new UsageQuery { From = from }, cancellationToken).ConfigureAwait(false))
        {
            if (record.Status == UsageStatus.Denied) continue;
            records++;
            var policy = GetPolicy(record.Budget);
            if (policy is null)
            {
                unknown++;
                continue;
            }
            var tenantPolicy = record.Tenant is { } tenant ? GetTenantPolicy(tenant) : null;
            var actual = new UsageAmounts(1, record.InputTokens, record.OutputTokens, record.CostUsd);
            // The charges the call's settlement made: its windows are those of its start (the reservation time).
            var charges = BuildCharges(policy, tenantPolicy, actual, record.Timestamp);
            if (strategy == CounterRestoreStrategy.ReplaySettlements)
            {
                try
                {
                    await Store.SettleAsync(record.Id, charges, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // The store is down: start anyway (the failure mode applies) and replay when it is back; replay is idempotent.
                    Volatile.Write(ref _replayPending, 1);
                    MarkStoreDown(ex);
                    return new RestoreResult(strategy, records, replayed, unknown, breakers);
                }
                replayed++;
                continue;
            }
            foreach (var charge in charges)
            {
                if (charge.WindowEnd <= now) continue; // a window that is over
                sums[charge.Key] = sums.TryGetValue(charge.Key, out var sum) ? sum with { Amount = sum.Amount + charge.Amount } : charge;
            }
        }

        if (strategy == CounterRestoreStrategy.SumLedger && sums.Count > 0)
        {
            await Store.AddAsync(sums.Values.ToArray(), cancellationToken).ConfigureAwait(false);
        }
        if (unknown > 0)
        {
            _logger.LogWarning("GuardedAI restored no counters for {Count} ledger record(s) of budgets it does not know; register every budget before RestoreAsync.", unknown);
        }
        _logger.LogInformation("GuardedAI restored {Counters} counter(s) from {Records} ledger record(s) ({Strategy}).",
            strategy == CounterRestoreStrategy.SumLedger ? sums.Count : replayed, records, strategy);
        return new RestoreResult(strategy, records, strategy == CounterRestoreStrategy.SumLedger ? sums.Count : replayed, unknown, breakers);
    }

    private int _replayPending;

    /// <summary>Replays settlements that a store outage at start interrupted (called when the store is back).</summary>
    private async Task ReplayPendingAsync()
    {
        if (Interlocked.Exchange(ref _replayPending, 0) == 0) return;
        try
        {
            lock (_restoreGate) _restore = RestoreCoreAsync(CancellationToken.None);
            var result = await _restore.ConfigureAwait(false);
            _logger.LogWarning("GuardedAI replayed {Count} settlement(s) into the budget store after it came back.", result.Counters);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _replayPending, 1);
            _logger.LogError(ex, "GuardedAI could not replay settlements into the budget store; it will try again.");
        }
    }

    private IEnumerable<BudgetPolicy> AllKnownPolicies()
    {
        foreach (var policy in _policies.Values) yield return policy;
        foreach (var policy in _tenantPolicies.Values) yield return policy;
        if (_defaultTenantPolicy?.Invoke("*") is { } template) yield return template;
    }

    private void SyncBreakers()
    {
        _ = SyncAsync();

        async Task SyncAsync()
        {
            try
            {
                await Breakers.LoadAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "GuardedAI could not read shared breaker state; it will try again.");
            }
        }
    }
}
