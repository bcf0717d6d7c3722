using GuardedAI;

namespace Acme.SupportBot;

/// <summary>What a ticket is about.</summary>
public enum TicketCategory
{
    /// <summary>Charges, invoices, refunds.</summary>
    Billing,
    /// <summary>Deliveries and returns.</summary>
    Shipping,
    /// <summary>The product does not work.</summary>
    Technical,
}

/// <summary>
/// Acme's support assistant. This is all the code there is: the GuardedAI generator implements it as
/// <c>GuardedSupportBot</c>, a budget-guarded <c>IChatClient</c>.
/// </summary>
[LlmBudget("support-bot", Model = "gpt-4o-mini", Tier = BudgetTier.Free, DailyCostUsd = 0.50, HourlyRequests = 4, MaxOutputTokens = 800)]
public partial interface ISupportBot
{
    /// <summary>Answers a customer's question.</summary>
    [LlmPrompt("Answer in at most three sentences: {question}", System = "You are Acme's support agent.")]
    Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);

    /// <summary>Sorts a ticket into a category (structured output).</summary>
    [LlmPrompt("Classify this ticket: {ticket}")]
    Task<TicketCategory> ClassifyAsync(string ticket, CancellationToken cancellationToken = default);

    /// <summary>Streams release notes.</summary>
    [LlmPrompt("Write release notes for: {changes}")]
    IAsyncEnumerable<string> DraftAsync(string changes, CancellationToken cancellationToken = default);
}
