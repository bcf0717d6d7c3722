using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// The one place that decides whether a call may go ahead. <see cref="ReserveAsync"/> checks the per-request caps,
/// the circuit breakers and every window limit of the budget and of the call's tenant, and increments all of
/// them atomically (all or none); <see cref="CommitAsync"/> replaces the estimate with the actual usage;
/// <see cref="ReleaseAsync"/> returns it when the call failed. No counter is ever pushed past its limit by a
/// reservation, whatever the concurrency, and no global lock is taken on the way.
/// </summary>
public sealed partial class BudgetEngine : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, BudgetPolicy> _policies = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BudgetPolicy> _tenantPolicies = new(StringComparer.Ordinal);
    private readonly Func<string, BudgetPolicy?>? _defaultTenantPolicy;
    private readonly IBudgetCounterStore _fallbackStore;
    private readonly ILogger _logger;
    private readonly ITimer _sweepTimer;
    private readonly ITimer? _breakerSyncTimer;
    private readonly ConcurrentQueue<(string Id, CounterCharge[] Charges)> _settledOnFallback = new();
    private int _draining;
    private long _storeDownUntilTicks;
    private int _storeDown;

    /// <summary>An engine with in-memory counters and ledger, the embedded price table and the system clock.</summary>
    public BudgetEngine() : this(new BudgetEngineOptions()) { }

    /// <summary>An engine assembled from <paramref name="options"/>.</summary>
    public BudgetEngine(BudgetEngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        TimeProvider = options.TimeProvider;
        _logger = options.LoggerFactory?.CreateLogger("GuardedAI.BudgetEngine") ?? NullLogger.Instance;
        Store = options.Store ?? new InMemoryBudgetCounterStore(TimeProvider);
        _fallbackStore = new InMemoryBudgetCounterStore(TimeProvider);
        Ledger = options.Ledger ?? new InMemoryUsageLedger();
        Prices = options.Prices ?? PriceCatalog.CreateDefault();
        if (options.LoggerFactory is not null) Prices.Logger = options.LoggerFactory.CreateLogger("GuardedAI.Pricing");
        Prices.UnknownModel += OnUnknownModel;
        Tokenizers = options.Tokenizers ?? new TokenCounterRegistry();
        if (options.FallbackLimitFraction is <= 0 or > 1 or double.NaN)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.FallbackLimitFraction, "FallbackLimitFraction must be in (0, 1].");
        }
        Breakers = new CircuitBreakerRegistry(TimeProvider, options.BreakerStateStore, _logger);
        Breakers.StateChanged += OnBreakerStateChanged;

        var sinks = new List<IBudgetAlertSink>(options.AlertSinks);
        if (options.LogAlerts) sinks.Insert(0, new LoggerAlertSink(options.LoggerFactory?.CreateLogger("GuardedAI.Alerts") ?? NullLogger.Instance));
        Alerts = new AlertDispatcher(sinks, _logger, 1024, options.AlertDedupStore);

        foreach (var policy in options.Policies) AddPolicy(policy);
        foreach (var (tenant, policy) in options.TenantPolicies) SetTenantPolicy(tenant, policy);
        _defaultTenantPolicy = options.DefaultTenantPolicy;

        _sweepTimer = TimeProvider.CreateTimer(static state => ((BudgetEngine)state!).Sweep(), this, options.LeaseSweepInterval, options.LeaseSweepInterval);
        if (options.BreakerStateStore is not null)
        {
            _breakerSyncTimer = TimeProvider.CreateTimer(static state => ((BudgetEngine)state!).SyncBreakers(), this, options.BreakerSyncInterval, options.BreakerSyncInterval);
        }
    }

    /// <summary>The options the engine was built from.</summary>
    public BudgetEngineOptions Options { get; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The counter store.</summary>
    public IBudgetCounterStore Store { get; }

    /// <summary>The usage ledger.</summary>
    public IUsageLedger Ledger { get; }

    /// <summary>Model prices.</summary>
    public PriceCatalog Prices { get; }

    /// <summary>Token counters by model.</summary>
    public TokenCounterRegistry Tokenizers { get; }

    /// <summary>Circuit breakers by scope.</summary>
    public CircuitBreakerRegistry Breakers { get; }

    /// <summary>Alert delivery.</summary>
    public AlertDispatcher Alerts { get; }

    /// <summary>Registers (or replaces) a policy by its name.</summary>
    public void AddPolicy(BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _policies[policy.Name] = policy;
    }

    /// <summary>The policy registered under <paramref name="name"/>, or null.</summary>
    public BudgetPolicy? GetPolicy(string name) => _policies.TryGetValue(name, out var p) ? p : null;

    /// <summary>The registered policies.</summary>
    public IReadOnlyCollection<BudgetPolicy> Policies => (IReadOnlyCollection<BudgetPolicy>)_policies.Values;

    /// <summary>Sets the budget of tenant <paramref name="tenant"/>; calls carrying that tenant must fit it too.</summary>
    public void SetTenantPolicy(string tenant, BudgetPolicy policy)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        ArgumentNullException.ThrowIfNull(policy);
        _tenantPolicies[tenant] = policy.Name == TenantScope(tenant) ? policy : policy.WithName(TenantScope(tenant));
    }

    /// <summary>The budget of <paramref name="tenant"/>, if it has one.</summary>
    public BudgetPolicy? GetTenantPolicy(string tenant)
    {
        if (_tenantPolicies.TryGetValue(tenant, out var policy)) return policy;
        if (_defaultTenantPolicy?.Invoke(tenant) is { } template)
        {
            return _tenantPolicies.GetOrAdd(tenant, t => template.Name == TenantScope(t) ? template : template.WithName(TenantScope(t)));
        }
        return null;
    }

    /// <summary>The scope name tenant counters are kept under.</summary>
    public static string TenantScope(string tenant) => "tenant:" + tenant;

    /// <summary>
    /// Reserves <paramref name="estimate"/> against <paramref name="policy"/> and, when the context names a tenant
    /// with a budget, against that too.
    /// </summary>
    /// <exception cref="BudgetExceededException">A cap, limit or breaker denies the call; the call was recorded as denied.</exception>
    public async ValueTask<BudgetReservation> ReserveAsync(BudgetPolicy policy, UsageEstimate estimate, ReservationContext? context = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        context ??= ReservationContext.Empty;
        var now = TimeProvider.GetUtcNow();
        var tenantPolicy = context.Tenant is { } tenant ? GetTenantPolicy(tenant) : null;

        CheckCaps(policy, estimate, context, now);
        if (tenantPolicy is not null) CheckCaps(tenantPolicy, estimate, context, now);

        var breakers = EnterBreakers(policy, tenantPolicy, estimate, context, now);
        var id = Guid.CreateVersion7(now).ToString("N");
        var charges = BuildCharges(policy, tenantPolicy, estimate.Amounts, now);
        var leaseEnd = now + ReservationLeaseDuration.For(Options, estimate);

        CounterReserveResult result;
        IBudgetCounterStore store;
        try
        {
            (result, store) = await ReserveInStoreAsync(id, charges, now, leaseEnd, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            AbandonProbes(breakers);
            throw;
        }

        if (!result.Success)
        {
            AbandonProbes(breakers);
            var charge = charges[result.FailedIndex];
            var scopePolicy = charge.Key.Scope == policy.Name ? policy : tenantPolicy!;
            var dimension = charge.Key.Dimension;
            var used = BudgetUnits.FromUnits(dimension, result.FailedCurrent);
            var limit = BudgetUnits.FromUnits(dimension, charge.Limit);
            var requested = estimate.Amounts.Amount(dimension);
            var retryAfter = charge.WindowEnd - now;
            var message = string.Create(CultureInfo.InvariantCulture,
                $"Budget '{charge.Key.Scope}' denied the call: the {charge.Key.Window.Describe()} {dimension.Describe()} limit is {dimension.Format(limit)}, {dimension.Format(used)} is used and this call needs {dimension.Format(requested)}. Retry after {FormatDuration(retryAfter)} (at {charge.WindowEnd:u}).");
            throw await DenyAsync(new BudgetExceededException(message, DenialKind.WindowLimit, scopePolicy.Name, dimension, charge.Key.Window, used, limit, requested, retryAfter),
                policy, estimate, context, now).ConfigureAwait(false);
        }

        return new BudgetReservation(this, id, policy, tenantPolicy, estimate, context, charges, store, breakers, now, leaseEnd);
    }

    /// <summary>Settles <paramref name="reservation"/> with the usage the provider reported (or that was counted).</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="usage">Actual tokens.</param>
    /// <param name="reportedByProvider">Whether the counts came from the provider.</param>
    /// <param name="status">How the call ended (Success, or Cancelled for a stream abandoned half-way).</param>
    /// <param name="reason">Why, for a status other than Success.</param>
    /// <param name="cancellationToken">Cancels waiting on the store; the settlement itself is not cancelled.</param>
    /// <returns>The usage record written, or null if the reservation was already settled.</returns>
    public ValueTask<UsageRecord?> CommitAsync(BudgetReservation reservation, TokenUsage usage, bool reportedByProvider = true,
        UsageStatus status = UsageStatus.Success, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        foreach (var (breaker, isProbe) in reservation.Breakers)
        {
            if (status == UsageStatus.Success) breaker.OnSuccess(isProbe);
            else if (isProbe) breaker.AbandonProbe();
        }
        return SettleAsync(reservation, usage, reportedByProvider, status, reason);
    }

    /// <summary>Settles a reservation whose call did not complete: the request counts, and so do
    /// <paramref name="consumed"/> tokens if any were (e.g. a stream that failed half-way).</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="status"><see cref="UsageStatus.Failed"/> for a provider failure (counts towards the breaker),
    /// <see cref="UsageStatus.Cancelled"/> for a caller's cancellation.</param>
    /// <param name="reason">Why.</param>
    /// <param name="consumed">Tokens consumed before the failure.</param>
    /// <returns>The usage record written, or null if the reservation was already settled.</returns>
    public ValueTask<UsageRecord?> ReleaseAsync(BudgetReservation reservation, UsageStatus status, string? reason, TokenUsage consumed = default)
    {
        ArgumentNullException.ThrowIfNull(reservation);
        foreach (var (breaker, isProbe) in reservation.Breakers)
        {
            if (status == UsageStatus.Failed) breaker.OnFailure(isProbe, BreakerSettingsFor(reservation, breaker), reason ?? "provider call failed");
            else if (isProbe) breaker.AbandonProbe();
        }
        return SettleAsync(reservation, consumed, reportedByProvider: false, status, reason);
    }

    /// <summary>The usage of every limit of <paramref name="policy"/> in its current window.</summary>
    public async ValueTask<IReadOnlyList<LimitUsage>> GetUsageAsync(BudgetPolicy policy, CancellationToken cancellationToken = default)
    {
        var now = TimeProvider.GetUtcNow();
        var keys = new List<CounterKey>(policy.Limits.Length);
        foreach (var limit in policy.Limits) keys.Add(new CounterKey(policy.Name, limit.Dimension, limit.Window, policy.GetWindowBounds(limit.Window, now).Start));
        var values = await Store.ReadAsync(keys, cancellationToken).ConfigureAwait(false);
        var result = new LimitUsage[keys.Count];
        for (var i = 0; i < keys.Count; i++)
        {
            var limit = policy.Limits[i];
            result[i] = new LimitUsage(policy.Name, limit, BudgetUnits.FromUnits(limit.Dimension, values[i]), keys[i].WindowStart, policy.GetWindowBounds(limit.Window, now).End);
        }
        return result;
    }

    /// <summary>Returns reservations whose lease expired to the budget now (the engine also does this on a timer).</summary>
    public async ValueTask<int> ReclaimExpiredReservationsAsync(CancellationToken cancellationToken = default)
    {
        var now = TimeProvider.GetUtcNow();
        var reclaimed = await Store.ReclaimExpiredAsync(now, cancellationToken).ConfigureAwait(false);
        reclaimed += await _fallbackStore.ReclaimExpiredAsync(now, cancellationToken).ConfigureAwait(false);
        if (reclaimed > 0) _logger.LogWarning("GuardedAI returned {Count} expired reservation(s) to the budget.", reclaimed);
        return reclaimed;
    }

    /// <summary>Stops the timers, saves breaker state, delivers queued alerts and flushes and closes the ledger and store.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _sweepTimer.DisposeAsync().ConfigureAwait(false);
        if (_breakerSyncTimer is not null) await _breakerSyncTimer.DisposeAsync().ConfigureAwait(false);
        await Breakers.DisposeAsync().ConfigureAwait(false);
        await Alerts.DisposeAsync().ConfigureAwait(false);
        if (Ledger is IAsyncDisposable ledger) await ledger.DisposeAsync().ConfigureAwait(false);
        if (Store is IAsyncDisposable store) await store.DisposeAsync().ConfigureAwait(false);
        foreach (var owned in Options.OwnedResources) await owned.DisposeAsync().ConfigureAwait(false);
    }

    private int _disposed;

    private async ValueTask<UsageRecord?> SettleAsync(BudgetReservation reservation, TokenUsage usage, bool reportedByProvider, UsageStatus status, string? reason)
    {
        if (!reservation.TrySettle()) return null;
        var now = TimeProvider.GetUtcNow();
        var settled = ReportedUsageSanitizer.Sanitize(usage, reportedByProvider, reservation.Estimate, reservation.Charges.Select(c => c.Key.Dimension), Prices);
        (usage, var cost) = (settled.Usage, settled.CostUsd);
        var actual = new UsageAmounts(1, usage.InputTokens, usage.OutputTokens, cost);

        var charges = new CounterCharge[reservation.Charges.Count];
        for (var i = 0; i < charges.Length; i++)
        {
            var reserved = reservation.Charges[i];
            charges[i] = reserved with { Amount = actual.Units(reserved.Key.Dimension) };
        }

        // The record goes to the ledger first: it is the truth counters can be rebuilt from.
        var record = new UsageRecord
        {
            Id = reservation.Id,
            Timestamp = reservation.StartedAt,
            Budget = reservation.Policy.Name,
            Tenant = reservation.Context.Tenant,
            Provider = reservation.Context.Provider,
            Model = reservation.Estimate.Model,
            InputTokens = usage.InputTokens,
            OutputTokens = usage.OutputTokens,
            CachedInputTokens = usage.CachedInputTokens,
            ReasoningTokens = usage.ReasoningTokens,
            EstimatedInputTokens = reservation.Estimate.InputTokens,
            EstimatedOutputTokens = reservation.Estimate.OutputTokens,
            EstimatedCostUsd = reservation.Estimate.CostUsd,
            CostUsd = cost,
            UsageReported = reportedByProvider,
            Duration = now - reservation.StartedAt,
            Status = status,
            Reason = reason,
            Tags = reservation.Context.Tags ?? UsageRecord.EmptyTags,
        };
        record = settled.Annotate(record);
        settled.Alert(Alerts, record, now);
        Exception? ledgerError = null;
        try
        {
            await Ledger.AppendAsync(record).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The usage happened whatever the ledger says: count it, then tell the caller the record is not durable.
            ledgerError = ex;
            _logger.LogError(ex, "GuardedAI could not append usage record {Id} to the ledger; the counters still count it.", reservation.Id);
        }

        IReadOnlyList<long> values;
        try
        {
            values = await reservation.Store.SettleAsync(reservation.Id, charges).ConfigureAwait(false);
            if (ReferenceEquals(reservation.Store, _fallbackStore)) _settledOnFallback.Enqueue((reservation.Id, charges));
        }
        catch (Exception ex)
        {
            // The usage is in the ledger; the store's lease will return the reservation and a restart replays the record.
            _logger.LogError(ex, "GuardedAI could not settle reservation {Id} in the counter store; the ledger has the record.", reservation.Id);
            MarkStoreDown(ex);
            if (ledgerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ledgerError);
            return record;
        }
        if (ledgerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ledgerError);

        if (usage.InputTokens > reservation.Estimate.InputTokens || usage.OutputTokens > reservation.Estimate.OutputTokens)
        {
            _logger.LogWarning("GuardedAI: call {Id} used {Input}/{Output} input/output tokens, more than the {EstInput}/{EstOutput} reserved; the difference is counted.",
                reservation.Id, usage.InputTokens, usage.OutputTokens, reservation.Estimate.InputTokens, reservation.Estimate.OutputTokens);
        }

        EvaluateThresholds(reservation, charges, values, now);
        return record;
    }

    private void CheckCaps(BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        if (policy.MaxInputTokens is { } maxInput && estimate.InputTokens > maxInput)
        {
            // Counting stops just past the cap, so a count of cap + 1 only says "more than the cap".
            var size = estimate.InputTokens > maxInput + 1L
                ? string.Create(CultureInfo.InvariantCulture, $"{estimate.InputTokens:#,0} tokens")
                : string.Create(CultureInfo.InvariantCulture, $"more than {maxInput:#,0} tokens");
            throw Deny(new BudgetExceededException(
                string.Create(CultureInfo.InvariantCulture, $"Budget '{policy.Name}' denied the call: the prompt has {size}, above the per-request cap of {maxInput:#,0} input tokens. Shorten the prompt; retrying will not help."),
                DenialKind.RequestCap, policy.Name, BudgetDimension.InputTokens, null, 0, maxInput, estimate.InputTokens, null), policy, estimate, context, now);
        }
        if (policy.MaxOutputTokens is { } maxOutput && estimate.OutputTokens > maxOutput)
        {
            throw Deny(new BudgetExceededException(
                string.Create(CultureInfo.InvariantCulture, $"Budget '{policy.Name}' denied the call: it asks for up to {estimate.OutputTokens:#,0} output tokens, above the per-request cap of {maxOutput:#,0}."),
                DenialKind.RequestCap, policy.Name, BudgetDimension.OutputTokens, null, 0, maxOutput, estimate.OutputTokens, null), policy, estimate, context, now);
        }
        if (policy.MaxRequestCostUsd is { } maxCost && estimate.CostUsd > maxCost)
        {
            throw Deny(new BudgetExceededException(
                string.Create(CultureInfo.InvariantCulture, $"Budget '{policy.Name}' denied the call: it could cost up to {BudgetDimension.CostUsd.Format(estimate.CostUsd)} ({estimate.InputTokens:#,0} input + {estimate.OutputTokens:#,0} output tokens of {estimate.Model ?? "the default model"}), above the per-request cap of {BudgetDimension.CostUsd.Format(maxCost)}. Lower MaxOutputTokens or shorten the prompt."),
                DenialKind.RequestCap, policy.Name, BudgetDimension.CostUsd, null, 0, maxCost, estimate.CostUsd, null), policy, estimate, context, now);
        }
    }

    private List<(CircuitBreaker, bool)> EnterBreakers(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        var entered = new List<(CircuitBreaker, bool)>(2);
        if (Breakers.GlobalStopReason is { } stop)
        {
            throw Deny(new BudgetExceededException($"GuardedAI denied the call: every budget is under an emergency stop ({stop}). An operator must reset it.",
                DenialKind.EmergencyStop, policy.Name, null, null, 0, 0, 0, null), policy, estimate, context, now);
        }
        foreach (var scope in tenantPolicy is null ? [policy.Name] : new[] { policy.Name, tenantPolicy.Name })
        {
            var breaker = Breakers.Get(scope);
            if (breaker.TryEnter(out var isProbe, out var retryAfter))
            {
                entered.Add((breaker, isProbe));
                continue;
            }
            AbandonProbes(entered);
            var emergency = breaker.State == CircuitBreakerState.EmergencyStopped;
            var message = emergency
                ? $"Budget '{scope}' denied the call: it is under an emergency stop ({breaker.Reason}). An operator must reset it."
                : $"Budget '{scope}' denied the call: its circuit breaker is open ({breaker.Reason}). Retry after {FormatDuration(retryAfter ?? TimeSpan.Zero)}.";
            // A breaker opened by a threshold names the limit that tripped it, like a window denial does.
            var trip = emergency ? null : breaker.TripCause;
            throw Deny(new BudgetExceededException(message, emergency ? DenialKind.EmergencyStop : DenialKind.BreakerOpen, scope,
                    trip?.Dimension, trip?.Window, trip?.Used ?? 0, trip?.Limit ?? 0, trip is null ? 0 : estimate.Amounts.Amount(trip.Dimension), retryAfter),
                policy, estimate, context, now);
        }
        return entered;
    }

    private static void AbandonProbes(IEnumerable<(CircuitBreaker Breaker, bool IsProbe)> breakers)
    {
        foreach (var (breaker, isProbe) in breakers)
        {
            if (isProbe) breaker.AbandonProbe();
        }
    }

    private static CounterCharge[] BuildCharges(BudgetPolicy policy, BudgetPolicy? tenantPolicy, UsageAmounts amounts, DateTimeOffset now)
    {
        var charges = new CounterCharge[policy.Limits.Length + (tenantPolicy?.Limits.Length ?? 0)];
        var i = 0;
        foreach (var p in tenantPolicy is null ? [policy] : new[] { policy, tenantPolicy })
        {
            foreach (var limit in p.Limits)
            {
                var (start, end) = p.GetWindowBounds(limit.Window, now);
                charges[i++] = new CounterCharge(new CounterKey(p.Name, limit.Dimension, limit.Window, start), amounts.Units(limit.Dimension),
                    BudgetUnits.ToUnits(limit.Dimension, limit.Amount), end);
            }
        }
        return charges;
    }

    private async ValueTask<(CounterReserveResult, IBudgetCounterStore)> ReserveInStoreAsync(string id, CounterCharge[] charges, DateTimeOffset now, DateTimeOffset leaseEnd, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _storeDown) == 0 || now.UtcTicks >= Interlocked.Read(ref _storeDownUntilTicks))
        {
            try
            {
                var result = await Store.TryReserveAsync(id, charges, leaseEnd, cancellationToken).ConfigureAwait(false);
                MarkStoreUp();
                return (result, Store);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                MarkStoreDown(ex);
            }
        }

        if (Options.StoreFailureMode == StoreFailureMode.FailOpen)
        {
            var local = charges;
            if (Options.FallbackLimitFraction < 1)
            {
                local = new CounterCharge[charges.Length];
                for (var i = 0; i < charges.Length; i++) local[i] = charges[i] with { Limit = (long)Math.Floor(charges[i].Limit * Options.FallbackLimitFraction) };
            }
            return (await _fallbackStore.TryReserveAsync(id, local, leaseEnd, cancellationToken).ConfigureAwait(false), _fallbackStore);
        }
        throw new BudgetExceededException(
            $"GuardedAI denied the call: the budget store ({Store.GetType().Name}) is down (unreachable) and the engine fails closed. Calls resume when the store is back.",
            DenialKind.StoreUnavailable, charges.Length > 0 ? charges[0].Key.Scope : "(none)", null, null, 0, 0, 0, Options.StoreRetryInterval);
    }

    private void MarkStoreDown(Exception ex)
    {
        Interlocked.Exchange(ref _storeDownUntilTicks, (TimeProvider.GetUtcNow() + Options.StoreRetryInterval).UtcTicks);
        if (Interlocked.Exchange(ref _storeDown, 1) == 0)
        {
            _logger.LogError(ex, "GuardedAI's budget store is unreachable; mode {Mode}.", Options.StoreFailureMode);
            Alerts.Publish(new BudgetAlert(AlertLevel.StoreUnavailable, "(store)", null, null, 0, 0, 0,
                $"The budget store is unreachable ({ex.GetType().Name}: {ex.Message}). " + (Options.StoreFailureMode == StoreFailureMode.FailOpen
                    ? "Failing open: limits are enforced per instance on a local fallback until it is back."
                    : "Failing closed: calls are denied until it is back."),
                TimeProvider.GetUtcNow()));
        }
    }

    private void MarkStoreUp()
    {
        if (Volatile.Read(ref _storeDown) == 1 && Interlocked.Exchange(ref _storeDown, 0) == 1)
        {
            _logger.LogWarning("GuardedAI's budget store is reachable again.");
            Alerts.Publish(new BudgetAlert(AlertLevel.StoreRecovered, "(store)", null, null, 0, 0, 0,
                "The budget store is reachable again; limits are enforced on it.", TimeProvider.GetUtcNow()));
            if (!_settledOnFallback.IsEmpty) _ = DrainFallbackAsync();
            if (Volatile.Read(ref _replayPending) != 0) _ = ReplayPendingAsync();
        }
    }

    /// <summary>Adds the usage settled on the local fallback during an outage to the store, so its counters include it.</summary>
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
                    await Store.SettleAsync(item.Id, item.Charges).ConfigureAwait(false);
                    moved++;
                }
                catch (Exception ex)
                {
                    _settledOnFallback.Enqueue(item);
                    MarkStoreDown(ex);
                    break;
                }
            }
            if (moved > 0) _logger.LogWarning("GuardedAI added {Count} call(s) settled on the local fallback during the outage to the budget store.", moved);
        }
        finally
        {
            Volatile.Write(ref _draining, 0);
        }
    }

    private BudgetExceededException Deny(BudgetExceededException denial, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        // Denials are recorded synchronously for the in-memory ledger and fire-and-forget otherwise: the caller gets its answer at once.
        var append = Ledger.AppendAsync(DeniedRecord(denial, policy, estimate, context, now));
        if (!append.IsCompletedSuccessfully) _ = ObserveAsync(append);
        return denial;
    }

    private async ValueTask<BudgetExceededException> DenyAsync(BudgetExceededException denial, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now)
    {
        await Ledger.AppendAsync(DeniedRecord(denial, policy, estimate, context, now)).ConfigureAwait(false);
        return denial;
    }

    private async Task ObserveAsync(ValueTask append)
    {
        try { await append.ConfigureAwait(false); }
        catch (Exception ex) { _logger.LogError(ex, "GuardedAI could not record a denied call."); }
    }

    private static UsageRecord DeniedRecord(BudgetExceededException denial, BudgetPolicy policy, UsageEstimate estimate, ReservationContext context, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now).ToString("N"),
        Timestamp = now,
        Budget = policy.Name,
        Tenant = context.Tenant,
        Provider = context.Provider,
        Model = estimate.Model,
        EstimatedInputTokens = estimate.InputTokens,
        EstimatedOutputTokens = estimate.OutputTokens,
        EstimatedCostUsd = estimate.CostUsd,
        Status = UsageStatus.Denied,
        Reason = denial.Message,
        Tags = context.Tags ?? UsageRecord.EmptyTags,
    };

    private static BreakerSettings BreakerSettingsFor(BudgetReservation reservation, CircuitBreaker breaker) =>
        reservation.TenantPolicy is { } tenant && breaker.Scope == tenant.Name ? tenant.Breaker : reservation.Policy.Breaker;

    private void Sweep()
    {
        _ = SweepAsync();

        async Task SweepAsync()
        {
            try
            {
                await ReclaimExpiredReservationsAsync().ConfigureAwait(false);
                var now = TimeProvider.GetUtcNow().UtcTicks;
                Alerts.ForgetKeys(key => AlertKeys.WindowEndTicks(key) is { } end && end < now);
            }
            catch (Exception ex)
            {
                _logger.LogError(ex, "GuardedAI's lease sweep failed; it will run again.");
            }
        }
    }

    internal static string FormatDuration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "0s";
        if (span.TotalDays >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m");
        if (span.TotalHours >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours}h {span.Minutes}m {span.Seconds}s");
        if (span.TotalMinutes >= 1) return string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m {span.Seconds}s");
        return string.Create(CultureInfo.InvariantCulture, $"{Math.Ceiling(span.TotalSeconds)}s");
    }
}
