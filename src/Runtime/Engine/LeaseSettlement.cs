namespace GuardedAI;

/// <summary>
/// What settling a <see cref="BudgetLease"/> counted: the usage and cost the call's record holds, after GuardedAI checked
/// what the provider reported. A value, so a settlement allocates nothing for it; the whole record is in the engine's
/// ledger under the lease's <see cref="BudgetLease.Id"/>.
/// </summary>
/// <param name="Status">How the call ended.</param>
/// <param name="InputTokens">Prompt tokens counted (what the provider reported, or more when its report was implausible).</param>
/// <param name="OutputTokens">Completion tokens counted.</param>
/// <param name="CostUsd">The cost counted, at the engine's prices.</param>
/// <param name="Anomalies">What GuardedAI corrected in the reported usage, or that the call ran over its reservation; null
/// when nothing was wrong (<see cref="UsageRecord.Anomalies"/>).</param>
/// <param name="WouldBeDeniedBy">The budgets in shadow that would have denied the call, comma-separated; null when none
/// would (<see cref="UsageRecord.WouldBeDeniedBy"/>).</param>
/// <param name="WouldBeDeniedReason">Why they would have; null when none would.</param>
public readonly record struct LeaseSettlement(
    UsageStatus Status,
    long InputTokens,
    long OutputTokens,
    decimal CostUsd,
    string? Anomalies,
    string? WouldBeDeniedBy,
    string? WouldBeDeniedReason)
{
    /// <summary>Input and output tokens counted.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>The settlement of the record's values.</summary>
    internal static LeaseSettlement Of(in UsageValues values) =>
        new(values.Status, values.InputTokens, values.OutputTokens, values.CostUsd, values.Anomalies, values.WouldBeDeniedBy, values.WouldBeDeniedReason);
}
