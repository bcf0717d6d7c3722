using GuardedAI.Reports;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Finds how to read the running engine's ledger through <see cref="IUsageLedgerQueries"/>, the one way readers read
/// any store: an <see cref="IUsageLedgerQueries"/> registered in the services (a store's own SQL dialect), else the
/// engine's ledger when it answers queries itself, else <see cref="RecordScanQueries"/> over the ledger's records.
/// </summary>
internal sealed class LedgerQueries(IServiceProvider services)
{
    private IUsageLedgerQueries? _queries;

    public IUsageLedgerQueries For(BudgetEngine engine)
    {
        if (Volatile.Read(ref _queries) is { } known) return known;
        var ledger = engine.Ledger is CompositeUsageLedger composite ? composite.Primary : engine.Ledger;
        var queries = services.GetService<IUsageLedgerQueries>() ?? ledger as IUsageLedgerQueries ?? new RecordScanQueries(ledger);
        Interlocked.CompareExchange(ref _queries, queries, null);
        return _queries!;
    }
}
