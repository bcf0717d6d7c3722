using GuardedAI.Generator.Tests.Infrastructure;

namespace GuardedAI.Generator.Tests;

/// <summary>
/// The generated source for representative interfaces, compared with the committed files under Snapshots/.
/// Each case also compiles the generated code and requires it to be free of errors and of warnings
/// (nullable, XML documentation) inside the generated files.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void SupportBot() => Verify(nameof(SupportBot), """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Support;

        public enum TicketCategory { Billing, Shipping, Technical }

        [LlmBudget("support-bot", Model = "gpt-4o-mini", Tier = BudgetTier.Free, DailyCostUsd = 0.50, MaxOutputTokens = 800)]
        public partial interface ISupportBot
        {
            [LlmPrompt("Answer in at most three sentences: {question}", System = "You are Acme's support agent.")]
            Task<string> AnswerAsync(string question, CancellationToken cancellationToken = default);

            [LlmPrompt("Classify this ticket: {ticket}")]
            Task<TicketCategory> ClassifyAsync(string ticket, CancellationToken cancellationToken = default);

            [LlmPrompt("Write release notes for: {changes}")]
            IAsyncEnumerable<string> DraftAsync(string changes, CancellationToken cancellationToken = default);
        }
        """);

    [Fact]
    public void GlobalNamespace() => Verify(nameof(GlobalNamespace), """
        using System.Threading.Tasks;
        using GuardedAI;

        [LlmBudget("greeter")]
        public partial interface IGreeter
        {
            [LlmPrompt("Say hello.")]
            Task<string> HelloAsync();
        }
        """);

    [Fact]
    public void NestedInClasses() => Verify(nameof(NestedInClasses), """
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Bots
        {
            public static partial class Assistants
            {
                [LlmBudget("nested", RequestsPerMinute = 10)]
                public partial interface IHelper
                {
                    [LlmPrompt("Help with {topic}")]
                    Task<string> HelpAsync(string topic, CancellationToken cancellationToken);
                }

                internal partial record Registry<TKey>
                {
                    [LlmBudget("nested-generic")]
                    private partial interface IPrivateHelper
                    {
                        [LlmPrompt("Explain {key}")]
                        Task<string> ExplainAsync(string key);
                    }
                }
            }
        }
        """);

    [Fact]
    public void SeveralInOneFile() => Verify(nameof(SeveralInOneFile), """
        using System.Collections.Generic;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Tools;

        [LlmBudget("summarizer", DailyTokens = 100000)]
        public partial interface ISummarizer
        {
            [LlmPrompt("Summarize: {text}")]
            Task<string> SummarizeAsync(string text);
        }

        [LlmBudget("translator", HourlyRequests = 60)]
        public partial interface ITranslator
        {
            [LlmPrompt("Translate into {language}: {text}")]
            IAsyncEnumerable<string> TranslateAsync(string text, string language);
        }
        """);

    [Fact]
    public void InternalInterface() => Verify(nameof(InternalInterface), """
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Internal;

        internal sealed record Sentiment(string Label, double Score);

        [LlmBudget("internal-bot", Model = "gpt-4o", MonthlyCostUsd = 25)]
        internal partial interface ISentimentBot
        {
            [LlmPrompt("Rate the sentiment of: {review}")]
            Task<Sentiment> RateAsync(string review, CancellationToken cancellationToken = default);
        }
        """);

    [Fact]
    public void InheritedInterfaces() => Verify(nameof(InheritedInterfaces), """
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Family;

        public interface ICanGreet
        {
            [LlmPrompt("Greet {name}")]
            Task<string> GreetAsync(string name, CancellationToken cancellationToken = default);

            string Describe() => "greets people";
        }

        [LlmBudget("parent", DailyRequests = 100)]
        public partial interface IParent : ICanGreet
        {
            [LlmPrompt("Tell a story about {subject}")]
            Task<string> StoryAsync(string subject, CancellationToken cancellationToken = default);
        }

        [LlmBudget("child", DailyRequests = 10)]
        public partial interface IChild : IParent
        {
            [LlmPrompt("Ask {question}")]
            Task<string> AskAsync(string question, CancellationToken cancellationToken = default);

            // Redeclares the parent's method: implemented once.
            [LlmPrompt("Tell a short story about {subject}")]
            new Task<string> StoryAsync(string subject, CancellationToken cancellationToken = default);
        }
        """);

    [Fact]
    public void EveryBudgetSetting() => Verify(nameof(EveryBudgetSetting), """
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Limits;

        [LlmBudget("every-setting",
            Model = "claude-3-5-haiku",
            Tier = BudgetTier.Standard,
            RequestsPerMinute = 20, TokensPerMinute = 40_000,
            HourlyRequests = 200, HourlyTokens = 400_000L, HourlyCostUsd = 0.1,
            DailyRequests = 1_000, DailyTokens = 2_000_000, DailyCostUsd = 1.25,
            MonthlyRequests = 20_000, MonthlyTokens = 40_000_000, MonthlyCostUsd = 30,
            MaxInputTokens = 4_000, MaxOutputTokens = 1_000, MaxRequestCostUsd = 0.00001,
            WarnAtPercent = 60, CriticalAtPercent = 85.5, TripAtPercent = 99)]
        public partial interface ILimited
        {
            [LlmPrompt("Ping")]
            Task<string> PingAsync();
        }
        """);

    [Fact]
    public void ShadowMode() => Verify(nameof(ShadowMode), """
        using System.Threading.Tasks;
        using GuardedAI;

        namespace Acme.Rollout;

        [LlmBudget("observed", DailyCostUsd = 2, MaxOutputTokens = 500, Mode = EnforcementMode.Shadow)]
        public partial interface IObservedBot
        {
            [LlmPrompt("Ping")]
            Task<string> PingAsync();
        }
        """);

    [Fact]
    public void TemplatesAndParameters() => Verify(nameof(TemplatesAndParameters), """
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using GuardedAI;
        using Microsoft.Extensions.AI;

        namespace Acme.Templates;

        public enum Tone { Formal, Casual = 5 }

        [LlmBudget("templates", Model = "gpt-4o-mini")]
        public partial interface IWriter
        {
            [LlmPrompt("Say \"{text}\" with a backslash \\ and\na newline, {{literal braces}} and a lone } brace.", System = "Line one\nLine \"two\"")]
            Task<string> QuoteAsync(string text, CancellationToken cancellationToken = default);

            [LlmPrompt("Write about {class} in {count} words on {date}, weight {weight}, tone {tone}, {note}")]
            Task<string?> WriteAsync(string @class, int count, DateTime date, double weight = 1.5, Tone tone = Tone.Casual, string? note = null, ChatOptions? options = null, CancellationToken cancellationToken = default);

            [LlmPrompt("List {items}")]
            IAsyncEnumerable<string> ListAsync(ChatOptions options, string items);

            [LlmPrompt("Pick a number")]
            Task<int?> PickAsync(CancellationToken cancellationToken);

            [LlmPrompt("Reply to {message}", System = "You are {persona}; answer in {{JSON}}.")]
            Task<string> ReplyAsync(string persona, string message);
        }
        """);

    [Fact]
    public void DeclaredChatClientWithoutDependencyInjection() => Verify(
        nameof(DeclaredChatClientWithoutDependencyInjection),
        """
        using System.Threading.Tasks;
        using GuardedAI;
        using Microsoft.Extensions.AI;

        namespace Acme.Plain;

        [LlmBudget("plain")]
        public partial interface Translator : IChatClient
        {
            [LlmPrompt("Translate {text}")]
            Task<string> TranslateAsync(string text);
        }
        """,
        GeneratorHarness.ReferencesWithout("Microsoft.Extensions.DependencyInjection.Abstractions", "Microsoft.Extensions.DependencyInjection"));

    private static void Verify(string name, string source, IEnumerable<Microsoft.CodeAnalysis.MetadataReference>? references = null)
    {
        GeneratorResult result = GeneratorHarness.Run(source, references);
        Assert.NotEmpty(result.GeneratedTrees);
        Snapshot.Match(name, result.GeneratedText());
        Assert.Empty(result.CompilationProblems());
    }
}
