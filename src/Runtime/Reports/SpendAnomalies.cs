namespace GuardedAI.Reports;

/// <summary>An hour whose spend is far above its recent baseline.</summary>
/// <param name="Scope">The budget or tenant.</param>
/// <param name="HourStart">The hour.</param>
/// <param name="CostUsd">Its spend.</param>
/// <param name="BaselineUsd">The median spend of the same hour on the baseline days.</param>
/// <param name="DeviationUsd">The baseline's median absolute deviation.</param>
/// <param name="Ratio">Spend over baseline (null when the baseline is zero).</param>
/// <param name="Score">Robust z-score: (spend − median) / (1.4826 × MAD); null when the deviation is zero.</param>
public sealed record SpendAnomaly(string Scope, DateTimeOffset HourStart, decimal CostUsd, decimal BaselineUsd, decimal DeviationUsd, double? Ratio, double? Score);

/// <summary>How anomalies are found (docs/reports.md explains the choice of defaults).</summary>
public sealed record AnomalySettings
{
    /// <summary>Days whose same hour forms an hour's baseline (default 14: two of each weekday).</summary>
    public int BaselineDays { get; init; } = 14;

    /// <summary>An anomaly spends at least this multiple of its baseline median (default 3).</summary>
    public double MinRatio { get; init; } = 3;

    /// <summary>An anomaly is at least this many robust standard deviations above the median (default 5).</summary>
    public double MinScore { get; init; } = 5;

    /// <summary>Hours spending less than this are never anomalies, however quiet their baseline (default $0.01).</summary>
    public decimal MinCostUsd { get; init; } = 0.01m;
}

/// <summary>
/// Finds hours of unusual spend per budget or tenant. An hour's baseline is the spend in the same hour of each of
/// the <see cref="AnomalySettings.BaselineDays"/> days before it (zeros included), so a daily rhythm is normal and
/// a weekday/weekend difference is absorbed by the median; an hour is anomalous when its spend is at least
/// <see cref="AnomalySettings.MinCostUsd"/>, at least <see cref="AnomalySettings.MinRatio"/> times the median, and at
/// least <see cref="AnomalySettings.MinScore"/> robust standard deviations (1.4826 × median absolute deviation)
/// above it. Median and MAD are used rather than mean and standard deviation because one earlier spike must not
/// hide the next one.
/// </summary>
public static class SpendAnomalies
{
    /// <summary>The anomalous hours of <c>[from, to)</c>, largest ratio first.</summary>
    public static async Task<IReadOnlyList<SpendAnomaly>> FindAsync(IUsageLedgerQueries ledger, DateTimeOffset from, DateTimeOffset to, UsageDimension scope,
        AnomalySettings? settings = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        settings ??= new AnomalySettings();
        if (settings.BaselineDays < 1) throw new ArgumentOutOfRangeException(nameof(settings), settings.BaselineDays, "The baseline needs at least one day.");
        var hour = TimeSpan.FromHours(1).Ticks;
        from = new DateTimeOffset(from.UtcTicks - from.UtcTicks % hour, TimeSpan.Zero);
        var query = new UsageAggregateQuery
        {
            From = from.AddDays(-settings.BaselineDays), To = to, Bucket = UsageBucket.Hour, GroupBy = [new UsageGrouping(scope)],
            Filter = new UsageFilter { Statuses = [UsageStatus.Success, UsageStatus.Failed, UsageStatus.Cancelled] },
        };
        var spend = new Dictionary<string, Dictionary<long, decimal>>(StringComparer.Ordinal);
        await foreach (var row in ledger.AggregateAsync(query, cancellationToken).ConfigureAwait(false))
        {
            var key = row.Keys[0] ?? "(none)";
            if (!spend.TryGetValue(key, out var hours)) spend[key] = hours = [];
            var at = row.BucketStart.UtcTicks;
            hours[at] = (hours.TryGetValue(at, out var c) ? c : 0m) + row.Sums.CostUsd;
        }

        var found = new List<SpendAnomaly>();
        var day = TimeSpan.FromDays(1).Ticks;
        foreach (var (name, hours) in spend)
        {
            foreach (var (at, cost) in hours)
            {
                if (at < from.UtcTicks || cost < settings.MinCostUsd) continue;
                var baseline = new decimal[settings.BaselineDays];
                for (var k = 1; k <= settings.BaselineDays; k++) baseline[k - 1] = hours.TryGetValue(at - k * day, out var b) ? b : 0m;
                var median = Median(baseline);
                var mad = Median(baseline.Select(b => Math.Abs(b - median)).ToArray());
                var ratio = median == 0 ? (double?)null : (double)(cost / median);
                var sigma = 1.4826m * mad;
                var score = sigma == 0 ? (double?)null : (double)((cost - median) / sigma);
                var farAboveMedian = ratio is null || ratio >= settings.MinRatio;
                var farAboveSpread = score is null ? cost > median : score >= settings.MinScore;
                if (farAboveMedian && farAboveSpread) found.Add(new SpendAnomaly(name, new DateTimeOffset(at, TimeSpan.Zero), cost, median, mad, ratio, score));
            }
        }
        return found.OrderByDescending(a => a.Ratio ?? double.MaxValue).ThenByDescending(a => a.CostUsd).ThenBy(a => a.HourStart).ToList();
    }

    private static decimal Median(decimal[] values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
