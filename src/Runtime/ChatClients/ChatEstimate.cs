namespace GuardedAI;

/// <summary>A chat call's estimate, or — for a prompt too large to count — the denial (<see cref="ChatEstimator"/>).</summary>
/// <remarks>A struct of GuardedAI's own rather than a tuple: the package's ReadyToRun image holds its code, where a
/// <c>ValueTuple&lt;UsageEstimate, BudgetDenial&gt;</c> was compiled just in time on a process's first call.</remarks>
internal readonly record struct ChatEstimate(UsageEstimate Estimate, BudgetDenial? Denial);
