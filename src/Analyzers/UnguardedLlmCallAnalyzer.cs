using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI001: an invocation that calls a model without a GuardedAI budget. Calls whose client is a local are
/// decided at once; calls whose client comes from a field, a property or dependency injection are decided at the end
/// of the compilation, once every assignment and every <c>IChatClient</c> registration has been seen.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class UnguardedLlmCallAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.UnguardedLlmCall, DiagnosticDescriptors.UnguardedLlmCallCompilationEnd);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(OnCompilationStart);
    }

    private static void OnCompilationStart(CompilationStartAnalysisContext context)
    {
        // No LLM library and no project entry-point file: nothing here can call a model. Decided from assembly names alone.
        if (!AssemblyGate.References(context.Compilation, AssemblyGate.LlmLibraries) && !HasEntryPointsFile(context.Options.AdditionalFiles))
            return;

        var types = new TypeLookup(context.Compilation);
        var entryPoints = LlmEntryPoints.Create(context.Compilation, types, context.Options.AdditionalFiles, context.CancellationToken);
        if (entryPoints.IsEmpty)
            return; // Nothing in this compilation can reach a model: register nothing, cost nothing.

        var session = new UnguardedCallSession(context.Compilation, GuardSymbols.Create(context.Compilation), entryPoints, ClientCatalog.Create(types));
        context.RegisterOperationAction(session.AnalyzeInvocation, OperationKind.Invocation);
        context.RegisterOperationAction(session.AnalyzeMethodReference, OperationKind.MethodReference);
        context.RegisterOperationAction(
            session.RecordMemberWrite,
            OperationKind.SimpleAssignment, OperationKind.CoalesceAssignment, OperationKind.FieldInitializer,
            OperationKind.PropertyInitializer, OperationKind.Return);
        context.RegisterCompilationEndAction(session.ReportDeferred);
    }

    private static bool HasEntryPointsFile(ImmutableArray<AdditionalText> files)
    {
        foreach (var file in files)
        {
            if (string.Equals(System.IO.Path.GetFileName(file.Path), EntryPointCatalog.EntryPointsFileName, System.StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }
}
