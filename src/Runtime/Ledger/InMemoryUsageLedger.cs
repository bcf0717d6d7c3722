using System.Runtime.CompilerServices;

namespace GuardedAI;

/// <summary>A ledger in process memory: fast, lost on exit. The default when no durable ledger is configured.</summary>
public sealed class InMemoryUsageLedger : IUsageLedger
{
    private readonly List<UsageRecord> _records = new();
    private readonly object _gate = new();

    /// <inheritdoc/>
    public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate) _records.Add(record);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var record in Snapshot())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (query.Matches(record)) yield return record;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>A copy of every record, oldest first.</summary>
    public IReadOnlyList<UsageRecord> Snapshot()
    {
        lock (_gate) return _records.ToArray();
    }
}
