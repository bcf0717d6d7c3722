namespace GuardedAI.Reports;

/// <summary>One line of a bill: a tenant's use of one provider's model in a period.</summary>
/// <param name="Tenant">The tenant (null: calls without one).</param>
/// <param name="Provider">The provider.</param>
/// <param name="Model">The model.</param>
/// <param name="Requests">Billed calls (denied calls are not billed).</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">The exact cost.</param>
/// <param name="PriceTables">The price table versions that priced the calls.</param>
public sealed record BillingLine(string? Tenant, string? Provider, string? Model, long Requests, long InputTokens, long OutputTokens, decimal CostUsd, IReadOnlyList<string> PriceTables)
{
    /// <summary>Input plus output.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>The cost with a markup of <paramref name="percent"/> (exact; 20 means cost × 1.2).</summary>
    public decimal Charge(decimal percent) => CostUsd * (1m + percent / 100m);
}

/// <summary>A bill for a period: one line per (tenant, provider, model), and its totals, which equal the ledger's.</summary>
/// <param name="Period">The period's label (<c>2025-12</c>, <c>2025-12-01..2025-12-15</c>).</param>
/// <param name="From">The first instant.</param>
/// <param name="To">The instant after the last.</param>
/// <param name="MarkupPercent">The markup applied to charges (0: none).</param>
/// <param name="Lines">The lines, by tenant, provider, model.</param>
public sealed record BillingStatement(string Period, DateTimeOffset From, DateTimeOffset To, decimal MarkupPercent, IReadOnlyList<BillingLine> Lines)
{
    /// <summary>The exact total cost.</summary>
    public decimal TotalCostUsd => Lines.Sum(l => l.CostUsd);

    /// <summary>The total with markup.</summary>
    public decimal TotalChargeUsd => Lines.Sum(l => l.Charge(MarkupPercent));

    /// <summary>Builds the statement of <c>[from, to)</c> from the ledger's aggregates (rollups where the store has them).</summary>
    public static async Task<BillingStatement> BuildAsync(IUsageLedgerQueries ledger, string period, DateTimeOffset from, DateTimeOffset to,
        decimal markupPercent = 0, string? tenant = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        if (markupPercent < 0) throw new ArgumentOutOfRangeException(nameof(markupPercent), markupPercent, "A markup cannot be negative.");
        var query = new UsageAggregateQuery
        {
            From = from, To = to,
            GroupBy = [UsageGrouping.Tenant, UsageGrouping.Provider, UsageGrouping.Model, UsageGrouping.PriceTable],
            Filter = new UsageFilter { Tenant = tenant, Statuses = [UsageStatus.Success, UsageStatus.Failed, UsageStatus.Cancelled] },
        };
        var lines = new Dictionary<(string?, string?, string?), (UsageSums Sums, SortedSet<string> Tables)>();
        await foreach (var row in ledger.AggregateAsync(query, cancellationToken).ConfigureAwait(false))
        {
            var key = (row.Keys[0], row.Keys[1], row.Keys[2]);
            if (!lines.TryGetValue(key, out var line)) line = (default, new SortedSet<string>(StringComparer.Ordinal));
            line.Tables.Add(row.Keys[3] ?? "(not recorded)");
            lines[key] = (line.Sums + row.Sums, line.Tables);
        }
        var list = lines
            .Select(l => new BillingLine(l.Key.Item1, l.Key.Item2, l.Key.Item3, l.Value.Sums.Requests, l.Value.Sums.InputTokens, l.Value.Sums.OutputTokens, l.Value.Sums.CostUsd, l.Value.Tables.ToList()))
            .OrderBy(l => l.Tenant, StringComparer.Ordinal).ThenBy(l => l.Provider, StringComparer.Ordinal).ThenBy(l => l.Model, StringComparer.Ordinal)
            .ToList();
        return new BillingStatement(period, from, to, markupPercent, list);
    }
}
