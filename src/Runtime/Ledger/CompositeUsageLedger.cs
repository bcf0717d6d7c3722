using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// Writes every record to a primary ledger (the one queries read and counters are restored from) and to
/// secondary sinks such as a <see cref="JsonlUsageLedger"/> audit log. An append completes when the primary has
/// it; a secondary that fails is logged as an error with the record id and counted in
/// <see cref="SecondaryFailures"/>, and does not fail the call.
/// </summary>
public sealed class CompositeUsageLedger : IUsageLedger, IAsyncDisposable
{
    private readonly IUsageLedger[] _secondaries;
    private readonly ILogger _logger;
    private long _secondaryFailures;

    /// <summary>Creates the composite.</summary>
    public CompositeUsageLedger(IUsageLedger primary, IEnumerable<IUsageLedger> secondaries, ILogger? logger = null)
    {
        Primary = primary ?? throw new ArgumentNullException(nameof(primary));
        _secondaries = secondaries.ToArray();
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The ledger queries read.</summary>
    public IUsageLedger Primary { get; }

    /// <summary>The other sinks.</summary>
    public IReadOnlyList<IUsageLedger> Secondaries => _secondaries;

    /// <summary>Appends that a secondary sink failed.</summary>
    public long SecondaryFailures => Interlocked.Read(ref _secondaryFailures);

    /// <inheritdoc/>
    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        var primary = Primary.AppendAsync(record, cancellationToken);
        foreach (var secondary in _secondaries)
        {
            try
            {
                await secondary.AppendAsync(record, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _secondaryFailures);
                EngineLog.SecondaryLedgerFailed(_logger, ex, record.Id, secondary.GetType().Name);
            }
        }
        await primary.ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, CancellationToken cancellationToken = default) => Primary.QueryAsync(query, cancellationToken);

    /// <summary>Disposes every sink.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Primary is IAsyncDisposable primary) await primary.DisposeAsync().ConfigureAwait(false);
        foreach (var secondary in _secondaries)
        {
            if (secondary is IAsyncDisposable disposable) await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
