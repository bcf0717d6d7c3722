using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.BudgetInterfaceAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

public class BudgetInterfaceTests
{
    private const string Usings = """
        #nullable enable
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using GuardedAI;

        """;

    [Fact]
    public Task SupportedInterface_IsQuiet() => Verify.VerifyAsync(Usings + """
        public record Ticket(string Title);

        [LlmBudget("support")]
        public partial interface ISupportBot
        {
            [LlmPrompt("Answer {question} for {customer}. {{literal}}", System = "You help {customer}.")]
            Task<string> AnswerAsync(string question, string customer, CancellationToken cancellationToken = default);

            [LlmPrompt("Classify: {text}")]
            Task<Ticket> ClassifyAsync(string text, ChatOptions? options = null);

            [LlmPrompt("Stream {topic}")]
            IAsyncEnumerable<string> StreamAsync(string topic, CancellationToken cancellationToken);

            string Describe() => "default implementations are the user's own";
        }
        """);

    [Fact]
    public Task NonPartialInterface_And_NonInterface_AreErrors() => Verify.VerifyAsync(Usings + """
        [LlmBudget("a")]
        public interface {|#0:IBot|} { }

        [{|#1:{|#2:LlmBudget|}("b")|}]
        public class Bot { }
        """,
        Verify.Error("GAI004").WithLocation(0).WithArguments("IBot"),
        Verify.Error("GAI005").WithLocation(1).WithArguments("Bot", "class"),
        Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerError("CS0592").WithLocation(2).WithArguments("LlmBudget", "interface"));

    [Fact]
    public Task PlaceholdersWithoutParameters_AreErrors() => Verify.VerifyAsync(Usings + """
        [LlmBudget("a")]
        public partial interface IBot
        {
            [LlmPrompt("Answer {question} in {{braces}} for {#0:{custmer}|}")]
            Task<string> AnswerAsync(string question);

            [LlmPrompt("Stop {#1:{cancellationToken}|} and {#2:{open|}")]
            Task<string> StopAsync(CancellationToken cancellationToken);

            [LlmPrompt("Hi {name}", System = "Be {#3:{tone}|}")]
            Task<string> GreetAsync(string name);
        }
        """.Replace("{#0:", "{|#0:").Replace("{#1:", "{|#1:").Replace("{#2:", "{|#2:").Replace("{#3:", "{|#3:"),
        Verify.Error("GAI006").WithLocation(0).WithArguments("AnswerAsync", "{custmer}", "matches no parameter"),
        Verify.Error("GAI006").WithLocation(1).WithArguments("StopAsync", "{cancellationToken}", "names a CancellationToken or ChatOptions parameter, which is not part of the prompt"),
        Verify.Error("GAI006").WithLocation(2).WithArguments("StopAsync", "{open", "is never closed (write '{{' for a literal brace)"),
        Verify.Error("GAI006").WithLocation(3).WithArguments("GreetAsync", "{tone}", "matches no parameter"));

    [Fact]
    public Task UnusedParameter_IsAWarning() => Verify.VerifyAsync(Usings + """
        [LlmBudget("a")]
        public partial interface IBot
        {
            [LlmPrompt("Answer {question}")]
            Task<string> AnswerAsync(string question, string {|#0:customer|}, CancellationToken cancellationToken);
        }
        """,
        AnalyzerVerifier<BudgetInterfaceAnalyzer>.Diagnostic("GAI007").WithLocation(0).WithArguments("customer", "AnswerAsync"));

    [Fact]
    public Task UnsupportedMembers_AreErrors() => Verify.VerifyAsync(Usings + """
        [LlmBudget("a")]
        public partial interface IBot
        {
            Task<string> {|#0:NoPrompt|}(string text);

            [LlmPrompt("x")]
            Task {|#1:NoResult|}();

            [LlmPrompt("x {value}")]
            Task<string> {|#2:Generic|}<T>(T value);

            [LlmPrompt("x {value}")]
            Task<string> WithRef(ref int {|#3:value|});

            [LlmPrompt("x")]
            Task<string> TwoTokens(CancellationToken a, CancellationToken {|#4:b|});

            string {|#5:Name|} { get; }

            [LlmPrompt("x")]
            IAsyncEnumerable<int> {|#6:Numbers|}();
        }
        """,
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot.NoPrompt", "it has no [LlmPrompt] attribute, so there is no prompt to send"),
        Verify.Error("GAI008").WithLocation(1).WithArguments("IBot.NoResult", "it returns System.Threading.Tasks.Task, but only Task<string>, Task<T> and IAsyncEnumerable<string> are supported"),
        Verify.Error("GAI008").WithLocation(2).WithArguments("IBot.Generic", "generic methods are not supported; use Task<T> with a concrete T"),
        Verify.Error("GAI008").WithLocation(3).WithArguments("IBot.WithRef", "parameter 'value' is passed by ref, which is not supported"),
        Verify.Error("GAI008").WithLocation(4).WithArguments("IBot.TwoTokens", "it has more than one CancellationToken parameter"),
        Verify.Error("GAI008").WithLocation(5).WithArguments("IBot.Name", "a property has no prompt; only [LlmPrompt] methods can be generated"),
        Verify.Error("GAI008").WithLocation(6).WithArguments("IBot.Numbers", "it returns System.Collections.Generic.IAsyncEnumerable<int>, but only Task<string>, Task<T> and IAsyncEnumerable<string> are supported"));
}
