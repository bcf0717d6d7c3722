using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>How the <c>[LlmBudget]</c> shape rules report: one diagnostic at a location, members named <c>Type.Member</c>.</summary>
internal static class BudgetShapeReport
{
    public static void Report(SymbolAnalysisContext context, DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
        context.ReportDiagnostic(Diagnostic.Create(descriptor, location, arguments));

    public static string QualifiedName(ISymbol member) => $"{member.ContainingType.Name}.{member.Name}";
}
