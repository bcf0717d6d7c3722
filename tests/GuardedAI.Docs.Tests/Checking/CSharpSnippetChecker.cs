using System.Collections.Immutable;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using GuardedAI.Generator;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Docs.Tests.Checking;

/// <summary>
/// Compiles a doc's C# blocks in memory, as a reader's new console app would build them: <c>Nullable</c> and the
/// console template's implicit usings on, the [LlmBudget] generator run, every assembly of the test host referenced
/// (GuardedAI's projects and the packages the docs use). A block with top-level statements is a program, one without is
/// a library. A <c>```csharp continued</c> block is compiled together with the blocks it continues (their usings, their
/// statements in order, then their types). Compiler errors and warnings, and the GuardedAI analyzers' errors, are
/// failures (the project builds with warnings as errors, and so may the reader); <c>#line</c> directives map each one to
/// the Markdown file and line.
/// </summary>
public sealed class CSharpSnippetChecker
{
    /// <summary>What <c>dotnet new console</c> (ImplicitUsings enabled) puts in scope.</summary>
    private const string ImplicitUsings = """
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    private static readonly CSharpParseOptions s_parseOptions = new(LanguageVersion.Latest);

    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
        ((string?)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            // Build-time components are not referenced by a user's app; the test host's own assemblies are noise.
            .Where(p => !Path.GetFileName(p).StartsWith("GuardedAI.Generator", StringComparison.Ordinal)
                && !Path.GetFileName(p).StartsWith("GuardedAI.Analyzers", StringComparison.Ordinal)
                && !Path.GetFileName(p).StartsWith("GuardedAI.Docs.Tests", StringComparison.Ordinal))
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .ToImmutableArray());

    /// <summary>Checks every C# block of one file (blocks marked fragment are skipped).</summary>
    public IReadOnlyList<DocProblem> Check(IReadOnlyList<FencedBlock> blocks)
    {
        var problems = new List<DocProblem>();
        foreach (var program in Programs(blocks, problems))
        {
            problems.AddRange(Compile(program));
        }
        return problems;
    }

    /// <summary>Groups a file's C# blocks into programs: each block, with the <c>continued</c> blocks after it.</summary>
    private static List<List<FencedBlock>> Programs(IReadOnlyList<FencedBlock> blocks, List<DocProblem> problems)
    {
        var programs = new List<List<FencedBlock>>();
        foreach (var block in blocks.Where(b => b.IsCSharp && !b.IsFragment))
        {
            if (!block.Continues) programs.Add([block]);
            else if (programs.Count == 0) problems.Add(new DocProblem(block.File, block.FenceLine, "```csharp continued, but no compiled C# block comes before it in this file."));
            else programs[^1].Add(block);
        }
        return programs;
    }

    private static IEnumerable<DocProblem> Compile(List<FencedBlock> program)
    {
        var source = Assemble(program, out var parseProblems);
        return parseProblems.Count > 0 ? parseProblems : Compile(program[0], source);
    }

    private static IEnumerable<DocProblem> Compile(FencedBlock first, string source)
    {
        var tree = CSharpSyntaxTree.ParseText(source, s_parseOptions, path: first.File + ".snippet.cs", encoding: Encoding.UTF8);
        var isProgram = tree.GetCompilationUnitRoot().Members.OfType<GlobalStatementSyntax>().Any();
        Compilation compilation = CSharpCompilation.Create(
            "Snippet",
            [tree, CSharpSyntaxTree.ParseText(ImplicitUsings, s_parseOptions, path: "ImplicitUsings.g.cs")],
            s_references.Value,
            new CSharpCompilationOptions(
                isProgram ? OutputKind.ConsoleApplication : OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                // As the SDK does (NoWarn 1701;1702): package assemblies built against older versions of their dependencies.
                specificDiagnosticOptions: new Dictionary<string, ReportDiagnostic> { ["CS1701"] = ReportDiagnostic.Suppress, ["CS1702"] = ReportDiagnostic.Suppress }));
        if (source.Contains("LlmBudget", StringComparison.Ordinal))
        {
            CSharpGeneratorDriver.Create(new LlmBudgetGenerator().AsSourceGenerator())
                .WithUpdatedParseOptions(s_parseOptions)
                .RunGeneratorsAndUpdateCompilation(compilation, out compilation, out var generatorDiagnostics);
            foreach (var d in generatorDiagnostics.Where(IsFailure)) yield return Describe(d, first);
        }
        foreach (var d in compilation.GetDiagnostics().Where(IsFailure).OrderBy(d => d.Location.SourceSpan.Start))
        {
            yield return Describe(d, first);
        }
        // GuardedAI's own build-time errors too: a snippet the analyzers reject (GAI011's loop beneath the guard, GAI002's
        // budget that cannot work) would fail a reader's build or run. Their warnings (GAI001) are what some docs show.
        var analyzed = compilation.WithAnalyzers(s_analyzers.Value)
            .GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        foreach (var d in analyzed.Where(d => d.Severity == DiagnosticSeverity.Error).OrderBy(d => d.Location.SourceSpan.Start))
        {
            yield return Describe(d, first);
        }
    }

    private static readonly Lazy<ImmutableArray<DiagnosticAnalyzer>> s_analyzers = new(() =>
        typeof(GuardedAI.Analyzers.DiagnosticIds).Assembly.GetTypes()
            .Where(t => typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t, nonPublic: true)!)
            .ToImmutableArray());

    private static bool IsFailure(Diagnostic d) =>
        d.Severity == DiagnosticSeverity.Error
        // Hidden and info diagnostics are advice; level-0 warnings are ordinary warnings a reader's build would show.
        || (d.Severity == DiagnosticSeverity.Warning && !d.IsSuppressed);

    private static DocProblem Describe(Diagnostic d, FencedBlock first)
    {
        var mapped = d.Location.GetMappedLineSpan();
        var file = mapped.HasMappedPath ? mapped.Path : first.File;
        var line = mapped.HasMappedPath ? mapped.StartLinePosition.Line + 1 : first.FenceLine;
        var severity = d.Severity == DiagnosticSeverity.Error ? "error" : "warning";
        return new DocProblem(file, line, $"{severity} {d.Id}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// One source text from the blocks: usings first, then the top-level statements in order, then the types — each
    /// piece behind a <c>#line</c> directive naming its Markdown file and line.
    /// </summary>
    private static string Assemble(List<FencedBlock> program, out List<DocProblem> problems)
    {
        problems = [];
        var usings = new StringBuilder();
        var statements = new StringBuilder();
        var members = new StringBuilder();
        var attributes = new StringBuilder();
        var seenUsings = new HashSet<string>(StringComparer.Ordinal);
        foreach (var block in program)
        {
            var root = CSharpSyntaxTree.ParseText(block.Text, s_parseOptions).GetCompilationUnitRoot();
            foreach (var error in root.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error))
            {
                problems.Add(new DocProblem(block.File, block.FirstLine + error.Location.GetLineSpan().StartLinePosition.Line,
                    $"error {error.Id}: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}"));
            }
            foreach (var node in root.Externs.Cast<SyntaxNode>().Concat(root.Usings))
            {
                if (seenUsings.Add(node.ToString())) Append(usings, block, node);
            }
            foreach (var list in root.AttributeLists) Append(attributes, block, list);
            foreach (var member in root.Members)
            {
                Append(member is GlobalStatementSyntax ? statements : members, block, member);
            }
        }
        return usings.Append(attributes).Append(statements).Append(members).ToString();
    }

    private static void Append(StringBuilder text, FencedBlock block, SyntaxNode node)
    {
        var line = block.FirstLine + node.GetLocation().GetLineSpan().StartLinePosition.Line;
        var column = node.GetLocation().GetLineSpan().StartLinePosition.Character;
        text.Append("#line ").Append(line).Append(" \"").Append(block.File).Append("\"\n")
            .Append(' ', column).Append(node.ToString()).Append('\n');
    }
}
