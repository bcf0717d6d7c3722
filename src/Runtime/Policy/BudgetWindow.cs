namespace GuardedAI;

/// <summary>A calendar-aligned period over which a limit applies. Windows reset at the start of the next period
/// in the policy's time zone (UTC unless configured).</summary>
public enum BudgetWindow
{
    /// <summary>A calendar minute.</summary>
    Minute = 0,
    /// <summary>A calendar hour.</summary>
    Hour,
    /// <summary>A calendar day, from local midnight.</summary>
    Day,
    /// <summary>A calendar month, from local midnight of its first day.</summary>
    Month,
}
