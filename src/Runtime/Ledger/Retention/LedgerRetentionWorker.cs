using Microsoft.Extensions.Hosting;

namespace GuardedAI.Retention;

/// <summary>
/// Runs a ledger's retention (<see cref="LedgerRetentionOptions"/>) in the background of a host: once the engine has
/// opened the ledger (<see cref="RetentionTarget{TLedger}"/>), then every interval on the engine's clock
/// (<see cref="TimeProvider"/>), never in a call. Each run removes in bounded batches through the store
/// (<see cref="ApplyAsync"/>) and the store logs what it removed with its own event ids; a run that fails (a file locked,
/// a database away) is logged and the next interval tries again.
/// </summary>
internal abstract class LedgerRetentionWorker<TLedger>(RetentionTarget<TLedger> target, TimeProvider time) : BackgroundService
{
    /// <summary>Applies <paramref name="policy"/> to <paramref name="ledger"/> at <paramref name="now"/>.</summary>
    protected abstract Task<RetentionReport> ApplyAsync(TLedger ledger, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, CancellationToken cancellationToken);

    /// <summary>Logs a run's removals.</summary>
    protected abstract void LogRemoved(TLedger ledger, RetentionReport report, DateTimeOffset started);

    /// <summary>Logs a run that failed.</summary>
    protected abstract void LogFailed(TLedger ledger, Exception exception, TimeSpan interval);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var (ledger, options) = await target.Ready.WaitAsync(stoppingToken).ConfigureAwait(false);
        if (options is null) return;
        var policy = options.ToPolicy();
        while (!stoppingToken.IsCancellationRequested)
        {
            // The next run is due an interval after this one started, however long it takes or when its log is read.
            var started = time.GetUtcNow();
            var next = started + options.Interval;
            try
            {
                LogRemoved(ledger, await ApplyAsync(ledger, policy, started, options.KeepFrom, stoppingToken).ConfigureAwait(false), started);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFailed(ledger, ex, options.Interval);
            }
            await UntilAsync(next, stoppingToken).ConfigureAwait(false);
        }
    }

    /// <summary>How far the clock may move between the worker reading it and starting a delay before the delay is
    /// started again: a delay ends at most this late.</summary>
    private static readonly TimeSpan Moment = TimeSpan.FromSeconds(1);

    /// <summary>Waits until <paramref name="due"/> on the engine's clock.</summary>
    /// <remarks>
    /// A delay measures its wait from the clock's time when it starts. When the clock moves on between the worker reading
    /// it and starting the delay (a test's fake clock advanced at that instant, a provider that jumps), the delay would
    /// end late by as much; a fake clock moved by the whole interval would hold the next run back for another interval.
    /// So the clock is read again once the delay has started, and a delay that would end more than a moment late is
    /// started again from the new time.
    /// </remarks>
    private async Task UntilAsync(DateTimeOffset due, CancellationToken stoppingToken)
    {
        while (true)
        {
            var wait = due - time.GetUtcNow();
            if (wait <= TimeSpan.Zero) return;
            using var restart = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(wait, time, restart.Token);
            if (due - time.GetUtcNow() >= wait - Moment)
            {
                await delay.ConfigureAwait(false);
                return;
            }
            // Cancelled, so its timer is released (a cancelled task raises nothing unobserved).
            await restart.CancelAsync().ConfigureAwait(false);
        }
    }
}

/// <summary>Where the worker learns which ledger the engine opened and its retention settings (null: none), once.</summary>
internal sealed class RetentionTarget<TLedger>
{
    private readonly TaskCompletionSource<(TLedger Ledger, LedgerRetentionOptions? Options)> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<(TLedger Ledger, LedgerRetentionOptions? Options)> Ready => _ready.Task;

    public void Set(TLedger ledger, LedgerRetentionOptions? options) => _ready.TrySetResult((ledger, options));
}
