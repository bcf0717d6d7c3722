using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Runs the PostgreSQL ledger's retention (<see cref="PostgreSqlRetentionOptions"/>) in the background of a host: once
/// the engine has opened the ledger, then every interval on the engine's clock (<see cref="TimeProvider"/>), never in a
/// call. Each run removes in bounded batches (<see cref="PostgreSqlLedgerRetention"/>) and logs what it removed; a run
/// that fails (the database away) is logged and the next interval tries again.
/// </summary>
internal sealed partial class PostgreSqlRetentionWorker(PostgreSqlRetentionTarget target, TimeProvider time, ILogger<PostgreSqlRetentionWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (ledger, options) = await target.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        if (options is null) return;
        var policy = options.ToPolicy();
        var location = PostgreSqlConnections.Describe(ledger.ConnectionString, ledger.Schema);
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next run is due an interval after this one started, however long it takes.
            var started = time.GetUtcNow();
            var next = started + options.Interval;
            try
            {
                var report = await PostgreSqlLedgerRetention.ApplyAsync(ledger, policy, started, options.KeepFrom, stoppingToken).ConfigureAwait(false);
                Removed(logger, report.Records, report.AuditEntries, report.Segments, report.RollupRows, location, report.Batches,
                    report.Plan.RawBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), report.Plan.RollupsBefore.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                    report.Plan.HeldBackBy ?? "nothing", started);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Failed(logger, ex, location, options.Interval);
            }
            var wait = next - time.GetUtcNow();
            if (wait > TimeSpan.Zero) await Task.Delay(wait, time, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(1911, LogLevel.Information, "GuardedAI retention removed {Records} usage records, {AuditEntries} audit entries ({Segments} whole chain segments) and {RollupRows} rollup rows from {Location} in {Batches} batches: raw records before {RawBefore}, rollups before {RollupsBefore} (held back by {HeldBackBy}); run at {Now:o}.")]
    private static partial void Removed(ILogger logger, long records, long auditEntries, long segments, long rollupRows, string location, int batches, string rawBefore, string rollupsBefore, string heldBackBy, DateTimeOffset now);

    [LoggerMessage(1912, LogLevel.Error, "GuardedAI retention of {Location} failed; it runs again in {Interval}.")]
    private static partial void Failed(ILogger logger, Exception exception, string location, TimeSpan interval);
}

/// <summary>What the retention worker works on, known once the engine opened the ledger (the setup sets it when the host starts).</summary>
internal sealed class PostgreSqlRetentionTarget
{
    private readonly TaskCompletionSource<(PostgreSqlLedgerOptions Ledger, PostgreSqlRetentionOptions? Options)> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<(PostgreSqlLedgerOptions Ledger, PostgreSqlRetentionOptions? Options)> Ready => _ready.Task;

    public void Set(PostgreSqlLedgerOptions ledger, PostgreSqlRetentionOptions? options) => _ready.TrySetResult((ledger, options));
}
