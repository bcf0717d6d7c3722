namespace GuardedAI;

/// <summary>One limit of a policy: at most <see cref="Amount"/> of <see cref="Dimension"/> per <see cref="Window"/>.</summary>
/// <param name="Dimension">What is counted.</param>
/// <param name="Window">The calendar period.</param>
/// <param name="Amount">The most that may be used in one period: a count for requests and tokens, US dollars for cost.</param>
public readonly record struct BudgetLimit(BudgetDimension Dimension, BudgetWindow Window, decimal Amount)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Window.Describe()} {Dimension.Describe()} ≤ {Dimension.Format(Amount)}";
}
