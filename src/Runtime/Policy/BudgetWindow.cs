namespace GuardedAI;

/// <summary>The period over which a limit applies. <see cref="Minute"/> to <see cref="Month"/> are calendar-aligned and
/// reset at the start of the next period in the policy's time zone (UTC unless configured). <see cref="Conversation"/>
/// and <see cref="Run"/> are scopes, not calendar periods: the limit applies to each conversation or agent run on its own,
/// for as long as it lasts; its counters are forgotten after <see cref="BudgetPolicy.ScopeIdleTimeout"/> without a call.</summary>
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
    /// <summary>Each conversation (<c>ChatOptions.ConversationId</c> or <see cref="BudgetScope.BeginConversation"/>) on its own.</summary>
    Conversation,
    /// <summary>Each agent run (<see cref="BudgetScope.BeginRun(string)"/>, or the run <c>UseRunBudget</c> starts) on its own.</summary>
    Run,
}
