namespace GuardedAI;

/// <summary>
/// A counter store that is "down" while the ledger cannot write: its reservations fail with
/// <see cref="LedgerUnavailableException"/>, which the engine handles like any store outage — a
/// <see cref="AlertLevel.StoreUnavailable"/> alert, then <see cref="StoreFailureMode.FailClosed"/> denies calls with a
/// clear reason or <see cref="StoreFailureMode.FailOpen"/> goes on with the local fallback, and a
/// <see cref="AlertLevel.StoreRecovered"/> alert once the ledger writes again. Settlements always reach the inner store:
/// usage that happened is counted. <c>AddGuardedAI</c> puts it in front of the counters whenever the ledger is SQLite.
/// </summary>
public sealed class LedgerGatedCounterStore : IBudgetCounterStore, IAsyncDisposable
{
    private readonly IBudgetCounterStore _inner;
    private readonly ILedgerAvailability _ledger;

    /// <summary>Gates <paramref name="inner"/> on <paramref name="ledger"/>.</summary>
    public LedgerGatedCounterStore(IBudgetCounterStore inner, ILedgerAvailability ledger)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
    }

    /// <summary>The store that holds the counters.</summary>
    public IBudgetCounterStore Inner => _inner;

    /// <inheritdoc/>
    public CounterRestoreStrategy RestoreStrategy => _inner.RestoreStrategy;

    /// <inheritdoc/>
    public TimeSpan ReplayHorizon => _inner.ReplayHorizon;

    /// <inheritdoc/>
    /// <exception cref="LedgerUnavailableException">The ledger cannot write.</exception>
    public ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
    {
        if (!_ledger.IsAvailable) throw new LedgerUnavailableException(_ledger.UnavailableReason ?? "the usage ledger cannot write");
        return _inner.TryReserveAsync(reservation, cancellationToken);
    }

    /// <inheritdoc/>
    public ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default) =>
        _inner.SettleAsync(reservation, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => _inner.ReclaimExpiredAsync(now, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default) => _inner.ReadAsync(keys, cancellationToken);

    /// <inheritdoc/>
    public ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default) => _inner.AddAsync(charges, cancellationToken);

    /// <summary>Disposes the inner store.</summary>
    public ValueTask DisposeAsync() => _inner is IAsyncDisposable disposable ? disposable.DisposeAsync() : ValueTask.CompletedTask;
}

/// <summary>The usage ledger cannot write, so the engine treats its store as down.</summary>
public sealed class LedgerUnavailableException(string reason) : Exception($"The usage ledger cannot write: {reason}. Records wait in memory until it can.");
