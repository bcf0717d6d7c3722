namespace GuardedAI;

/// <summary>Conveniences over <see cref="IUsageLedger"/>.</summary>
public static class UsageLedgerExtensions
{
    /// <summary>Every record in the ledger, oldest first (reads the whole ledger: for samples, tests and small ledgers).</summary>
    public static IReadOnlyList<UsageRecord> Snapshot(this IUsageLedger ledger)
    {
        if (ledger is InMemoryUsageLedger memory) return memory.Snapshot();
        return ledger.ReadAllAsync(UsageQuery.All).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>The records matching <paramref name="query"/> as a list.</summary>
    public static async ValueTask<IReadOnlyList<UsageRecord>> ReadAllAsync(this IUsageLedger ledger, UsageQuery query, CancellationToken cancellationToken = default)
    {
        var list = new List<UsageRecord>();
        await foreach (var record in ledger.QueryAsync(query, cancellationToken).ConfigureAwait(false)) list.Add(record);
        return list;
    }
}
