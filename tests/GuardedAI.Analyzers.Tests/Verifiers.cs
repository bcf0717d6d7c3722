using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Testing;

namespace GuardedAI.Analyzers.Tests;

/// <summary>Runs an analyzer over test sources that can use GuardedAI, Microsoft.Extensions.AI, OpenAI and Anthropic.</summary>
internal static class AnalyzerVerifier<TAnalyzer>
    where TAnalyzer : DiagnosticAnalyzer, new()
{
    /// <summary>A GAI001-style warning; additional locations (the code fix's targets) are checked by the code-fix tests.</summary>
    public static DiagnosticResult Diagnostic(string id) =>
        new DiagnosticResult(id, DiagnosticSeverity.Warning).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    public static DiagnosticResult Error(string id) => new DiagnosticResult(id, DiagnosticSeverity.Error);

    public static Task VerifyAsync(string source, params DiagnosticResult[] expected) => VerifyAsync(new[] { source }, expected);

    public static Task VerifyAsync(string[] sources, params DiagnosticResult[] expected) =>
        VerifyAsync(sources, additionalFiles: null, expected);

    public static Task VerifyAsync(string[] sources, (string Name, string Text)[]? additionalFiles, params DiagnosticResult[] expected) =>
        VerifyAsync(sources, additionalFiles, withFrameworks: true, expected);

    /// <summary>
    /// Without Microsoft.Agents.AI and Semantic Kernel: C# itself cannot name <c>ChatClientExtensions</c> in a static call
    /// while Microsoft.Agents.AI declares a second type of that name (CS0433).
    /// </summary>
    public static Task VerifyWithoutFrameworksAsync(string source, params DiagnosticResult[] expected) =>
        VerifyAsync(new[] { source }, additionalFiles: null, withFrameworks: false, expected);

    private static async Task VerifyAsync(string[] sources, (string Name, string Text)[]? additionalFiles, bool withFrameworks, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>();
        Configure(test.TestState, sources, withFrameworks);
        if (additionalFiles is not null)
        {
            foreach (var file in additionalFiles)
                test.TestState.AdditionalFiles.Add(file);
        }
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    /// <summary>
    /// Like <see cref="VerifyAsync(string, DiagnosticResult[])"/>, with the real GuardedAI generator running first: the
    /// analyzer sees the generated guards exactly as in a build. The generated text itself is checked by the generator tests.
    /// </summary>
    public static async Task VerifyWithGeneratorAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new WithGenerator { TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck };
        Configure(test.TestState, new[] { source });
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }

    private sealed class WithGenerator : CSharpAnalyzerTest<TAnalyzer, DefaultVerifier>
    {
        protected override IEnumerable<System.Type> GetSourceGenerators() => new[] { typeof(GuardedAI.Generator.LlmBudgetGenerator) };
    }

    internal static void Configure(SolutionState state, string[] sources, bool withFrameworks = true)
    {
        for (var i = 0; i < sources.Length; i++)
            state.Sources.Add(($"/0/Test{i}.cs", sources[i]));
        state.ReferenceAssemblies = TestReferences.Net10;
        var references = withFrameworks ? TestReferences.All : TestReferences.Assemblies;
        state.AdditionalReferences.AddRange(System.Linq.Enumerable.Select(references, p => MetadataReference.CreateFromFile(p)));
    }
}

/// <summary>Runs an analyzer and its code fix, checking the text after the fix (and after fix-all).</summary>
internal static class CodeFixVerifier<TAnalyzer, TCodeFix>
    where TAnalyzer : DiagnosticAnalyzer, new()
    where TCodeFix : CodeFixProvider, new()
{
    public static Task VerifyAsync(string source, string fixedSource, int codeActionIndex, params DiagnosticResult[] expected) =>
        VerifyAsync(source, fixedSource, codeActionIndex, compilationEnd: false, expected);

    /// <param name="compilationEnd">
    /// The diagnostics are reported at compilation end (GAI001 for fields, properties and DI). The harness refuses fixes for
    /// such non-local diagnostics unless told otherwise; the IDE offers them once a full build has produced the diagnostic.
    /// </param>
    public static async Task VerifyAsync(string source, string fixedSource, int codeActionIndex, bool compilationEnd, params DiagnosticResult[] expected)
    {
        var test = new CSharpCodeFixTest<TAnalyzer, TCodeFix, DefaultVerifier>
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionIndex = codeActionIndex,
        };
        test.ReferenceAssemblies = TestReferences.Net10;
        test.TestState.AdditionalReferences.AddRange(System.Linq.Enumerable.Select(TestReferences.All, p => MetadataReference.CreateFromFile(p)));
        if (compilationEnd)
            test.CodeFixTestBehaviors |= CodeFixTestBehaviors.SkipLocalDiagnosticCheck;
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync(CancellationToken.None);
    }
}
