using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>GAI009: <c>[AllowUnguardedLlmCalls]</c> with a null, empty or blank justification, wherever it is applied (assembly included).</summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AllowUnguardedJustificationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.MissingJustification);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var attributeType = start.Compilation.GetTypeByMetadataName(WellKnownTypeNames.AllowUnguardedLlmCallsAttribute);
            if (attributeType is null)
                return;
            start.RegisterOperationAction(operationContext => Analyze(operationContext, attributeType), OperationKind.Attribute);
        });
    }

    private static void Analyze(OperationAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var attribute = (IAttributeOperation)context.Operation;
        if (attribute.Operation is not IObjectCreationOperation creation ||
            !SymbolEqualityComparer.Default.Equals(creation.Constructor?.ContainingType, attributeType))
        {
            return;
        }

        string? justification = null;
        foreach (var argument in creation.Arguments)
        {
            if (argument.Value.ConstantValue is { HasValue: true, Value: string text })
                justification = text;
        }

        if (string.IsNullOrWhiteSpace(justification))
        {
            var target = context.ContainingSymbol is IAssemblySymbol or IModuleSymbol or INamespaceSymbol || string.IsNullOrEmpty(context.ContainingSymbol.Name)
                ? "the assembly"
                : context.ContainingSymbol.Name;
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MissingJustification, attribute.Syntax.GetLocation(), target));
        }
    }
}
