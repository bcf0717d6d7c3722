using System.Collections.Immutable;
using System.Linq;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI002 (invalid budget) and GAI003 (cost limit for a model with no known price), for <c>[LlmBudget]</c> attributes
/// and for <c>BudgetPolicy</c> builder chains of constants. Both are replayed into a <see cref="BudgetDraft"/> with the
/// builder's semantics and checked by <see cref="BudgetRules"/> — the code the runtime's validator runs — so a budget the
/// runtime would refuse never gets past the build, and the build says why in the runtime's words.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BudgetPolicyAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.InvalidBudget, DiagnosticDescriptors.UnknownModelPrice,
        DiagnosticDescriptors.InvalidFluentBudget, DiagnosticDescriptors.UnknownModelPriceFluent);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            // Both the attribute and the builder are GuardedAI's: without it among the references, look nothing up (a
            // type lookup walks every referenced assembly's type tables, the largest cost an idle analyzer has).
            if (!AssemblyGate.References(start.Compilation, AssemblyGate.GuardedAI))
                return;
            if (start.Compilation.GetTypeByMetadataName(RuntimeTypeNames.LlmBudgetAttribute) is { } attributeType)
                start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, attributeType), SymbolKind.NamedType);
            if (FluentBudgetReader.Create(start.Compilation) is { } reader)
                start.RegisterOperationAction(operationContext => AnalyzeBuild(operationContext, reader), OperationKind.Invocation);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, INamedTypeSymbol attributeType)
    {
        foreach (var attribute in context.Symbol.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
                continue;
            var fallback = context.Symbol.Locations.FirstOrDefault() ?? Location.None;
            var budget = AttributeBudgetReader.Read(attribute, fallback, context.CancellationToken);
            var typeName = context.Symbol.Name;
            Report(budget,
                (location, message) => context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidBudget, location, budget.Name, typeName, message)),
                (location, model) => context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnknownModelPrice, location, budget.Name, typeName, model)));
        }
    }

    private static void AnalyzeBuild(OperationAnalysisContext context, FluentBudgetReader reader)
    {
        var build = (IInvocationOperation)context.Operation;
        if (!reader.IsBuild(build) || reader.Read(build) is not { } budget)
            return;
        Report(budget,
            (location, message) => context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.InvalidFluentBudget, location, budget.Name, message)),
            (location, model) => context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.UnknownModelPriceFluent, location, budget.Name, model)));
    }

    /// <summary>Each problem on the value the user wrote; problems between tier and default values alone are never reported.</summary>
    private static void Report(ReadBudget budget, System.Action<Location, string> invalid, System.Action<Location, string> unknownModel)
    {
        foreach (var (location, message) in budget.ReadProblems)
            invalid(location, message);
        foreach (var problem in BudgetRules.Check(budget.Draft))
        {
            if (problem.Blame?.Source is Location location)
                invalid(location, problem.Message);
        }

        if (budget.Draft.Model is { } model && budget.ModelLocation is { } modelLocation && budget.Draft.HasCostLimit && !KnownModels.IsKnown(model))
            unknownModel(modelLocation, model);
    }
}
