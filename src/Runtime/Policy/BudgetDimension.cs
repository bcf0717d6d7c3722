namespace GuardedAI;

/// <summary>What a limit counts.</summary>
public enum BudgetDimension
{
    /// <summary>Provider requests. A failed request still counts.</summary>
    Requests = 0,
    /// <summary>Prompt tokens (cached ones included).</summary>
    InputTokens,
    /// <summary>Completion tokens (reasoning ones included).</summary>
    OutputTokens,
    /// <summary>Input plus output tokens.</summary>
    TotalTokens,
    /// <summary>Cost in US dollars.</summary>
    CostUsd,
    /// <summary>User turns: calls made through <c>UseRunBudget</c>, however many provider requests each makes.</summary>
    Turns,
}
