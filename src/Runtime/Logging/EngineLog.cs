using Microsoft.Extensions.Logging;

namespace GuardedAI;

/// <summary>
/// The runtime's log messages. Event ids are stable and documented in <c>docs/logging.md</c>: 1000–1099 decisions and
/// settlement, 1100–1199 stores and the ledger, 1200–1299 breakers and restore, 1300–1399 pricing, 1400–1499 alerts.
/// </summary>
internal static partial class EngineLog
{
    [LoggerMessage(1001, LogLevel.Warning, "GuardedAI: call {Id} used {Input}/{Output} input/output tokens, more than the {EstimatedInput}/{EstimatedOutput} reserved; the difference is counted.")]
    public static partial void UsedMoreThanReserved(ILogger logger, string id, long input, long output, long estimatedInput, long estimatedOutput);

    [LoggerMessage(1002, LogLevel.Warning, "GuardedAI returned {Count} expired reservation(s) to the budget.")]
    public static partial void LeasesReclaimed(ILogger logger, int count);

    [LoggerMessage(1003, LogLevel.Error, "GuardedAI's lease sweep failed; it will run again.")]
    public static partial void SweepFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Warning, "GuardedAI: a client beneath budget {Budget}'s guard wrote to the ChatOptions the guard passed it (set: {Properties}); the guard no longer shares that instance with later calls. Clone options before changing them.")]
    public static partial void InnerClientChangedOptions(ILogger logger, string budget, string properties);

    [LoggerMessage(1101, LogLevel.Error, "GuardedAI's budget store is unreachable; mode {Mode}.")]
    public static partial void StoreDown(ILogger logger, Exception exception, StoreFailureMode mode);

    [LoggerMessage(1102, LogLevel.Warning, "GuardedAI's budget store is reachable again.")]
    public static partial void StoreUp(ILogger logger);

    [LoggerMessage(1103, LogLevel.Warning, "GuardedAI added {Count} call(s) settled on the local fallback during the outage to the budget store.")]
    public static partial void FallbackDrained(ILogger logger, int count);

    [LoggerMessage(1104, LogLevel.Error, "GuardedAI could not settle reservation {Id} in the counter store; the ledger has the record.")]
    public static partial void StoreSettleFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(1105, LogLevel.Error, "GuardedAI could not append usage record {Id} to the ledger; the counters still count it.")]
    public static partial void LedgerAppendFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(1106, LogLevel.Error, "GuardedAI could not record denied call {Id} in the ledger.")]
    public static partial void DeniedRecordFailed(ILogger logger, Exception exception, string id);

    [LoggerMessage(1201, LogLevel.Error, "GuardedAI could not load breaker state at start; it will read it again when the store answers.")]
    public static partial void BreakerLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(1202, LogLevel.Warning, "GuardedAI could not read shared breaker state; it will try again.")]
    public static partial void BreakerSyncFailed(ILogger logger, Exception exception);

    [LoggerMessage(1203, LogLevel.Information, "GuardedAI restored {Counters} counter(s) from {Records} ledger record(s) ({Strategy}).")]
    public static partial void Restored(ILogger logger, int counters, int records, CounterRestoreStrategy strategy);

    [LoggerMessage(1204, LogLevel.Warning, "GuardedAI restored no counters for {Count} ledger record(s) of budgets it does not know; register every budget before RestoreAsync.")]
    public static partial void RestoreUnknownBudgets(ILogger logger, int count);

    [LoggerMessage(1205, LogLevel.Warning, "GuardedAI replayed {Count} settlement(s) into the budget store after it came back.")]
    public static partial void Replayed(ILogger logger, int count);

    [LoggerMessage(1206, LogLevel.Error, "GuardedAI could not replay settlements into the budget store; it will try again.")]
    public static partial void ReplayFailed(ILogger logger, Exception exception);

    [LoggerMessage(1301, LogLevel.Warning, "GuardedAI has no price for model '{Model}'; it is priced at the default ${Input}/${Output} per 1M input/output tokens. Set its price under GuardedAI:Prices.")]
    public static partial void UnknownModelPrice(ILogger logger, string model, decimal input, decimal output);

    [LoggerMessage(1107, LogLevel.Error, "GuardedAI could not write usage record {Id} to {Sink}.")]
    public static partial void SecondaryLedgerFailed(ILogger logger, Exception exception, string id, string sink);

    [LoggerMessage(1108, LogLevel.Error, "GuardedAI found an incomplete last line in {Path}; it is kept and reported when the log is read.")]
    public static partial void IncompleteAuditLine(ILogger logger, string path);

    [LoggerMessage(1207, LogLevel.Error, "GuardedAI could not save the state of circuit breaker {Scope} ({State}); it holds in this instance.")]
    public static partial void BreakerSaveFailed(ILogger logger, Exception exception, string scope, CircuitBreakerState state);

    [LoggerMessage(1401, LogLevel.Error, "GuardedAI alert sink {Sink} failed to deliver a {Level} alert for {Scope}: {Reason}")]
    public static partial void AlertSinkFailed(ILogger logger, string sink, AlertLevel level, string scope, string reason);

    [LoggerMessage(1402, LogLevel.Error, "An alert observer threw.")]
    public static partial void AlertObserverFailed(ILogger logger, Exception exception);

    [LoggerMessage(1403, LogLevel.Warning, "GuardedAI could not check the shared alert de-duplication; delivering the {Level} alert for {Scope}.")]
    public static partial void AlertDedupFailed(ILogger logger, Exception exception, AlertLevel level, string scope);
}
