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

    [Fact]
    public Task ContainingTypeNotPartial_IsGAI004_PartialContainersAreQuiet() => Verify.VerifyAsync(Usings + """
        public static class {|#0:Outer|}
        {
            [LlmBudget("a")]
            public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }
        }

        public partial class Mixed
        {
            public class {|#1:Middle|}
            {
                [LlmBudget("b")]
                public partial interface IDeep { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            }
        }

        public partial class Fine
        {
            internal partial record struct Inner
            {
                [LlmBudget("c")]
                public partial interface IOk { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            }
        }
        """,
        Verify.Error("GAI004").WithLocation(0).WithArguments("IBot", "Outer"),
        Verify.Error("GAI004").WithLocation(1).WithArguments("IDeep", "Middle"));

    [Fact]
    public Task GenericAndFileLocalInterfaces_AreGAI008_GenericContainerIsQuiet() => Verify.VerifyAsync(Usings + """
        [LlmBudget("a")]
        public partial interface {|#0:IBot|}<T>
        {
            [LlmPrompt("Hi {value}")]
            Task<T> HiAsync(T value);
        }

        [LlmBudget("b")]
        file partial interface {|#1:ILocal|} { [LlmPrompt("Hi")] Task<string> HiAsync(); }

        file partial class Holder
        {
            [LlmBudget("c")]
            public partial interface {|#2:IInner|} { [LlmPrompt("Hi")] Task<string> HiAsync(); }
        }

        public partial class Generic<T>
        {
            [LlmBudget("d")]
            public partial interface IFine { [LlmPrompt("Get {value}")] Task<T> GetAsync(T value); }
        }
        """,
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot<T>", "generic [LlmBudget] interfaces are not supported; declare a non-generic interface per concrete type"),
        Verify.Error("GAI008").WithLocation(1).WithArguments("ILocal", "it is a file-local type, and the guard is generated in another file, which cannot see or extend it"),
        Verify.Error("GAI008").WithLocation(2).WithArguments("IInner", "it is nested in file-local type 'Holder', and the guard is generated in another file, which cannot see or extend it"));

    [Fact]
    public Task InheritedMembers_AreReportedOnTheBudgetInterface_ValidBasesAreQuiet() => Verify.VerifyAsync(Usings + """
        public interface IGrand { event System.EventHandler Changed; }

        public interface IBase : IGrand
        {
            Task<string> OtherAsync();
            string Name { get; }

            [LlmPrompt("Hi {x}")]
            Task<string> BadAsync(string y);

            [LlmPrompt("Hi")]
            Task HiAsync();

            string Defaulted() => "a default implementation is fine";
        }

        [LlmBudget("a")]
        public partial interface {|#0:IBot|} : IBase, System.IAsyncDisposable { }

        public interface IGoodBase
        {
            [LlmPrompt("Good {x}")]
            Task<string> GoodAsync(string x);
        }

        [LlmBudget("b")]
        public partial interface IOk : IGoodBase, IChatClient, System.IDisposable { }
        """,
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot", "IBase.OtherAsync", "it has no [LlmPrompt] attribute, so there is no prompt to send"),
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot", "IBase.Name", "a property has no prompt; only [LlmPrompt] methods can be generated"),
        Verify.Error("GAI006").WithLocation(0).WithArguments("IBot", "IBase.BadAsync", "{x}", "matches no parameter"),
        AnalyzerVerifier<BudgetInterfaceAnalyzer>.Diagnostic("GAI007").WithLocation(0).WithArguments("IBot", "y", "IBase.BadAsync"),
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot", "IBase.HiAsync", "it returns System.Threading.Tasks.Task, but only Task<string>, Task<T> and IAsyncEnumerable<string> are supported"),
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot", "IGrand.Changed", "an event has no prompt; only [LlmPrompt] methods can be generated"),
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot", "IAsyncDisposable.DisposeAsync", "it has no [LlmPrompt] attribute, so there is no prompt to send"));

    [Fact]
    public Task ByRefReturn_NullTemplate_ReabstractionAndIndexer_AreGAI008_NestedTypesAreQuiet() => Verify.VerifyAsync(Usings + """
        public interface IHello { string Hello(); }

        [LlmBudget("a")]
        public partial interface {|#4:IBot|} : IHello
        {
            [LlmPrompt("Hi")]
            ref Task<string> {|#0:ByRefAsync|}();

        #nullable disable
            [LlmPrompt(null)]
            Task<string> {|#1:NullTemplateAsync|}();
        #nullable restore

            abstract string IHello.{|#2:Hello|}();

            string {|#3:this|}[int index] { get; }

            public interface INested { void M(); }
            public abstract class Helper { public abstract void M(); }
        }
        """,
        Verify.Error("GAI008").WithLocation(0).WithArguments("IBot.ByRefAsync", "it returns by reference, which is not supported"),
        Verify.Error("GAI008").WithLocation(1).WithArguments("IBot.NullTemplateAsync", "its [LlmPrompt] template is null"),
        Verify.Error("GAI008").WithLocation(2).WithArguments("IBot.IHello.Hello", "it re-abstracts an inherited member; only [LlmPrompt] methods can be generated"),
        Verify.Error("GAI008").WithLocation(3).WithArguments("IBot.this[]", "an indexer has no prompt; only [LlmPrompt] methods can be generated"),
        // The re-abstracted base member is still abstract in IHello, and the generator implements base members too.
        Verify.Error("GAI008").WithLocation(4).WithArguments("IBot", "IHello.Hello", "it has no [LlmPrompt] attribute, so there is no prompt to send"));

    [Fact]
    public async Task WithoutMicrosoftExtensionsAI_IsGAI010()
    {
        var test = new Microsoft.CodeAnalysis.CSharp.Testing.CSharpAnalyzerTest<BudgetInterfaceAnalyzer, Microsoft.CodeAnalysis.Testing.DefaultVerifier>();
        test.TestState.Sources.Add("""
            using System.Threading.Tasks;
            using GuardedAI;

            [LlmBudget("a")]
            public partial interface {|#0:IBot|} { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """);
        test.TestState.ReferenceAssemblies = TestReferences.Net10;
        test.TestState.AdditionalReferences.Add(Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(typeof(GuardedAI.LlmBudgetAttribute).Assembly.Location));
        test.ExpectedDiagnostics.Add(Verify.Error("GAI010").WithLocation(0).WithArguments("IBot"));
        await test.RunAsync(System.Threading.CancellationToken.None);
    }
}
