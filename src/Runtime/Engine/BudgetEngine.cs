using GuardedAI.Reports;
namespace GuardedAI;

/// <summary>
/// The one place that decides whether a call may go ahead. <see cref="TryReserveAsync"/> checks the per-request caps,
/// the circuit breakers and every window limit of the call's budget and tenant, and holds the estimate against all of
/// them at once (all or none); the returned <see cref="BudgetLease"/> settles it with the actual usage. No counter is
/// ever pushed past its limit by a reservation, whatever the concurrency, and no global lock is taken on the way.
/// </summary>
/// <remarks>
/// A small façade: the policy registry, the resilient counter store, the breakers, the threshold monitor, the
/// settlement and the timers are separate internal parts (see <c>docs/architecture.md</c>). The options are copied
/// when the engine is built, and nothing the engine is given is changed by it.
/// </remarks>
public sealed class BudgetEngine : IAsyncDisposable
{
    private readonly EngineTimers _timers;
    private readonly CounterRestorer _restorer;
    private int _disposed;

    /// <summary>An engine with in-memory counters and ledger, the embedded price table and the system clock.</summary>
    public BudgetEngine() : this(new BudgetEngineOptions()) { }

    /// <summary>An engine assembled from a copy of <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it.</exception>
    public BudgetEngine(BudgetEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Parts = new EngineParts(options);
        _restorer = new CounterRestorer(Parts);
        _timers = new EngineTimers(Parts, options.LeaseSweepInterval, options.BreakerSyncInterval, options.BreakerStateStore is not null);
    }

    /// <summary>
    /// Builds an engine and restores its state (<see cref="RestoreAsync"/>). Use this rather than the constructor with a
    /// durable ledger: a restart mid-day then keeps today's spend.
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

    /// <summary>The engine's clock.</summary>
    public TimeProvider TimeProvider => Parts.Time;

    /// <summary>The usage ledger every settled and denied call is recorded in (reports read it).</summary>
    public IUsageLedger Ledger => Parts.Recorder.Ledger;

    /// <summary>The prices calls are charged at.</summary>
    public PriceCatalog Prices => Parts.Pricing.Catalog;

    /// <summary>The circuit breakers, one per scope: trip, reset, emergency stop.</summary>
    public CircuitBreakerRegistry Breakers => Parts.Breakers;

    /// <summary>The registered budgets.</summary>
    public IReadOnlyCollection<BudgetPolicy> Policies => Parts.Policies.Policies;

    internal EngineParts Parts { get; }

    /// <summary>Registers (or replaces) a budget by its name.</summary>
    public void AddPolicy(BudgetPolicy policy) => Parts.Policies.Add(policy);

    /// <summary>The budget registered under <paramref name="name"/>, or null.</summary>
    public BudgetPolicy? GetPolicy(string name) => Parts.Policies.Get(name);

    /// <summary>Sets the budget of tenant <paramref name="tenant"/>; calls carrying that tenant must fit it too.</summary>
    public void SetTenantPolicy(string tenant, BudgetPolicy policy) => Parts.Policies.SetTenant(tenant, policy);

    /// <summary>The budget of <paramref name="tenant"/>: its own, else the default tenant budget, else null.</summary>
    public BudgetPolicy? GetTenantPolicy(string tenant) => Parts.Policies.GetTenant(tenant);

    /// <summary>The scope name a tenant's counters are kept under.</summary>
    public static string TenantScope(string tenant) => PolicyRegistry.TenantScope(tenant);

    /// <summary>
    /// Reserves <paramref name="estimate"/> against <paramref name="policy"/> and, when the context names a tenant with a
    /// budget, against that too. Never throws for a denial: the lease says whether it was acquired and, if not, why.
    /// Every denial is recorded in the ledger.
    /// </summary>
    public ValueTask<BudgetLease> TryReserveAsync(BudgetPolicy policy, UsageEstimate estimate, ReservationContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return Parts.Reserver.TryReserveAsync(policy, estimate, context ?? ReservationContext.Empty, cancellationToken);
    }

    /// <summary>Counts the cost a tool reported for itself (a paid API a tool called) against <paramref name="policy"/> and the
    /// context's tenant, conversation and run. The cost was spent, so it is counted in full, past a limit if need be: the next
    /// reservation is what it stops. Inside a run guard, <see cref="BudgetScope.ReportToolCostAsync"/> does this.</summary>
    public ValueTask<UsageRecord> RecordToolCostAsync(BudgetPolicy policy, ReservationContext context, string tool, decimal costUsd)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        if (costUsd < 0) throw new ArgumentOutOfRangeException(nameof(costUsd), costUsd, $"Tool '{tool}' reported a negative cost.");
        return Parts.Settler.RecordToolCostAsync(policy, context, tool, costUsd);
    }

    /// <summary>An estimate for a call to <paramref name="model"/> of <paramref name="inputTokens"/> prompt tokens and at
    /// most <paramref name="maxOutputTokens"/> output tokens, priced with <see cref="Prices"/> (unknown models at the
    /// default price). For callers that do not use Microsoft.Extensions.AI.</summary>
    public UsageEstimate Estimate(string? model, long inputTokens, long maxOutputTokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutputTokens);
        return new UsageEstimate(model, inputTokens, maxOutputTokens, Parts.Pricing.Cost(model, new TokenUsage(inputTokens, maxOutputTokens)));
    }

    /// <summary>The tokens <paramref name="text"/> has in <paramref name="model"/>'s tokenizer (an upper-bound
    /// approximation for families without an offline tokenizer).</summary>
    public long CountTokens(string? model, string text) => Parts.Tokenizers.ForModel(model).CountText(text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>The usage of every calendar limit of <paramref name="policy"/> in its current window.</summary>
    public ValueTask<IReadOnlyList<LimitUsage>> GetUsageAsync(BudgetPolicy policy, CancellationToken cancellationToken = default) =>
        GetUsageAsync(policy, ReservationContext.Empty, cancellationToken);

    /// <summary>The usage of every limit of <paramref name="policy"/>: calendar limits in their current window, and the
    /// conversation and run limits of the conversation and run <paramref name="context"/> names.</summary>
    public ValueTask<IReadOnlyList<LimitUsage>> GetUsageAsync(BudgetPolicy policy, ReservationContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(context);
        return UsageReader.ReadAsync(Parts, policy, context, cancellationToken);
    }

    /// <summary>
    /// How much was spent in the current window (today by default): requests, input, output, cached and reasoning
    /// tokens and cost — every dimension, whether a limit counts it or not — for the records <see cref="SpendQuery.Filter"/>
    /// lets through (a budget, a tenant, a conversation, a model), in total and per <see cref="SpendQuery.GroupBy"/> group.
    /// Read from the ledger's records (settled calls; denied ones are counted as <see cref="UsageTotals.Denied"/> with no
    /// spend). <see cref="GetUsageAsync(BudgetPolicy, CancellationToken)"/> gives the limited dimensions' counters instead.
    /// </summary>
    public Task<CurrentSpend> GetSpendAsync(SpendQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new SpendQuery();
        ArgumentNullException.ThrowIfNull(query.Filter, "query.Filter");
        ArgumentNullException.ThrowIfNull(query.GroupBy, "query.GroupBy");
        foreach (var g in query.GroupBy)
        {
            if (g.Dimension == UsageDimension.Tag && string.IsNullOrEmpty(g.TagKey)) throw new ArgumentException("A tag grouping needs the tag's key.", nameof(query));
        }
        return SpendReader.ReadAsync(Parts, query, cancellationToken);
    }

    /// <summary>Returns reservations whose lease expired to the budget now (the engine also does this on a timer).</summary>
    public ValueTask<int> ReclaimExpiredReservationsAsync(CancellationToken cancellationToken = default) => _timers.ReclaimExpiredAsync(cancellationToken);

    /// <summary>Waits until every alert published so far has been handed to every sink (alerts are delivered off the
    /// call path; a demo or a shutdown step can wait for them).</summary>
    public Task FlushAlertsAsync(CancellationToken cancellationToken = default) => Parts.Alerts.FlushAsync(cancellationToken);

    /// <summary>
    /// Restores state after a start: breaker state from the breaker store, and the counters of every current window
    /// from the ledger (an in-process store gets the ledger's totals; a shared store gets recent settlements replayed,
    /// idempotently). Register policies first. Runs once; later calls return the first result.
    /// </summary>
    public Task<RestoreResult> RestoreAsync(CancellationToken cancellationToken = default) => _restorer.RestoreAsync(cancellationToken);

    /// <summary>Stops the timers, saves breaker state, delivers queued alerts and flushes and closes the ledger and store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _timers.DisposeAsync().ConfigureAwait(false);
        await Parts.Throttles.DisposeAsync().ConfigureAwait(false);
        if (Parts.HostPressure is { } hostPressure) await hostPressure.DisposeAsync().ConfigureAwait(false);
        await Parts.Breakers.DisposeAsync().ConfigureAwait(false);
        await Parts.Alerts.DisposeAsync().ConfigureAwait(false);
        if (Parts.Recorder.Ledger is IAsyncDisposable ledger) await ledger.DisposeAsync().ConfigureAwait(false);
        await Parts.Store.DisposeAsync().ConfigureAwait(false);
        foreach (var owned in Parts.OwnedResources) await owned.DisposeAsync().ConfigureAwait(false);
        Parts.Metrics.Dispose();
    }
}
