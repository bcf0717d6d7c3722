namespace GuardedAI;

/// <summary>What <see cref="BudgetEngine.RestoreAsync"/> did.</summary>
/// <param name="Strategy">How the counters were restored.</param>
/// <param name="Records">Ledger records read (denied calls excluded).</param>
/// <param name="Counters">Counters written (summed) or settlements replayed.</param>
/// <param name="UnknownBudgetRecords">Records of budgets the engine does not know, which could not be restored.</param>
/// <param name="Breakers">Breaker states taken from the breaker store.</param>
public sealed record RestoreResult(CounterRestoreStrategy Strategy, int Records, int Counters, int UnknownBudgetRecords, int Breakers);
