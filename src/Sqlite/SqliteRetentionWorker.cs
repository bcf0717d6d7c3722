using System.Globalization;
using GuardedAI.Retention;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Sqlite;

/// <summary>
/// Runs the SQLite ledger's retention (<see cref="SqliteRetentionOptions"/>) in the background of a host: once the engine
/// has opened the ledger, then every interval on the engine's clock (<see cref="TimeProvider"/>), on a thread-pool thread,
/// never in a call. Each run removes in bounded batches (<see cref="SqliteLedgerRetention.Apply(string, RetentionPolicy, DateTimeOffset, DateTimeOffset?, CancellationToken)"/>)
/// and logs what it removed; a run that fails (the file locked for longer than the busy timeout) is logged and the next
/// interval tries again.
/// </summary>
internal sealed partial class SqliteRetentionWorker(SqliteRetentionTarget target, TimeProvider time, ILogger<SqliteRetentionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (path, options) = await target.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        if (options is null) return;
        var policy = options.ToPolicy();
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next run is due an interval after this one started, however long it takes or when its log is read.
            var started = time.GetUtcNow();
            var next = started + options.Interval;
            try
            {
                var report = await Task.Run(() => SqliteLedgerRetention.Apply(path, policy, started, options.KeepFrom, stoppingToken), stoppingToken).ConfigureAwait(false);
                Removed(logger, report.Records, report.AuditEntries, report.Segments, report.RollupRows, path, report.Batches,
                    report.Plan.RawBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.Plan.RollupsBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    report.Plan.HeldBackBy ?? "nothing", started);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Failed(logger, ex, path, options.Interval);
            }
            var wait = next - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(1111, LogLevel.Information, "GuardedAI retention removed {Records} usage records, {AuditEntries} audit entries ({Segments} whole chain segments) and {RollupRows} rollup rows from {Path} in {Batches} batches: raw records before {RawBefore}, rollups before {RollupsBefore} (held back by {HeldBackBy}); run at {Now:o}.")]
    private static partial void Removed(ILogger logger, long records, long auditEntries, long segments, long rollupRows, string path, int batches, string rawBefore, string rollupsBefore, string heldBackBy, DateTimeOffset now);

    [LoggerMessage(1112, LogLevel.Error, "GuardedAI retention of {Path} failed; it runs again in {Interval}.")]
    private static partial void Failed(ILogger logger, Exception exception, string path, TimeSpan interval);
}

/// <summary>What the retention worker works on, known once the engine opened the ledger (the setup sets it when the host starts).</summary>
internal sealed class SqliteRetentionTarget
{
    private readonly TaskCompletionSource<(string Path, SqliteRetentionOptions? Options)> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<(string Path, SqliteRetentionOptions? Options)> Ready => _ready.Task;

    public void Set(string path, SqliteRetentionOptions? options) => _ready.TrySetResult((path, options));
}
