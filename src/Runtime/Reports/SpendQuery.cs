namespace GuardedAI.Reports;

/// <summary>
/// What <see cref="BudgetEngine.GetSpendAsync(SpendQuery?, CancellationToken)"/> reports: the spend of the current
/// window, for the records <see cref="Filter"/> lets through (a budget, a tenant, a conversation, a model, …), in total
/// and per <see cref="GroupBy"/> group.
/// </summary>
public sealed record SpendQuery
{
    /// <summary>Today (the default), this minute, hour or month — the calendar window that holds now, in
    /// <see cref="TimeZone"/>; <see cref="BudgetWindow.Conversation"/> or <see cref="BudgetWindow.Run"/>: everything
    /// the ledger holds (filter by <see cref="UsageFilter.ConversationId"/> or <see cref="UsageFilter.RunId"/>).</summary>
    public BudgetWindow Window { get; init; } = BudgetWindow.Day;

    /// <summary>Which records count (null fields do not filter).</summary>
    public UsageFilter Filter { get; init; } = UsageFilter.None;

    /// <summary>The groups to report besides the total, e.g. <c>[UsageGrouping.Model]</c>.</summary>
    public IReadOnlyList<UsageGrouping> GroupBy { get; init; } = [];

    /// <summary>The time zone of the calendar window; null: the time zone of the budget <see cref="UsageFilter.Budget"/>
    /// names when the engine knows it, else UTC.</summary>
    public TimeZoneInfo? TimeZone { get; init; }
}

/// <summary>The spend of a window: totals of every dimension (requests, input, output, cached and reasoning tokens,
/// cost), limited or not, from the ledger's records.</summary>
/// <param name="From">The window's first instant (<see cref="DateTimeOffset.MinValue"/> for a conversation or run).</param>
/// <param name="To">The window's end (exclusive).</param>
/// <param name="Total">Everything the filter lets through.</param>
/// <param name="Groups">One row per group, largest cost first (empty without <see cref="SpendQuery.GroupBy"/>).</param>
public sealed record CurrentSpend(DateTimeOffset From, DateTimeOffset To, UsageTotals Total, IReadOnlyList<SpendGroup> Groups);

/// <summary>The spend of one group of a <see cref="CurrentSpend"/>.</summary>
/// <param name="Keys">The group's values, in the order of <see cref="SpendQuery.GroupBy"/> (null: records without one).</param>
/// <param name="Totals">Its totals.</param>
public sealed record SpendGroup(IReadOnlyList<string?> Keys, UsageTotals Totals);
