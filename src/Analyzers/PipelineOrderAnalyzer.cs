using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI011: in a fluent <c>ChatClientBuilder</c> chain, a loop-making client (<c>UseFunctionInvocation()</c>, or a
/// <c>Use(...)</c> that creates a <c>FunctionInvokingChatClient</c>) added after <c>UseBudget</c>. The first <c>Use…</c> is
/// the outermost client, so the tool loop would sit beneath the guard: one guarded call, many provider requests,
/// reserved as one — and <c>BudgetChatClient</c> refuses it when the pipeline is built. Reported on the loop-making call,
/// with the <c>UseBudget</c> call as an additional location; the code fix moves the call before <c>UseBudget</c>.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class PipelineOrderAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.FunctionInvocationBeneathBudget);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            // The chain needs GuardedAI's UseBudget: without GuardedAI among the references, look nothing up.
            if (!AssemblyGate.References(start.Compilation, AssemblyGate.GuardedAI))
                return;
            if (PipelineChain.Create(start.Compilation) is { } chain)
                start.RegisterSyntaxNodeAction(nodeContext => Analyze(nodeContext, chain), SyntaxKind.InvocationExpression);
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, PipelineChain chain)
    {
        var invocation = (InvocationExpressionSyntax)context.Node;
        // Syntax first, so that only calls named like a loop-making link are bound: every invocation in the code passes here.
        if (invocation.Expression is not MemberAccessExpressionSyntax member || !PipelineChain.MayMakeLoop(member.Name.Identifier.ValueText) ||
            chain.Classify(invocation, context.SemanticModel, context.CancellationToken) != PipelineLink.Loop)
        {
            return;
        }

        // The earliest UseBudget below this call: the loop ends up beneath every UseBudget before it, and moving the call
        // before the earliest one fixes them all.
        InvocationExpressionSyntax? budget = null;
        foreach (var link in chain.LinksBelow(invocation, context.SemanticModel, context.CancellationToken))
        {
            if (chain.Classify(link, context.SemanticModel, context.CancellationToken) == PipelineLink.Budget)
                budget = link;
        }
        if (budget is null)
            return;

        var name = member.Name.Identifier.ValueText;
        context.ReportDiagnostic(Diagnostic.Create(
            DiagnosticDescriptors.FunctionInvocationBeneathBudget,
            PipelineChain.CallLocation(invocation),
            new[] { PipelineChain.CallLocation(budget) },
            name));
    }
}
