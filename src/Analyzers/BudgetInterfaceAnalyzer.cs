using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// The shape rules of <c>[LlmBudget]</c> types, where the generator cannot go on and emits nothing: GAI004 (not
/// partial), GAI005 (not an interface), GAI006 (placeholder with no parameter), GAI007 (parameter never used),
/// GAI008 (member the generator cannot implement). These diagnostics are the only explanation the user gets.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class BudgetInterfaceAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.NonPartialBudgetInterface,
        DiagnosticDescriptors.NonPartialContainingType,
        DiagnosticDescriptors.BudgetOnNonInterface,
        DiagnosticDescriptors.UnknownPlaceholder,
        DiagnosticDescriptors.UnknownPlaceholderInherited,
        DiagnosticDescriptors.UnusedPromptParameter,
        DiagnosticDescriptors.UnusedPromptParameterInherited,
        DiagnosticDescriptors.UnsupportedMember,
        DiagnosticDescriptors.UnsupportedInheritedMember,
        DiagnosticDescriptors.ChatAbstractionsNotReferenced);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (!AssemblyGate.References(start.Compilation, AssemblyGate.GuardedAI))
                return; // [LlmBudget] cannot be applied without GuardedAI: decided from assembly names alone.
            var symbols = BudgetInterfaceSymbols.Create(start.Compilation);
            if (symbols is null)
                return;
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, symbols), SymbolKind.NamedType);
        });
    }

    // Each check below (and in BudgetMemberRules and PromptTemplateRules) mirrors a place where the generator's InterfaceParser returns null (emits nothing); the table
    // "Why nothing was generated" in docs/generator.md lists them side by side.
    private static void AnalyzeType(SymbolAnalysisContext context, BudgetInterfaceSymbols symbols)
    {
        var type = (INamedTypeSymbol)context.Symbol;
        var attribute = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.LlmBudget));
        if (attribute is null)
            return;

        if (type.TypeKind != TypeKind.Interface)
        {
            var location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation() ?? type.Locations[0];
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.BudgetOnNonInterface, location, type.Name, Describe(type.TypeKind)));
            return;
        }

        // GAI010: without IChatClient the generator has nothing to build on.
        if (symbols.ChatClient is null)
        {
            BudgetShapeReport.Report(context, DiagnosticDescriptors.ChatAbstractionsNotReferenced, type.Locations[0], type.Name);
            return;
        }

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is InterfaceDeclarationSyntax declaration &&
                !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NonPartialBudgetInterface, declaration.Identifier.GetLocation(), type.Name));
            }
        }

        // GAI004: the guard of a nested interface is emitted inside the same containing types, re-declared partial.
        for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            foreach (var reference in outer.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax(context.CancellationToken) is TypeDeclarationSyntax declaration &&
                    !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
                {
                    BudgetShapeReport.Report(context, DiagnosticDescriptors.NonPartialContainingType, declaration.Identifier.GetLocation(), type.Name, outer.Name);
                }
            }
        }

        // GAI008: the interface itself must be something the generator can implement and extend from another file.
        // The display string only goes into a message: built when one is reported, not for every [LlmBudget] interface.
        if (type.TypeParameters.Length > 0)
            BudgetShapeReport.Report(context, DiagnosticDescriptors.UnsupportedMember, type.Locations[0], Display(type), "generic [LlmBudget] interfaces are not supported; declare a non-generic interface per concrete type");
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal)
            {
                var what = SymbolEqualityComparer.Default.Equals(current, type) ? "it is a file-local type" : $"it is nested in file-local type '{current.Name}'";
                BudgetShapeReport.Report(context, DiagnosticDescriptors.UnsupportedMember, type.Locations[0], Display(type), what + ", and the guard is generated in another file, which cannot see or extend it");
                break;
            }
        }

        foreach (var member in type.GetMembers())
        {
            if (!member.IsImplicitlyDeclared)
                BudgetMemberRules.Analyze(context, member, symbols, inheritedBy: null);
        }

        // The generator implements the abstract members of every base interface too (IChatClient's are BudgetChatClient's).
        foreach (var baseInterface in type.AllInterfaces)
        {
            if (symbols.IsImplementedByGuard(baseInterface))
                continue;
            foreach (var member in baseInterface.GetMembers())
            {
                if (!member.IsImplicitlyDeclared)
                    BudgetMemberRules.Analyze(context, member, symbols, inheritedBy: type);
            }
        }
    }

    private static string Display(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

    private static string Describe(TypeKind kind) => kind switch
    {
        TypeKind.Class => "class",
        TypeKind.Struct => "struct",
        TypeKind.Enum => "enum",
        TypeKind.Delegate => "delegate",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
