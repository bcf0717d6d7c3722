using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Engine;

/// <summary>
/// The engine's view of its counter store: the configured store, and what happens when it cannot be reached.
/// After a failure the store is not asked again for <see cref="StoreSettings.RetryInterval"/>; meanwhile
/// <see cref="StoreFailureMode.FailClosed"/> denies and <see cref="StoreFailureMode.FailOpen"/> reserves on a local
/// in-memory fallback with a fraction of each limit. Usage settled on the fallback is added to the store when it is
/// back (drained), and an alert goes out when the store goes down and when it recovers.
/// </summary>
internal sealed class ResilientCounterStore : IAsyncDisposable
{
    private readonly InMemoryBudgetCounterStore _fallback;
    private readonly StoreSettings _settings;
    private readonly TimeProvider _time;
    private readonly AlertDispatcher _alerts;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<(string Id, CounterCharge[] Charges)> _settledOnFallback = new();
    private long _downUntilTicks;
    private int _down;
    private int _draining;

    public ResilientCounterStore(IBudgetCounterStore primary, StoreSettings settings, TimeProvider time, AlertDispatcher alerts, ILogger logger)
    {
        Primary = primary;
        _settings = settings;
        _time = time;
        _alerts = alerts;
        _logger = logger;
        _fallback = new InMemoryBudgetCounterStore(time);
    }

    /// <summary>The configured store.</summary>
    public IBudgetCounterStore Primary { get; }

    /// <summary>Raised (off the call path) when the store answers again after an outage.</summary>
    public event Func<Task>? Recovered;

    /// <summary>Reserves on the store, or on the fallback / not at all while it is down.</summary>
    /// <returns>The result and the store that holds the reservation; a null store means the engine fails closed.</returns>
    /// <remarks>An in-memory store is called directly with <paramref name="now"/>, the time the engine already read.</remarks>
    public async ValueTask<(CounterReserveResult Result, IBudgetCounterStore? Store)> TryReserveAsync(
        string id, CounterCharge[] charges, DateTimeOffset leaseEnd, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Primary is InMemoryBudgetCounterStore memory) return (memory.TryReserve(id, charges, leaseEnd, now, values: null), Primary);
        if (Volatile.Read(ref _down) == 0 || _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _downUntilTicks))
        {
            try
            {
                var result = await Primary.TryReserveAsync(id, charges, leaseEnd, cancellationToken).ConfigureAwait(false);
                MarkUp();
                return (result, Primary);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                MarkDown(ex);
            }
        }

        if (_settings.FailureMode != StoreFailureMode.FailOpen) return (default, null);
        var local = charges;
        if (_settings.FallbackLimitFraction < 1)
        {
            local = new CounterCharge[charges.Length];
            for (var i = 0; i < charges.Length; i++) local[i] = charges[i] with { Limit = (long)Math.Floor(charges[i].Limit * _settings.FallbackLimitFraction) };
        }
        return (_fallback.TryReserve(id, local, leaseEnd, now, values: null), _fallback);
    }

    /// <summary>Settles the reservation of <paramref name="reserved"/> with the <paramref name="actual"/> amounts; the
    /// counters' values go to <paramref name="values"/> (at least as long as the charges). An in-memory store is settled
    /// without building the actual charges.</summary>
    /// <exception cref="Exception">The store failed; it is marked down and the caller decides what that means.</exception>
    public ValueTask SettleAsync(IBudgetCounterStore holder, string id, CounterCharge[] reserved, UsageAmounts actual, long[] values)
    {
        if (holder is InMemoryBudgetCounterStore memory)
        {
            memory.Settle(id, reserved, actual, useAmounts: true, values);
            if (ReferenceEquals(holder, _fallback)) _settledOnFallback.Enqueue((id, Charges.WithAmounts(reserved, actual)));
            return ValueTask.CompletedTask;
        }
        return SettleRemoteAsync(holder, id, Charges.WithAmounts(reserved, actual), values);
    }

    private async ValueTask SettleRemoteAsync(IBudgetCounterStore holder, string id, CounterCharge[] charges, long[] values)
    {
        var settled = await SettleAsync(holder, id, charges).ConfigureAwait(false);
        for (var i = 0; i < settled.Count && i < values.Length; i++) values[i] = settled[i];
    }

    /// <summary>Settles on the store that holds the reservation; fallback settlements are queued for the drain.</summary>
    /// <exception cref="Exception">The store failed; it is marked down and the caller decides what that means.</exception>
    public async ValueTask<IReadOnlyList<long>> SettleAsync(IBudgetCounterStore holder, string id, CounterCharge[] charges)
    {
        try
        {
            var values = await holder.SettleAsync(id, charges).ConfigureAwait(false);
            if (ReferenceEquals(holder, _fallback)) _settledOnFallback.Enqueue((id, charges));
            return values;
        }
        catch (Exception ex)
        {
            MarkDown(ex);
            throw;
        }
    }

    public async ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var reclaimed = await Primary.ReclaimExpiredAsync(now, cancellationToken).ConfigureAwait(false);
        return reclaimed + await _fallback.ReclaimExpiredAsync(now, cancellationToken).ConfigureAwait(false);
    }

    public void MarkDown(Exception ex)
    {
        Interlocked.Exchange(ref _downUntilTicks, (_time.GetUtcNow() + _settings.RetryInterval).UtcTicks);
        if (Interlocked.Exchange(ref _down, 1) != 0) return;
        EngineLog.StoreDown(_logger, ex, _settings.FailureMode);
        _alerts.Publish(new BudgetAlert(AlertLevel.StoreUnavailable, "(store)", null, null, 0, 0, 0,
            $"The budget store is unreachable ({ex.GetType().Name}: {ex.Message}). " + (_settings.FailureMode == StoreFailureMode.FailOpen
                ? "Failing open: limits are enforced per instance on a local fallback until it is back."
                : "Failing closed: calls are denied until it is back."),
            _time.GetUtcNow()));
    }

    private void MarkUp()
    {
        if (Volatile.Read(ref _down) == 0 || Interlocked.Exchange(ref _down, 0) == 0) return;
        EngineLog.StoreUp(_logger);
        _alerts.Publish(new BudgetAlert(AlertLevel.StoreRecovered, "(store)", null, null, 0, 0, 0,
            "The budget store is reachable again; limits are enforced on it.", _time.GetUtcNow()));
        if (!_settledOnFallback.IsEmpty) _ = DrainFallbackAsync();
        if (Recovered is { } recovered) _ = recovered();
    }

    /// <summary>Adds the usage settled on the fallback during the outage to the store, so its counters include it.</summary>
    private async Task DrainFallbackAsync()
    {
        if (Interlocked.Exchange(ref _draining, 1) != 0) return;
        try
        {
            var moved = 0;
            while (_settledOnFallback.TryDequeue(out var item))
            {
                try
                {
                    // Settling an id the store holds no lease for adds the amounts in full (and, in Redis, remembers the id).
                    await Primary.SettleAsync(item.Id, item.Charges).ConfigureAwait(false);
                    moved++;
                }
                catch (Exception ex)
                {
                    _settledOnFallback.Enqueue(item);
                    MarkDown(ex);
                    break;
                }
            }
            if (moved > 0) EngineLog.FallbackDrained(_logger, moved);
        }
        finally
        {
            Volatile.Write(ref _draining, 0);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Primary is IAsyncDisposable store) await store.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>The store-failure settings an engine copied from its options.</summary>
internal sealed record StoreSettings(StoreFailureMode FailureMode, TimeSpan RetryInterval, double FallbackLimitFraction);
