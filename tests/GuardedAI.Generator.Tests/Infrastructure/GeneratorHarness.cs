using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GuardedAI.Generator.Tests.Infrastructure;

/// <summary>
/// Runs <see cref="LlmBudgetGenerator"/> over source text with <see cref="CSharpGeneratorDriver"/>, referencing the
/// assemblies of the running test host (the .NET shared framework, GuardedAI.Runtime, Microsoft.Extensions.AI, …),
/// so no package download is needed at test time.
/// </summary>
internal static class GeneratorHarness
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest, DocumentationMode.Diagnose);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        string paths = (string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty;
        return paths.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Path.GetFileName(p).StartsWith("GuardedAI.Generator", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray();
    });

    /// <summary>Every assembly the test host can load (framework, runtime, Microsoft.Extensions.*).</summary>
    public static ImmutableArray<MetadataReference> References => s_references.Value;

    /// <summary>The references minus the assemblies whose simple name is in <paramref name="excluded"/>.</summary>
    public static ImmutableArray<MetadataReference> ReferencesWithout(params string[] excluded)
        => References.Where(r => !excluded.Contains(Path.GetFileNameWithoutExtension(((PortableExecutableReference)r).FilePath))).ToImmutableArray();

    public static CSharpCompilation CreateCompilation(IEnumerable<string> sources, IEnumerable<MetadataReference>? references = null)
        => CSharpCompilation.Create(
            "GeneratorTestInput",
            sources.Select((source, i) => CSharpSyntaxTree.ParseText(source, ParseOptions, path: $"Input{i}.cs")),
            references ?? References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                // CS1591 (public member without docs) concerns the test input, not the generated code.
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CS1591"] = ReportDiagnostic.Suppress }));

    public static GeneratorDriver CreateDriver(bool trackSteps = false)
        => CSharpGeneratorDriver.Create(
            new[] { new LlmBudgetGenerator().AsSourceGenerator() },
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator once; fails the test when the generator throws.</summary>
    public static GeneratorResult Run(string source, IEnumerable<MetadataReference>? references = null)
        => Run(new[] { source }, references);

    public static GeneratorResult Run(IEnumerable<string> sources, IEnumerable<MetadataReference>? references = null)
    {
        CSharpCompilation input = CreateCompilation(sources, references);
        GeneratorDriver driver = CreateDriver().RunGeneratorsAndUpdateCompilation(input, out Compilation output, out ImmutableArray<Diagnostic> diagnostics);
        GeneratorDriverRunResult result = driver.GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.Empty(diagnostics);
        return new GeneratorResult(input, output, result.GeneratedTrees);
    }
}

/// <summary>What one generator run produced.</summary>
internal sealed record GeneratorResult(Compilation Input, Compilation Output, ImmutableArray<SyntaxTree> GeneratedTrees)
{
    /// <summary>The generated files, ordered by hint name, each preceded by a header line naming it.</summary>
    public string GeneratedText()
        => string.Join("\n", GeneratedTrees
            .OrderBy(t => t.FilePath, StringComparer.Ordinal)
            .Select(t => $"//// {Path.GetFileName(t.FilePath)}\n{t.GetText()}"));

    /// <summary>Errors anywhere, and any warning or error inside generated code (nullable and XML-doc ones included).</summary>
    public IReadOnlyList<Diagnostic> CompilationProblems()
    {
        var generated = GeneratedTrees.ToHashSet();
        return Output.GetDiagnostics()
            .Where(d => d.Severity == DiagnosticSeverity.Error ||
                        (d.Severity == DiagnosticSeverity.Warning && d.Location.SourceTree is { } tree && generated.Contains(tree)))
            .ToList();
    }
}
