using System.Globalization;
using GuardedAI.Retention;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Sqlite;

/// <summary>
/// Runs the SQLite ledger's retention (<c>GuardedAI:Sqlite:Retention</c>) in the background of a host
/// (<see cref="LedgerRetentionWorker{TLedger}"/>): each run on a thread-pool thread through
/// <see cref="SqliteLedgerRetention.Apply(string, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/>;
/// a run that fails (the file locked for longer than the busy timeout) is logged and the next interval tries again.
/// </summary>
internal sealed partial class SqliteRetentionWorker(RetentionTarget<string> target, TimeProvider time, ILogger<SqliteRetentionWorker> logger)
    : LedgerRetentionWorker<string>(target, time)
{
    protected override Task<RetentionReport> ApplyAsync(string path, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, CancellationToken cancellationToken) =>
        Task.Run(() => SqliteLedgerRetention.Apply(path, policy, now, keepFrom, cancellationToken), cancellationToken);

    protected override void LogRemoved(string path, RetentionReport report, DateTimeOffset started) =>
        Removed(logger, report.Records, report.AuditEntries, report.Segments, report.RollupRows, path, report.Batches,
            report.Plan.RawBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.Plan.RollupsBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            report.Plan.HeldBackBy ?? "nothing", started);

    protected override void LogFailed(string path, Exception exception, TimeSpan interval) => Failed(logger, exception, path, interval);

    [LoggerMessage(1111, LogLevel.Information, "GuardedAI retention removed {Records} usage records, {AuditEntries} audit entries ({Segments} whole chain segments) and {RollupRows} rollup rows from {Path} in {Batches} batches: raw records before {RawBefore}, rollups before {RollupsBefore} (held back by {HeldBackBy}); run at {Now:o}.")]
    private static partial void Removed(ILogger logger, long records, long auditEntries, long segments, long rollupRows, string path, int batches, string rawBefore, string rollupsBefore, string heldBackBy, DateTimeOffset now);

    [LoggerMessage(1112, LogLevel.Error, "GuardedAI retention of {Path} failed; it runs again in {Interval}.")]
    private static partial void Failed(ILogger logger, Exception exception, string path, TimeSpan interval);
}
