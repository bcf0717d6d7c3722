using GuardedAI;
using Microsoft.Extensions.AI;

// Interfaces the real compiler runs the generator on (the test project references it as an analyzer).
// The tests in this folder call what it generated.

[LlmBudget("global-bot", Model = "gpt-4o-mini")]
public partial interface IGlobalBot
{
    [LlmPrompt("Ping {value}")]
    Task<string> PingAsync(int value, CancellationToken cancellationToken = default);
}

namespace GuardedAI.Generator.Tests.Runtime
{
    public enum TicketCategory { Billing, Shipping, Technical }

    public sealed record TicketInfo(TicketCategory Category, int Priority);

    [LlmBudget("support-bot", Model = "gpt-4o-mini", Tier = BudgetTier.Free, DailyCostUsd = 0.50, MaxOutputTokens = 800)]
    public partial interface ISupportBot
    {
        [LlmPrompt("Answer in at most three sentences: {question}", System = "You are Acme's support agent.")]
        Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);

        [LlmPrompt("Classify this ticket: {ticket}")]
        Task<TicketCategory> ClassifyAsync(string ticket, CancellationToken cancellationToken = default);

        [LlmPrompt("Triage this ticket: {ticket}")]
        Task<TicketInfo> TriageAsync(string ticket, CancellationToken cancellationToken = default);

        [LlmPrompt("Write release notes for: {changes}")]
        IAsyncEnumerable<string> DraftAsync(string changes, CancellationToken cancellationToken = default);
    }

    [LlmBudget("three-a-day", Model = "gpt-4o-mini", DailyRequests = 3)]
    public partial interface IThreeADay
    {
        [LlmPrompt("Say {word}")]
        Task<string> SayAsync(string word, CancellationToken cancellationToken = default);

        [LlmPrompt("Spell {word}")]
        IAsyncEnumerable<string> SpellAsync(string word, CancellationToken cancellationToken = default);
    }

    [LlmBudget("writer", Model = "gpt-4o-mini")]
    internal partial interface IWriter
    {
        [LlmPrompt("Write \"{title}\" ({words} words, {{draft}}) due {due}, budget {price}\\n{note}", System = "Be brief.\nNo lists.")]
        Task<string> WriteAsync(string title, int words, DateTime due, decimal price, string? note, ChatOptions? options = null, CancellationToken cancellationToken = default);

        [LlmPrompt("Reply to: {message}", System = "You are {persona}. Answer in {{JSON}}.")]
        Task<string> ReplyAsync(string persona, string message);
    }

    public interface ICanGreet
    {
        [LlmPrompt("Greet {name}")]
        Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);
    }

    [LlmBudget("parent-bot", DailyRequests = 100)]
    public partial interface IParentBot : ICanGreet
    {
        [LlmPrompt("Tell a story about {subject}")]
        Task<string> StoryAsync(string subject, CancellationToken cancellationToken = default);
    }

    [LlmBudget("child-bot", Model = "gpt-4o-mini", DailyRequests = 2)]
    public partial interface IChildBot : IParentBot
    {
        [LlmPrompt("Ask {question}")]
        Task<string> AskAsync(string question, CancellationToken cancellationToken = default);
    }

    public static partial class Holder
    {
        [LlmBudget("nested-bot", Model = "gpt-4o-mini")]
        internal partial interface INestedBot
        {
            [LlmPrompt("Nested {x}")]
            Task<string> RunAsync(string x);
        }
    }
}
