namespace GuardedAI;

/// <summary>A recorded call the proposal would have denied.</summary>
/// <param name="RecordId">The id of the call's record in the ledger.</param>
/// <param name="Timestamp">When the call started (and would have been denied).</param>
/// <param name="Budget">The call's budget.</param>
/// <param name="Tenant">The call's tenant, if any.</param>
/// <param name="ConversationId">The call's conversation, if any.</param>
/// <param name="Kind">What would have denied it.</param>
/// <param name="Scope">The budget, <c>tenant:&lt;key&gt;</c> or conversation/run scope whose limit denied it.</param>
/// <param name="Dimension">The limited dimension (null for a breaker opened by failures, an emergency stop).</param>
/// <param name="Window">The window (null for per-request caps).</param>
/// <param name="Reason">The sentence the engine would have given.</param>
/// <param name="CostUsd">What the call cost: spend the denial would have avoided.</param>
public sealed record WhatIfDenial(string RecordId, DateTimeOffset Timestamp, string Budget, string? Tenant, string? ConversationId,
    DenialKind Kind, string Scope, BudgetDimension? Dimension, BudgetWindow? Window, string Reason, decimal CostUsd);

/// <summary>How a proposal's degradation would have changed a call it let through.</summary>
public enum WhatIfDegradationAction
{
    /// <summary>Past the warning threshold, the call would have waited for its turn (<see cref="WhatIfDegradation.Delay"/>).</summary>
    Throttled,
    /// <summary>Past the critical threshold, the call would have gone to the cheaper model.</summary>
    Downgraded,
}

/// <summary>A recorded call the proposal would have let through, changed by its degradation.</summary>
/// <param name="RecordId">The id of the call's record in the ledger.</param>
/// <param name="Timestamp">When the call started.</param>
/// <param name="Budget">The call's budget.</param>
/// <param name="Tenant">The call's tenant, if any.</param>
/// <param name="Action">What would have been done.</param>
/// <param name="Model">The model the call used.</param>
/// <param name="DowngradedTo">For a downgrade, the cheaper model.</param>
/// <param name="Delay">For throttling, how long the call would have waited.</param>
/// <param name="CostUsd">What the call cost.</param>
/// <param name="DegradedCostUsd">What it would have cost degraded (the same when throttled).</param>
public sealed record WhatIfDegradation(string RecordId, DateTimeOffset Timestamp, string Budget, string? Tenant, WhatIfDegradationAction Action,
    string? Model, string? DowngradedTo, TimeSpan? Delay, decimal CostUsd, decimal DegradedCostUsd);

/// <summary>One limit of the proposal that would have denied calls: how often, from when, and the spend it would have avoided.</summary>
/// <param name="Scope">The scope whose limit it is (conversation and run scopes are folded into their budget's <c>conversation:&lt;budget&gt;</c>/<c>run:&lt;budget&gt;</c>).</param>
/// <param name="Kind">What denied.</param>
/// <param name="Dimension">The dimension.</param>
/// <param name="Window">The window.</param>
/// <param name="Denials">How many calls it would have denied.</param>
/// <param name="FirstHitAt">The first moment it would have denied a call.</param>
/// <param name="SpendAvoidedUsd">What those calls cost.</param>
public sealed record WhatIfLimit(string Scope, DenialKind Kind, BudgetDimension? Dimension, BudgetWindow? Window, long Denials, DateTimeOffset FirstHitAt, decimal SpendAvoidedUsd);

/// <summary>Who would have been denied: one budget and tenant (null: calls without a tenant).</summary>
/// <param name="Budget">The budget.</param>
/// <param name="Tenant">The tenant, or null.</param>
/// <param name="Denials">How many of their calls would have been denied.</param>
/// <param name="FirstDeniedAt">The first.</param>
/// <param name="SpendAvoidedUsd">What those calls cost.</param>
public sealed record WhatIfDenied(string Budget, string? Tenant, long Denials, DateTimeOffset FirstDeniedAt, decimal SpendAvoidedUsd);

/// <summary>What a proposal would have done to the calls of a period (<see cref="WhatIfReplay"/>).</summary>
public sealed class WhatIfReport
{
    internal WhatIfReport(long replayed, long skipped, long unknownBudget, decimal replayedCost, IReadOnlyList<WhatIfDenial> denials,
        IReadOnlyList<WhatIfDegradation> degradations, IReadOnlyList<WhatIfLimit> limits, IReadOnlyCollection<string> unknownBudgets,
        long deniedCount, long degradedCount, decimal spendAvoided, IReadOnlyList<WhatIfDenied> who)
    {
        DeniedCount = deniedCount;
        DegradedCount = degradedCount;
        SpendAvoidedUsd = spendAvoided;
        Who = who;
        Replayed = replayed;
        Skipped = skipped;
        UnknownBudget = unknownBudget;
        ReplayedCostUsd = replayedCost;
        Denials = denials;
        Degradations = degradations;
        Limits = limits;
        UnknownBudgets = unknownBudgets;
    }

    /// <summary>Calls replayed (provider requests and tool costs that happened).</summary>
    public long Replayed { get; }

    /// <summary>Records not replayed: calls that were denied at the time (they never happened, so their usage is unknown)
    /// and user turns of a run guard.</summary>
    public long Skipped { get; }

    /// <summary>Calls of budgets the proposal does not name (not replayed; see <see cref="UnknownBudgets"/>).</summary>
    public long UnknownBudget { get; }

    /// <summary>The names of those budgets.</summary>
    public IReadOnlyCollection<string> UnknownBudgets { get; }

    /// <summary>What the replayed calls cost, as recorded.</summary>
    public decimal ReplayedCostUsd { get; }

    /// <summary>The calls that would have been denied, in time order: all of them, or the first
    /// <see cref="WhatIfReplay.DefaultMaxListedCalls"/> (the counts and sums of this report cover all).</summary>
    public IReadOnlyList<WhatIfDenial> Denials { get; }

    /// <summary>The calls that would have been throttled or downgraded, in time order (listed up to the same bound).</summary>
    public IReadOnlyList<WhatIfDegradation> Degradations { get; }

    /// <summary>How many calls would have been denied (all, listed or not).</summary>
    public long DeniedCount { get; }

    /// <summary>How many degradations (throttled or downgraded) there would have been (all, listed or not).</summary>
    public long DegradedCount { get; }

    /// <summary>Who would have been denied, per budget and tenant, most denials first.</summary>
    public IReadOnlyList<WhatIfDenied> Who { get; }

    /// <summary>Each limit that would have denied, with its first hit, most denials first.</summary>
    public IReadOnlyList<WhatIfLimit> Limits { get; }

    /// <summary>Spend the denials would have avoided (their calls' recorded cost) plus what downgrades would have saved.</summary>
    public decimal SpendAvoidedUsd { get; }
}
