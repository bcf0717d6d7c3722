using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
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
    // Items are objects: a queue of tuples is generic code no ReadyToRun image holds, compiled when the engine is built.
    private readonly ConcurrentQueue<FallbackSettlement> _settledOnFallback = new();
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

    /// <summary>Whether the configured store is an in-memory one, which <see cref="TryReserveInMemory"/> reserves on at once.</summary>
    public bool IsInMemory => Primary is InMemoryBudgetCounterStore;

    /// <summary>Reserves on an in-memory primary store at once, with no task in between: false (and nothing reserved)
    /// when the primary is another store, which the caller then reserves on with <see cref="TryReserveAsync"/>. The default engine's path: a
    /// <c>ValueTask</c> of a tuple over GuardedAI's own structs is a dozen generic methods no ReadyToRun image can hold,
    /// compiled just in time on a process's first call.</summary>
    /// <remarks>The store that holds the reservation is set on it (<see cref="HeldReservation.Holder"/>).</remarks>
    public bool TryReserveInMemory(HeldReservation reservation, DateTimeOffset now, out CounterReserveResult result)
    {
        if (Primary is not InMemoryBudgetCounterStore memory)
        {
            result = default;
            return false;
        }
        reservation.Holder = memory;
        reservation.StoreReservation = reservation;
        result = memory.TryReserve(reservation, now);
        return true;
    }

    /// <summary>Reserves on the store, or on the fallback / not at all while it is down; for a store that
    /// <see cref="TryReserveInMemory"/> does not take (an in-memory one given here is called through its interface).</summary>
    /// <returns>The result and the store that holds the reservation (set on <paramref name="reservation"/> too, with the
    /// object it holds); a null store means the engine fails closed.</returns>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]   // awaited once by the engine; a remote store suspends it every call
    public async ValueTask<(CounterReserveResult Result, IBudgetCounterStore? Store)> TryReserveAsync(HeldReservation reservation, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _down) == 0 || _time.GetUtcNow().UtcTicks >= Interlocked.Read(ref _downUntilTicks))
        {
            try
            {
                var result = await Primary.TryReserveAsync(reservation, cancellationToken).ConfigureAwait(false);
                MarkUp();
                reservation.Holder = Primary;
                reservation.StoreReservation = reservation;
                return (result, Primary);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                MarkDown(ex);
            }
        }

        if (_settings.FailureMode != StoreFailureMode.FailOpen) return (default, null);
        CounterReservation local = reservation;
        if (_settings.FallbackLimitFraction < 1)
        {
            var charges = new CounterCharge[reservation.Count];
            for (var i = 0; i < charges.Length; i++) charges[i] = reservation[i] with { Limit = (long)Math.Floor(reservation[i].Limit * _settings.FallbackLimitFraction) };
            local = new CounterReservation(reservation.Id, charges, reservation.ExpiresAt);
        }
        var fallbackResult = _fallback.TryReserve(local, now);
        // The counters' values the engine reads are the reservation's own.
        if (!ReferenceEquals(local, reservation)) local.Values.CopyTo(reservation.Values);
        reservation.Holder = _fallback;
        reservation.StoreReservation = local;
        return (fallbackResult, _fallback);
    }

    /// <summary>Settles <paramref name="reservation"/> (its actual amounts set) on the store that holds it; the counters'
    /// values end up in the reservation's <see cref="CounterReservation.Values"/>.</summary>
    /// <exception cref="Exception">The store failed; it is marked down and the caller decides what that means.</exception>
    public ValueTask SettleAsync(HeldReservation reservation)
    {
        if (reservation.Holder is InMemoryBudgetCounterStore memory && ReferenceEquals(reservation.StoreReservation, reservation) && !ReferenceEquals(memory, _fallback))
        {
            memory.Settle(reservation);
            return ValueTask.CompletedTask;
        }
        return SettleHeldAsync(reservation);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SettleHeldAsync(HeldReservation reservation)
    {
        var held = reservation.StoreReservation;
        if (!ReferenceEquals(held, reservation)) CopyActual(reservation, held);
        await SettleAsync(reservation.Holder, held).ConfigureAwait(false);
        if (!ReferenceEquals(held, reservation)) held.Values.CopyTo(reservation.Values);
    }

    private static void CopyActual(CounterReservation from, CounterReservation to)
    {
        Span<long> actual = stackalloc long[from.Count];
        for (var i = 0; i < actual.Length; i++) actual[i] = from.ActualAmount(i);
        to.SetActualAmounts(actual);
    }

    /// <summary>Settles on the store that holds the reservation; fallback settlements are queued for the drain.</summary>
    /// <exception cref="Exception">The store failed; it is marked down and the caller decides what that means.</exception>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SettleAsync(IBudgetCounterStore holder, CounterReservation reservation)
    {
        try
        {
            await holder.SettleAsync(reservation).ConfigureAwait(false);
            if (ReferenceEquals(holder, _fallback)) _settledOnFallback.Enqueue(new FallbackSettlement(reservation.Id, Charges.Actual(reservation)));
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
                    await Primary.SettleAsync(new CounterReservation(item.Id, item.Charges, default)).ConfigureAwait(false);
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

/// <summary>Usage settled on an engine's in-memory fallback, to be added to its store when the store is back.</summary>
internal sealed class FallbackSettlement(string id, CounterCharge[] charges)
{
    public string Id { get; } = id;
    public CounterCharge[] Charges { get; } = charges;
}

/// <summary>The store-failure settings an engine copied from its options.</summary>
internal sealed record StoreSettings(StoreFailureMode FailureMode, TimeSpan RetryInterval, double FallbackLimitFraction);
