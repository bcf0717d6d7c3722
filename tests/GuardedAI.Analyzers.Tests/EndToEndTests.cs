using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using GuardedAI.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// The real generator and the real analyzers over the same source, as in a build: for every interface the generator
/// rejects (emits nothing for), an analyzer must say why; for every interface it implements, the analyzers stay quiet.
/// </summary>
public class EndToEndTests
{
    private const string Usings = """
        #nullable enable
        using System;
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Microsoft.Extensions.AI;
        using GuardedAI;

        namespace Acme.EndToEnd;

        """;

    private static readonly string[] s_interfaceRules = { "GAI004", "GAI005", "GAI006", "GAI007", "GAI008", "GAI010" };

    public static TheoryData<string, string> Rejected => new()
    {
        { "GAI004", """[LlmBudget("b")] public interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI004", """public static class Outer { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } }""" },
        { "GAI004", """public partial class Outer { public class Middle { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } } }""" },
        { "GAI005", """[LlmBudget("b")] public partial class Bot { }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}")] Task<string> HiAsync(string nom); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {Name}")] Task<string> HiAsync(string name); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {ct}")] Task<string> HiAsync(CancellationToken ct); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi { there")] Task<string> HiAsync(); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {a {name}")] Task<string> HiAsync(string name); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {}")] Task<string> HiAsync(); }""" },
        { "GAI006", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}", System = "You are {persona}")] Task<string> HiAsync(string name); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] ValueTask<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] IAsyncEnumerable<int> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] string Hi(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { string Name { get; } [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { string this[int i] { get; } [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { event EventHandler Changed; [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { static abstract string Kind(); [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] static abstract Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { static abstract int Count { get; } [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}")] Task<string> HiAsync(ref string name); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {count}")] Task<string> HiAsync(in int count); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(CancellationToken a, CancellationToken b); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(ChatOptions a, ChatOptions? b); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<T> HiAsync<T>(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] ref Task<string> HiAsync(); }""" },
        { "GAI008", "#nullable disable\n" + """[LlmBudget("b")] public partial interface IBot { [LlmPrompt(null)] Task<string> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot<T> { [LlmPrompt("Hi")] Task<T> HiAsync(); }""" },
        { "GAI008", """[LlmBudget("b")] file partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """file partial class Outer { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } }""" },
        { "GAI008", """public interface IHello { string Hello(); } [LlmBudget("b")] public partial interface IBot : IHello { abstract string IHello.Hello(); }""" },
        // Inherited from base interfaces: the generator implements those too.
        { "GAI008", """public interface IBase { Task<string> OtherAsync(); } [LlmBudget("b")] public partial interface IBot : IBase { [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """public interface IBase { string Name { get; } } [LlmBudget("b")] public partial interface IBot : IBase { [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI008", """public interface IGrand { event EventHandler Changed; } public interface IBase : IGrand { } [LlmBudget("b")] public partial interface IBot : IBase { }""" },
        { "GAI008", """public interface IBase { [LlmPrompt("Hi")] Task HiAsync(); } [LlmBudget("b")] public partial interface IBot : IBase { }""" },
        { "GAI008", """[LlmBudget("b")] public partial interface IBot : IAsyncDisposable { [LlmPrompt("Hi")] Task<string> HiAsync(); }""" },
        { "GAI006", """public interface IBase { [LlmPrompt("Hi {x}")] Task<string> HiAsync(string y); } [LlmBudget("b")] public partial interface IBot : IBase { }""" },
        // A [LlmBudget] base that is itself invalid: neither it nor the child is generated.
        { "GAI008", """[LlmBudget("p")] public partial interface IParent { Task<string> NoPromptAsync(); } [LlmBudget("b")] public partial interface IBot : IParent { }""" },
    };

    public static TheoryData<string> Accepted => new()
    {
        """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi {name}, {{literal}} and a lone } brace", System = "Be {tone}")] Task<string> HiAsync(string name, string tone, CancellationToken ct = default, ChatOptions? options = null); }""",
        """public record Answer(string Text); [LlmBudget("b")] public partial interface IBot : IChatClient, IDisposable { [LlmPrompt("Q {q}")] Task<Answer> AskAsync(string q); [LlmPrompt("S {q}")] IAsyncEnumerable<string> StreamAsync(string q); string Describe() => "mine"; static int Version => 1; }""",
        """public interface IBase { [LlmPrompt("Hi {x}")] Task<string> HiAsync(string x); string Defaulted() => "ok"; } [LlmBudget("b")] public partial interface IBot : IBase { [LlmPrompt("Bye {x}")] Task<string> ByeAsync(string x); }""",
        """public partial class Outer { internal partial struct Inner { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); } } }""",
        // Generic containing types are fine, and Task<T> of the containing type's T is a concrete result there.
        """public partial class Holder<T> { [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Get {value}")] Task<T> GetAsync(T value); } }""",
        // Nested types are not members to implement.
        """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); public interface INested { void M(); } public abstract class Helper { public abstract void M(); } }""",
    };

    [Theory]
    [MemberData(nameof(Rejected))]
    public async Task Rejected_NothingIsGenerated_AndAnAnalyzerSaysWhy(string expectedId, string declaration)
    {
        var run = await RunAsync(Usings + declaration);

        Assert.True(run.Generated.IsEmpty, $"expected no generated source for:\n{declaration}\ngot:\n{string.Join("\n", run.Generated.Select(t => t.ToString()))}");
        Assert.True(run.Diagnostics.Any(d => d.Id == expectedId),
            $"expected {expectedId} for:\n{declaration}\ngot: {Describe(run.Diagnostics)}");
    }

    [Theory]
    [MemberData(nameof(Accepted))]
    public async Task Accepted_SourceIsGenerated_AndTheAnalyzersAreQuiet(string declaration)
    {
        var run = await RunAsync(Usings + declaration);

        Assert.False(run.Generated.IsEmpty, $"expected generated source for:\n{declaration}");
        Assert.True(run.Diagnostics.IsEmpty, $"expected no diagnostic for:\n{declaration}\ngot: {Describe(run.Diagnostics)}");
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"the generated code does not compile: {Describe(errors)}");
    }

    public static TheoryData<string> UnusedParameter => new()
    {
        """[LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(string name); }""",
        """public interface IBase { [LlmPrompt("Hi")] Task<string> HiAsync(string y); } [LlmBudget("b")] public partial interface IBot : IBase { }""",
    };

    [Theory]
    [MemberData(nameof(UnusedParameter))]
    public async Task UnusedParameter_IsGenerated_WithTheGAI007Warning(string declaration)
    {
        // GAI007 is a warning, so the build goes on: the client must exist, or every use of it would fail to compile.
        var run = await RunAsync(Usings + declaration);

        Assert.False(run.Generated.IsEmpty, $"expected generated source for:\n{declaration}");
        var diagnostic = Assert.Single(run.Diagnostics);
        Assert.Equal(("GAI007", DiagnosticSeverity.Warning), (diagnostic.Id, diagnostic.Severity));
        var errors = run.Output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, $"the generated code does not compile: {Describe(errors)}");
    }

    [Fact]
    public async Task WithoutMicrosoftExtensionsAI_NothingIsGenerated_AndGAI010SaysWhy()
    {
        const string source = """
            using System.Threading.Tasks;
            using GuardedAI;
            [LlmBudget("b")] public partial interface IBot { [LlmPrompt("Hi")] Task<string> HiAsync(); }
            """;

        var without = await RunAsync(source, References.Where(r => !r.Display!.EndsWith("Microsoft.Extensions.AI.Abstractions.dll", StringComparison.Ordinal)));
        Assert.True(without.Generated.IsEmpty);
        Assert.Equal(new[] { "GAI010" }, without.Diagnostics.Select(d => d.Id));

        // The control: the same source with the package referenced is generated and quiet.
        var with = await RunAsync(source);
        Assert.False(with.Generated.IsEmpty);
        Assert.Empty(with.Diagnostics);
    }

    private sealed record Run(ImmutableArray<SyntaxTree> Generated, ImmutableArray<Diagnostic> Diagnostics, Compilation Output);

    /// <summary>The generator, then the interface-shape analyzers over the generator's output compilation (as in a build).</summary>
    private static async Task<Run> RunAsync(string source, IEnumerable<MetadataReference>? references = null)
    {
        var parseOptions = new CSharpParseOptions(LanguageVersion.Latest);
        var input = CSharpCompilation.Create(
            "EndToEnd",
            new[] { CSharpSyntaxTree.ParseText(source, parseOptions, path: "Input.cs") },
            references ?? References,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // The test inputs are valid C#, except where the case is about that (GAI005: [LlmBudget] on a class).
        var inputErrors = input.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS0592").ToList();
        Assert.True(inputErrors.Count == 0, $"test input does not compile: {Describe(inputErrors)}");

        GeneratorDriver driver = CSharpGeneratorDriver.Create(new[] { new LlmBudgetGenerator().AsSourceGenerator() }, parseOptions: parseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(input, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.Empty(generatorDiagnostics);

        var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new BudgetInterfaceAnalyzer());
        var diagnostics = await output.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        return new Run(result.GeneratedTrees, diagnostics.Where(d => s_interfaceRules.Contains(d.Id)).ToImmutableArray(), output);
    }

    private static string Describe(IEnumerable<Diagnostic> diagnostics)
    {
        var text = string.Join("\n  ", diagnostics.Select(d => d.ToString()));
        return text.Length == 0 ? "(none)" : "\n  " + text;
    }

    /// <summary>The test host's own assemblies: the shared framework, GuardedAI.Runtime, Microsoft.Extensions.AI.</summary>
    private static IEnumerable<MetadataReference> References => s_references.Value;

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("GuardedAI.Generator", StringComparison.Ordinal) &&
                        !Path.GetFileName(p).StartsWith("GuardedAI.Analyzers", StringComparison.Ordinal) &&
                        !Path.GetFileName(p).StartsWith("GuardedAI.CodeFixes", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());
}
