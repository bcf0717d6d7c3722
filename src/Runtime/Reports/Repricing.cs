namespace GuardedAI.Reports;

/// <summary>What a period cost as recorded, and what it would have cost with another price table, per provider and model.</summary>
/// <param name="Provider">The provider.</param>
/// <param name="Model">The model id as recorded.</param>
/// <param name="Calls">Calls that were billed (denied calls are left out).</param>
/// <param name="RecordedCostUsd">The cost the records carry (priced when the calls were made).</param>
/// <param name="RepricedCostUsd">The cost at the other table.</param>
/// <param name="RecordedPriceTables">The price table versions that priced the records.</param>
/// <param name="KnownInNewTable">Whether the other table knows the model (otherwise its default price applied).</param>
public sealed record RepricedRow(string? Provider, string? Model, long Calls, decimal RecordedCostUsd, decimal RepricedCostUsd, IReadOnlyList<string> RecordedPriceTables, bool KnownInNewTable)
{
    /// <summary>Re-priced minus recorded.</summary>
    public decimal DifferenceUsd => RepricedCostUsd - RecordedCostUsd;
}

/// <summary>
/// Re-prices a period with another price table, record by record (long-context prices depend on each call's
/// size, so sums of tokens would price wrongly), streaming: memory grows with the models, not the records.
/// Cache-write tokens are not kept per record, so they are re-priced as plain input.
/// </summary>
public static class Repricing
{
    /// <summary>Compares recorded costs of <c>[from, to)</c> with <paramref name="prices"/>.</summary>
    public static async Task<IReadOnlyList<RepricedRow>> CompareAsync(this IUsageLedgerQueries ledger, DateTimeOffset from, DateTimeOffset to, PriceCatalog prices,
        UsageFilter? filter = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(prices);
        var groups = new Dictionary<(string?, string?), (long Calls, decimal Recorded, decimal Repriced, SortedSet<string> Versions)>();
        await foreach (var r in ledger.ReadRecordsAsync(from, to, filter, cancellationToken).ConfigureAwait(false))
        {
            if (r.Status == UsageStatus.Denied) continue;
            var key = (r.Provider, r.Model);
            if (!groups.TryGetValue(key, out var g)) g = (0, 0m, 0m, new SortedSet<string>(StringComparer.Ordinal));
            var usage = new TokenUsage(r.InputTokens, r.OutputTokens, r.CachedInputTokens, 0, r.ReasoningTokens);
            var repriced = r.InputTokens + r.OutputTokens == 0 ? 0m : prices.ResolveEntry(r.Model).Compiled.Cost(usage);
            g.Versions.Add(r.PriceTableVersion ?? "(not recorded)");
            groups[key] = (g.Calls + 1, g.Recorded + r.CostUsd, g.Repriced + repriced, g.Versions);
        }
        return groups
            .Select(g => new RepricedRow(g.Key.Item1, g.Key.Item2, g.Value.Calls, g.Value.Recorded, g.Value.Repriced, g.Value.Versions.ToList(), prices.Resolve(g.Key.Item2).IsKnown))
            .OrderByDescending(r => Math.Abs(r.DifferenceUsd)).ThenBy(r => r.Provider, StringComparer.Ordinal).ThenBy(r => r.Model, StringComparer.Ordinal)
            .ToList();
    }
}
