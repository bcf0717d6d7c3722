namespace GuardedAI;

/// <summary>Predefined sets of limits. The numbers are listed in <c>docs/tiers.md</c>.</summary>
public enum BudgetTier
{
    /// <summary>No predefined limits: only the limits set explicitly apply.</summary>
    Custom = 0,
    /// <summary>Development and personal projects: 50 requests, 25,000 tokens, $0.25 a day.</summary>
    Free,
    /// <summary>Small teams and prototypes: 100 requests, 50,000 tokens, $0.50 a day.</summary>
    Economy,
    /// <summary>Production applications: 300 requests, 150,000 tokens, $2.00 a day.</summary>
    Standard,
    /// <summary>High-volume use: 500 requests, 300,000 tokens, $5.00 a day.</summary>
    Premium,
}
