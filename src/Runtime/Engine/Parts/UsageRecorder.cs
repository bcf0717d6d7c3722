using Microsoft.Extensions.Logging;

namespace GuardedAI.Engine;

/// <summary>Writes the engine's usage records — settled and denied calls — to the ledger.</summary>
internal sealed class UsageRecorder
{
    private readonly IUsageLedger _ledger;
    private readonly InMemoryUsageLedger? _inMemory;
    private readonly ILogger _logger;

    public UsageRecorder(IUsageLedger ledger, ILogger logger)
    {
        _ledger = ledger;
        _inMemory = ledger as InMemoryUsageLedger;
        _logger = logger;
    }

    public IUsageLedger Ledger => _ledger;

    /// <summary>Appends a settled call's record; a failure is logged and returned, not thrown, so the counters still count it.</summary>
    public async ValueTask<Exception?> AppendSettledAsync(UsageRecord record)
    {
        try
        {
            await _ledger.AppendAsync(record).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex)
        {
            EngineLog.LedgerAppendFailed(_logger, ex, record.Id);
            return ex;
        }
    }

    /// <summary>Appends a settled call's values without a record object, when the ledger is the in-memory one (which keeps
    /// values, not records); false for any other ledger, which is given a record (<see cref="AppendSettledAsync"/>).
    /// <paramref name="error"/> is a failure, logged and not thrown, as there.</summary>
    public bool TryAppendSettled(in UsageValues values, out Exception? error)
    {
        error = null;
        if (_inMemory is null) return false;
        try
        {
            _inMemory.Append(values);
        }
        catch (Exception ex)
        {
            EngineLog.LedgerAppendFailed(_logger, ex, values.IdText);
            error = ex;
        }
        return true;
    }

    /// <summary>Records a denied call. The caller gets its answer at once: a ledger that is slow or down is not awaited.</summary>
    public void RecordDenied(BudgetDenial denial, string id, BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, DateTimeOffset now, string? priceTableVersion = null)
    {
        var append = _ledger.AppendAsync(new UsageRecord
        {
            Id = id,
            Timestamp = now,
            Budget = policy.Name,
            Tenant = context.Tenant,
            ConversationId = context.ConversationId,
            DegradedFrom = context.DegradedFrom,
            RunId = context.RunId,
            Provider = context.Provider,
            Model = estimate.Model,
            ReservedInputTokens = estimate.InputTokens,
            ReservedOutputTokens = estimate.OutputTokens,
            ReservedCostUsd = estimate.CostUsd,
            Status = UsageStatus.Denied,
            Reason = denial.Reason,
            Tags = context.Tags ?? UsageRecord.EmptyTags,
            PriceTableVersion = priceTableVersion,
        });
        if (!append.IsCompletedSuccessfully) _ = ObserveAsync(append, id);
    }

    private async Task ObserveAsync(ValueTask append, string id)
    {
        try { await append.ConfigureAwait(false); }
        catch (Exception ex) { EngineLog.DeniedRecordFailed(_logger, ex, id); }
    }
}
