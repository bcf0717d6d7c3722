using System.Globalization;
using GuardedAI.Retention;
using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Runs the PostgreSQL ledger's retention (<c>GuardedAI:PostgreSql:Retention</c>) in the background of a host
/// (<see cref="LedgerRetentionWorker{TLedger}"/>) through <see cref="PostgreSqlLedgerRetention"/>; a run that fails (the
/// database away) is logged and the next interval tries again.
/// </summary>
internal sealed partial class PostgreSqlRetentionWorker(RetentionTarget<PostgreSqlLedgerOptions> target, TimeProvider time, ILogger<PostgreSqlRetentionWorker> logger)
    : LedgerRetentionWorker<PostgreSqlLedgerOptions>(target, time)
{
    protected override Task<RetentionReport> ApplyAsync(PostgreSqlLedgerOptions ledger, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, CancellationToken cancellationToken) =>
        PostgreSqlLedgerRetention.ApplyAsync(ledger, policy, now, keepFrom, cancellationToken);

    protected override void LogRemoved(PostgreSqlLedgerOptions ledger, RetentionReport report, DateTimeOffset started) =>
        Removed(logger, report.Records, report.AuditEntries, report.Segments, report.RollupRows, Location(ledger), report.Batches,
            report.Plan.RawBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.Plan.RollupsBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            report.Plan.HeldBackBy ?? "nothing", started);

    protected override void LogFailed(PostgreSqlLedgerOptions ledger, Exception exception, TimeSpan interval) => Failed(logger, exception, Location(ledger), interval);

    /// <summary>Where the ledger is, without the password.</summary>
    private static string Location(PostgreSqlLedgerOptions ledger) => PostgreSqlConnections.Describe(ledger.ConnectionString, ledger.Schema);

    [LoggerMessage(1911, LogLevel.Information, "GuardedAI retention removed {Records} usage records, {AuditEntries} audit entries ({Segments} whole chain segments) and {RollupRows} rollup rows from {Location} in {Batches} batches: raw records before {RawBefore}, rollups before {RollupsBefore} (held back by {HeldBackBy}); run at {Now:o}.")]
    private static partial void Removed(ILogger logger, long records, long auditEntries, long segments, long rollupRows, string location, int batches, string rawBefore, string rollupsBefore, string heldBackBy, DateTimeOffset now);

    [LoggerMessage(1912, LogLevel.Error, "GuardedAI retention of {Location} failed; it runs again in {Interval}.")]
    private static partial void Failed(ILogger logger, Exception exception, string location, TimeSpan interval);
}
