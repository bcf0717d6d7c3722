using System;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Diagnostics.Telemetry;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// Every analyzer decides at compilation start whether its symbols exist; in a project without them it registers no
/// action at all, so it costs nothing however large the project is.
/// </summary>
public class BailOutTests
{
    private const string PlainSource = """
        using System;
        using System.Collections.Generic;
        using System.Threading.Tasks;

        [assembly: System.Reflection.AssemblyDescription("no LLM here")]

        public class Orders
        {
            private readonly Dictionary<int, string> _items = new();
            [Obsolete("use AddAsync")] public void Add(int id, string name) => _items[id] = name;
            public Task AddAsync(int id, string name) { Add2(id, name); return Task.CompletedTask; }
            private void Add2(int id, string name) { Func<int, int> twice = [Obsolete] (x) => x * 2; _items[twice(id)] = name; }
        }
        """;

    public static TheoryData<string> Analyzers()
    {
        var data = new TheoryData<string>();
        foreach (var type in typeof(UnguardedLlmCallAnalyzer).Assembly.GetTypes().Where(t => t.IsSubclassOf(typeof(DiagnosticAnalyzer)) && !t.IsAbstract))
            data.Add(type.FullName!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Analyzers))]
    public async Task WithoutGuardedAIOrLlmLibraries_RegistersNothing(string analyzerType)
    {
        var telemetry = await RunAsync(analyzerType, withLlmLibraries: false);
        Assert.Equal(1, telemetry.CompilationStartActionsCount);
        Assert.Equal(0, ActionsRegisteredAtCompilationStart(telemetry));
    }

    /// <summary>The control: with GuardedAI and Microsoft.Extensions.AI referenced, each analyzer does register its actions.</summary>
    [Theory]
    [MemberData(nameof(Analyzers))]
    public async Task WithGuardedAIAndLlmLibraries_RegistersItsActions(string analyzerType)
    {
        var telemetry = await RunAsync(analyzerType, withLlmLibraries: true);
        Assert.True(ActionsRegisteredAtCompilationStart(telemetry) > 0);
    }

    private static int ActionsRegisteredAtCompilationStart(AnalyzerTelemetryInfo telemetry) =>
        telemetry.CompilationEndActionsCount + telemetry.CompilationActionsCount + telemetry.SyntaxTreeActionsCount +
        telemetry.AdditionalFileActionsCount + telemetry.SemanticModelActionsCount + telemetry.SymbolActionsCount +
        telemetry.SymbolStartActionsCount + telemetry.SymbolEndActionsCount + telemetry.SyntaxNodeActionsCount +
        telemetry.CodeBlockStartActionsCount + telemetry.CodeBlockEndActionsCount + telemetry.CodeBlockActionsCount +
        telemetry.OperationActionsCount + telemetry.OperationBlockStartActionsCount + telemetry.OperationBlockEndActionsCount +
        telemetry.OperationBlockActionsCount;

    private static async Task<AnalyzerTelemetryInfo> RunAsync(string analyzerType, bool withLlmLibraries)
    {
        var analyzer = (DiagnosticAnalyzer)Activator.CreateInstance(typeof(UnguardedLlmCallAnalyzer).Assembly.GetType(analyzerType)!)!;
        var compilation = MessageAndServiceTests.CreateCompilation(PlainSource, withLlmLibraries);
        Assert.Equal(withLlmLibraries, compilation.GetTypeByMetadataName("GuardedAI.AllowUnguardedLlmCallsAttribute") is not null);
        var withAnalyzers = compilation.WithAnalyzers(
            ImmutableArray.Create(analyzer),
            new CompilationWithAnalyzersOptions(new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        Assert.Empty(await withAnalyzers.GetAnalyzerDiagnosticsAsync(CancellationToken.None));
        return await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
    }
}
