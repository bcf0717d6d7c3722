namespace GuardedAI.Reports;

/// <summary>
/// The totals of a group of calls: outcomes, tokens, cost, and how good the estimates were. Estimates are judged
/// on succeeded calls only (a failed or cancelled call did not use what it reserved, and a denied one used nothing).
/// </summary>
public sealed record UsageTotals
{
    /// <summary>Every call recorded, denied ones included.</summary>
    public long Requests { get; init; }
    /// <summary>Calls the provider answered.</summary>
    public long Succeeded { get; init; }
    /// <summary>Calls that failed at the provider.</summary>
    public long Failed { get; init; }
    /// <summary>Calls GuardedAI denied.</summary>
    public long Denied { get; init; }
    /// <summary>Calls cancelled or abandoned.</summary>
    public long Cancelled { get; init; }
    /// <summary>Input tokens billed (cached included).</summary>
    public long InputTokens { get; init; }
    /// <summary>Output tokens billed (reasoning included).</summary>
    public long OutputTokens { get; init; }
    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;
    /// <summary>Input tokens read from a provider's cache.</summary>
    public long CachedInputTokens { get; init; }
    /// <summary>Output tokens spent on reasoning.</summary>
    public long ReasoningTokens { get; init; }
    /// <summary>The actual cost in USD: the exact sum of the records.</summary>
    public decimal CostUsd { get; init; }
    /// <summary>Estimates against actuals, on succeeded calls.</summary>
    public EstimateAccuracy Estimates { get; init; } = new();

    /// <summary>Folds the per-status sums of a group into totals.</summary>
    public static UsageTotals From(IEnumerable<(UsageStatus Status, UsageSums Sums)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        long ok = 0, failed = 0, denied = 0, cancelled = 0;
        var all = default(UsageSums);
        var settled = default(UsageSums);
        foreach (var (status, sums) in parts)
        {
            all += sums;
            switch (status)
            {
                case UsageStatus.Success: ok += sums.Requests; settled += sums; break;
                case UsageStatus.Failed: failed += sums.Requests; break;
                case UsageStatus.Denied: denied += sums.Requests; break;
                default: cancelled += sums.Requests; break;
            }
        }
        return new UsageTotals
        {
            Requests = all.Requests, Succeeded = ok, Failed = failed, Denied = denied, Cancelled = cancelled,
            InputTokens = all.InputTokens, OutputTokens = all.OutputTokens, CachedInputTokens = all.CachedInputTokens,
            ReasoningTokens = all.ReasoningTokens, CostUsd = all.CostUsd,
            Estimates = new EstimateAccuracy
            {
                Calls = settled.Requests,
                ReservedInputTokens = settled.ReservedInputTokens, ActualInputTokens = settled.InputTokens,
                ReservedOutputTokens = settled.ReservedOutputTokens, ActualOutputTokens = settled.OutputTokens,
                ReservedCostUsd = settled.ReservedCostUsd, ActualCostUsd = settled.CostUsd,
            },
        };
    }
}

/// <summary>How estimates compared with what succeeded calls really used.</summary>
public sealed record EstimateAccuracy
{
    /// <summary>Succeeded calls compared.</summary>
    public long Calls { get; init; }
    /// <summary>Input tokens GuardedAI counted before the calls.</summary>
    public long ReservedInputTokens { get; init; }
    /// <summary>Input tokens the providers billed.</summary>
    public long ActualInputTokens { get; init; }
    /// <summary>Output tokens reserved (the output caps).</summary>
    public long ReservedOutputTokens { get; init; }
    /// <summary>Output tokens the providers billed.</summary>
    public long ActualOutputTokens { get; init; }
    /// <summary>Cost reserved.</summary>
    public decimal ReservedCostUsd { get; init; }
    /// <summary>Cost billed.</summary>
    public decimal ActualCostUsd { get; init; }

    /// <summary>Actual input over estimated input (1 = exact; above 1 = under-estimated), or null without estimates.</summary>
    public double? InputRatio => ReservedInputTokens == 0 ? null : (double)ActualInputTokens / ReservedInputTokens;

    /// <summary>Actual output over reserved output (how much of the cap was used), or null.</summary>
    public double? OutputRatio => ReservedOutputTokens == 0 ? null : (double)ActualOutputTokens / ReservedOutputTokens;

    /// <summary>Actual cost over reserved cost, or null.</summary>
    public double? CostRatio => ReservedCostUsd == 0 ? null : (double)(ActualCostUsd / ReservedCostUsd);
}
