using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI008 for the members of an <c>[LlmBudget]</c> interface: each abstract member must be an <c>[LlmPrompt]</c> method
/// the generator can implement; the parameters that can fill its templates go on to <see cref="PromptTemplateRules"/>.
/// </summary>
internal static class BudgetMemberRules
{
    // inheritedBy: null for the interface's own members; for a base interface's member, the [LlmBudget] interface that
    // inherits it, where the diagnostic is reported (the member may be in another file or assembly).
    public static void Analyze(SymbolAnalysisContext context, ISymbol member, BudgetInterfaceSymbols symbols, INamedTypeSymbol? inheritedBy)
    {
        // Members with a default implementation are the user's own, and nested types are not members to implement.
        if (!member.IsAbstract || member is INamedTypeSymbol)
            return;
        switch (member)
        {
            case IMethodSymbol { MethodKind: MethodKind.Ordinary } method:
                AnalyzeMethod(context, method, symbols, inheritedBy);
                break;
            case IPropertySymbol property:
                ReportUnsupported(context, property, (property.IsIndexer ? "an indexer" : "a property") + " has no prompt; only [LlmPrompt] methods can be generated", inheritedBy);
                break;
            case IEventSymbol @event:
                ReportUnsupported(context, @event, "an event has no prompt; only [LlmPrompt] methods can be generated", inheritedBy);
                break;
            case IMethodSymbol { AssociatedSymbol: not null }:
                break; // accessors: reported with their property or event
            case IMethodSymbol other:
                ReportUnsupported(context, other, other.IsStatic
                    ? "static abstract members cannot be generated"
                    : "it re-abstracts an inherited member; only [LlmPrompt] methods can be generated", inheritedBy);
                break;
        }
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, IMethodSymbol method, BudgetInterfaceSymbols symbols, INamedTypeSymbol? inheritedBy)
    {
        var prompt = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.LlmPrompt));
        if (prompt is null)
        {
            ReportUnsupported(context, method, "it has no [LlmPrompt] attribute, so there is no prompt to send", inheritedBy);
            return;
        }
        if (prompt.ConstructorArguments.Length == 1 && prompt.ConstructorArguments[0].Kind != TypedConstantKind.Error &&
            prompt.ConstructorArguments[0].Value is null)
        {
            ReportUnsupported(context, method, "its [LlmPrompt] template is null", inheritedBy);
        }
        if (method.IsStatic)
            ReportUnsupported(context, method, "static abstract members cannot be generated", inheritedBy);
        if (method.IsGenericMethod)
            ReportUnsupported(context, method, "generic methods are not supported; use Task<T> with a concrete T", inheritedBy);
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            ReportUnsupported(context, method, "it returns by reference, which is not supported", inheritedBy);
        else if (!symbols.IsSupportedReturnType(method.ReturnType))
            ReportUnsupported(context, method, $"it returns {method.ReturnType.ToDisplayString()}, but only Task<string>, Task<T> and IAsyncEnumerable<string> are supported", inheritedBy);

        var cancellationTokens = 0;
        var chatOptions = 0;
        var bindable = new List<IParameterSymbol>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                ReportUnsupported(context, parameter, $"parameter '{parameter.Name}' is passed by {Describe(parameter.RefKind)}, which is not supported", inheritedBy, method);
                bindable.Add(parameter); // still a name the template may use: one error is enough
                continue;
            }
            if (SymbolEqualityComparer.Default.Equals(parameter.Type, symbols.CancellationToken))
            {
                if (++cancellationTokens == 2)
                    ReportUnsupported(context, parameter, "it has more than one CancellationToken parameter", inheritedBy, method);
                continue;
            }
            if (SymbolEqualityComparer.Default.Equals(parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), symbols.ChatOptions))
            {
                if (++chatOptions == 2)
                    ReportUnsupported(context, parameter, "it has more than one ChatOptions parameter", inheritedBy, method);
                continue;
            }
            bindable.Add(parameter);
        }

        PromptTemplateRules.Check(context, method, prompt, bindable, inheritedBy);
    }

    private static void ReportUnsupported(SymbolAnalysisContext context, ISymbol member, string reason, INamedTypeSymbol? inheritedBy, IMethodSymbol? owner = null)
    {
        var name = BudgetShapeReport.QualifiedName(owner ?? member);
        if (inheritedBy is null)
            BudgetShapeReport.Report(context, DiagnosticDescriptors.UnsupportedMember, member.Locations[0], name, reason);
        else
            BudgetShapeReport.Report(context, DiagnosticDescriptors.UnsupportedInheritedMember, inheritedBy.Locations[0], inheritedBy.Name, name, reason);
    }

    private static string Describe(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };
}
