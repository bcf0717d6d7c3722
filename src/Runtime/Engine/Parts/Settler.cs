namespace GuardedAI.Engine;

/// <summary>
/// Settles a lease: tells the breakers how the call went, prices the usage, writes the usage record (the ledger
/// first: it is the truth counters can be rebuilt from), replaces the reserved amounts with the actual ones in the
/// store, and lets the threshold monitor look at the new values.
/// </summary>
internal sealed class Settler
{
    private readonly EngineParts _parts;
    private readonly Func<string?, TokenUsage, decimal> _price;

    public Settler(EngineParts parts)
    {
        _parts = parts;
        _price = parts.Pricing.Cost; // one delegate, not one per settlement
    }

    /// <summary>Settles <paramref name="held"/>, which its caller has claimed; what was counted is left on it
    /// (<see cref="HeldReservation.Settlement"/>). A usage record object is made only for a ledger other than the in-memory
    /// one, which keeps the values in its own slots.</summary>
    /// <remarks>Not an async method: a settlement whose ledger and store both finish at once (the in-memory ones) runs
    /// here from start to end, its values in registers and on the stack. An async method kept them in its state machine,
    /// read and written through memory, whose start and end cost on every call (~10 % of a guarded call's samples); only a
    /// ledger or a store that has to wait continues in one (<see cref="AfterLedgerAsync"/>, <see cref="AfterStoreAsync"/>).</remarks>
    public ValueTask SettleAsync(HeldReservation held, LeaseOutcome outcome)
    {
        try
        {
            NotifyBreakers(held, outcome);
            var now = _parts.Time.GetUtcNow();
            // Nothing a provider reports is trusted: never negative, never absurd, never below what was counted.
            var settled = ReportedUsageSanitizer.Sanitize(outcome.Usage, outcome.ReportedByProvider, held.Estimate, held, _price);
            var usage = settled.Usage;
            var cost = settled.CostUsd;
            var actual = UsageAmounts.Of(held.Estimate.Kind, usage.InputTokens, usage.OutputTokens, cost);

            var record = Record(held, outcome, settled, now, out var ledgerError);
            if (record is not null) return AfterLedgerAsync(held, record, actual, usage, cost, outcome.ReportedByProvider, now);
            return Count(held, actual, ledgerError, usage, cost, outcome.ReportedByProvider, now);
        }
        catch (Exception ex)
        {
            // As the async method it replaces: a failure is the returned task's, never thrown at the caller.
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>The ledger's append could wait (any ledger but the in-memory one): the rest follows it.</summary>
    private async ValueTask AfterLedgerAsync(HeldReservation held, UsageRecord record, UsageAmounts actual, TokenUsage usage, decimal cost,
        bool reportedByProvider, DateTimeOffset now)
    {
        var ledgerError = await _parts.Recorder.AppendSettledAsync(record).ConfigureAwait(false);
        await Count(held, actual, ledgerError, usage, cost, reportedByProvider, now).ConfigureAwait(false);
    }

    /// <summary>Replaces the reserved amounts with <paramref name="actual"/> in the store, then <see cref="Counted"/> (whose
    /// ledger error is thrown here: both callers turn it into the returned task's).</summary>
    private ValueTask Count(HeldReservation held, in UsageAmounts actual, Exception? ledgerError, in TokenUsage usage, decimal cost,
        bool reportedByProvider, DateTimeOffset now)
    {
        held.SetActual(actual);
        ValueTask storing;
        try
        {
            storing = _parts.Store.SettleAsync(held);
        }
        catch (Exception ex)
        {
            storing = ValueTask.FromException(ex);
        }
        if (!storing.IsCompletedSuccessfully) return AfterStoreAsync(storing, held, actual, ledgerError, usage, cost, reportedByProvider, now);
        storing.GetAwaiter().GetResult();
        Counted(held, actual, ledgerError, usage, cost, reportedByProvider, now);
        return ValueTask.CompletedTask;
    }

    /// <summary>The store's settlement could wait (a remote store), or failed.</summary>
    private async ValueTask AfterStoreAsync(ValueTask storing, HeldReservation held, UsageAmounts actual, Exception? ledgerError, TokenUsage usage,
        decimal cost, bool reportedByProvider, DateTimeOffset now)
    {
        try
        {
            await storing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The usage is in the ledger; the store's lease returns the reservation and a restart replays the record.
            EngineLog.StoreSettleFailed(_parts.Logger, ex, held.Id);
            if (ledgerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ledgerError);
            return;
        }
        Counted(held, actual, ledgerError, usage, cost, reportedByProvider, now);
    }

    /// <summary>The store has counted the call: the ledger's error, if any, is thrown (the usage happened whatever the ledger
    /// says and is counted; the caller learns the record is not durable); otherwise a log line when it used more than was
    /// reserved, the threshold monitor's look at the counters and at the call, and the vocabularies' loads let go after a
    /// first call.</summary>
    private void Counted(HeldReservation held, in UsageAmounts actual, Exception? ledgerError, in TokenUsage usage, decimal cost, bool reportedByProvider, DateTimeOffset now)
    {
        if (ledgerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ledgerError);
        if (usage.InputTokens > held.Estimate.InputTokens || usage.OutputTokens > held.Estimate.OutputTokens)
        {
            EngineLog.UsedMoreThanReserved(_parts.Logger, held.Id, usage.InputTokens, usage.OutputTokens, held.Estimate.InputTokens, held.Estimate.OutputTokens);
        }
        var tenantPolicy = held.TenantPolicy;
        // The reserved charges name the same counters and limits as the settled ones; only their amounts differ.
        _parts.Thresholds.Evaluate(held, held.Policy, tenantPolicy, held.Companion, now);
        // The anomaly baseline takes the cost in the counters' nano-dollars, which the amounts already hold (a turn's amounts
        // carry no cost, so a turn settled with usage converts its cost on its own).
        var costUnits = held.Estimate.Kind == UsageKind.Turn ? BudgetUnits.ToUnits(BudgetDimension.CostUsd, cost) : actual.Units(BudgetDimension.CostUsd);
        _parts.Thresholds.Observe(held, usage, costUnits, reportedByProvider, tenantPolicy, now);
        // The process's first call is over: the vocabularies may load now without competing with it.
        _parts.VocabularyLoads.Open();
    }

    /// <summary>
    /// The settled call's record: its values, the shadow findings on them, the anomaly alert, metrics and span, what the
    /// lease's holder learns (<see cref="HeldReservation.Settlement"/>), and the in-memory ledger's copy. Any other ledger
    /// is given the record this returns (null when the in-memory ledger took the values).
    /// </summary>
    /// <remarks>Synchronous on purpose: an async method keeps its locals in its state machine, which a settlement on a
    /// remote store moves to the heap, and the values are the size of the record they replace.</remarks>
    // Not inlined: its record values (a struct of many references) made the settlement's state machine clear ~1.1 KB of
    // stack on every call.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private UsageRecord? Record(HeldReservation held, in LeaseOutcome outcome, in SettledUsage settled, DateTimeOffset now, out Exception? ledgerError)
    {
        var usage = settled.Usage;
        var reported = settled.Reported;
        var values = new UsageValues
        {
            Key = held.Key,
            Timestamp = held.StartedAt,
            Budget = held.Policy.Name,
            Tenant = held.Context.Tenant,
            Kind = held.Estimate.Kind,
            DegradedFrom = held.Context.DegradedFrom,
            ConversationId = held.Context.ConversationId,
            RunId = held.Context.RunId,
            Provider = held.Context.Provider,
            Model = held.Estimate.Model,
            InputTokens = usage.InputTokens,
            OutputTokens = usage.OutputTokens,
            CachedInputTokens = usage.CachedInputTokens,
            ReasoningTokens = usage.ReasoningTokens,
            ReservedInputTokens = held.Estimate.InputTokens,
            ReservedOutputTokens = held.Estimate.OutputTokens,
            ReservedCostUsd = held.Estimate.CostUsd,
            CostUsd = settled.CostUsd,
            UsageReported = outcome.ReportedByProvider,
            Duration = now - held.StartedAt,
            Status = outcome.Status,
            Reason = outcome.Reason,
            Tags = held.Context.Tags ?? UsageRecord.EmptyTags,
            PriceTableVersion = _parts.Pricing.Version,
            // What the provider said and what was wrong with it.
            CacheWriteInputTokens = usage.CacheWriteInputTokens,
            ReportedInputTokens = reported?.InputTokens,
            ReportedOutputTokens = reported?.OutputTokens,
            ReportedTotalTokens = reported?.ReportedTotalTokens,
            ReportedCachedInputTokens = reported?.CachedInputTokens,
            ReportedReasoningTokens = reported?.ReasoningTokens,
            Anomalies = settled.Describe(),
        };
        held.Annotate(ref values);
        settled.Alert(_parts.Alerts, values, now);
        RecordTelemetry(held, outcome, values, now);
        if (held.KeepsSettlement) held.Settlement = LeaseSettlement.Of(values);
        return _parts.Recorder.TryAppendSettled(values, out ledgerError) ? null : values.ToRecord(held.Id);
    }

    /// <summary>
    /// Counts a cost that was spent without a reservation — a tool's own cost, reported after the fact. It happened, so it
    /// is recorded and counted in full even when it takes a counter past its limit; the next reservation sees it.
    /// </summary>
    public async ValueTask<UsageRecord> RecordToolCostAsync(BudgetPolicy policy, ReservationContext context, string tool, decimal costUsd)
    {
        var now = _parts.Time.GetUtcNow();
        var tenantPolicy = context.Tenant is { } tenant ? _parts.Policies.GetTenant(tenant) : null;
        var charges = Charges.For(policy, tenantPolicy, UsageAmounts.Of(UsageKind.ToolCall, 0, 0, costUsd), context, now);
        var reservation = new CounterReservation(ReservationIds.Next(now).ToString(), charges, now);
        var record = new UsageRecord
        {
            Id = reservation.Id,
            Timestamp = now,
            Budget = policy.Name,
            Tenant = context.Tenant,
            Kind = UsageKind.ToolCall,
            ConversationId = context.ConversationId,
            RunId = context.RunId,
            Model = "tool:" + tool,
            CostUsd = costUsd,
            ReservedCostUsd = costUsd,
            UsageReported = true,
            Status = UsageStatus.Success,
            Reason = $"tool '{tool}' reported its own cost",
            Tags = context.Tags ?? UsageRecord.EmptyTags,
        };
        var ledgerError = await _parts.Recorder.AppendSettledAsync(record).ConfigureAwait(false);
        // A settlement of an id the store holds no lease for adds the amounts in full.
        await _parts.Store.SettleAsync(_parts.Store.Primary, reservation).ConfigureAwait(false);
        if (ledgerError is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ledgerError);
        _parts.Thresholds.Evaluate(reservation, policy, tenantPolicy, companion: null, now);
        return record;
    }

    /// <summary>Metrics and the call's span: the settlement happened, whatever the store says next.</summary>
    private void RecordTelemetry(HeldReservation held, in LeaseOutcome outcome, in UsageValues record, DateTimeOffset now)
    {
        var errorType = outcome.Status switch
        {
            UsageStatus.Success => null,
            UsageStatus.Failed => held.ErrorType ?? "_OTHER",
            _ => held.ErrorType ?? (outcome.Reason is { } reason && reason.Contains("abandoned", StringComparison.Ordinal) ? "abandoned" : "cancelled"),
        };
        _parts.Metrics.ReservationEnded(held.Policy.Name);
        _parts.Metrics.Settled(held, record, held.ResponseModel, errorType, held.Operation);
        CallTracing.Settled(held.Activity, record, held.ResponseModel, errorType, held.Operation, now);
    }

    private static void NotifyBreakers(HeldReservation held, in LeaseOutcome outcome)
    {
        foreach (var (breaker, isProbe) in held.Breakers)
        {
            switch (outcome.Status)
            {
                case UsageStatus.Success:
                    breaker.OnSuccess(isProbe);
                    break;
                case UsageStatus.Failed:
                    var settings = held.TenantPolicy is { } tenant && breaker.Scope == tenant.Name ? tenant.Breaker : held.Policy.Breaker;
                    if (outcome.RateLimitedFor is { } wait && settings.OpenOnProviderRateLimit) breaker.OnRateLimited(isProbe, settings, wait, outcome.Reason ?? "HTTP 429");
                    else breaker.OnFailure(isProbe, settings, outcome.Reason ?? "provider call failed");
                    break;
                default:
                    if (isProbe) breaker.AbandonProbe();
                    break;
            }
        }
    }
}
