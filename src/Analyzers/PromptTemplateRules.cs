using System.Collections.Generic;
using System.Linq;
using GuardedAI.Templates;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI006 (a placeholder no parameter fills) and GAI007 (a parameter no placeholder uses) over an <c>[LlmPrompt]</c>
/// method's template and System message.
/// </summary>
internal static class PromptTemplateRules
{
    /// <summary>GAI006 and GAI007 over the template and the System message (both are filled from the parameters).</summary>
    public static void Check(SymbolAnalysisContext context, IMethodSymbol method, AttributeData prompt, List<IParameterSymbol> bindable, INamedTypeSymbol? inheritedBy)
    {
        var syntax = prompt.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) as AttributeSyntax;
        var used = new HashSet<string>();

        var texts = new List<(string Text, AttributeArgumentSyntax? Argument)>();
        if (prompt.ConstructorArguments.Length > 0 && prompt.ConstructorArguments[0].Value is string template)
            texts.Add((template, syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null)));
        foreach (var named in prompt.NamedArguments)
        {
            if (named.Key == "System" && named.Value.Value is string system)
                texts.Add((system, syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == "System")));
        }

        foreach (var (text, argument) in texts)
        {
            foreach (var placeholder in PromptTemplate.Parse(text))
            {
                if (placeholder.Kind == TemplatePartKind.Text)
                    continue;
                var shown = "{" + placeholder.Text + (placeholder.IsPlaceholder ? "}" : string.Empty);
                if (!placeholder.IsPlaceholder)
                {
                    ReportPlaceholder(context, method, argument, placeholder, shown, "is never closed (write '{{' for a literal brace)", inheritedBy);
                }
                else if (bindable.Any(p => p.Name == placeholder.Text))
                {
                    used.Add(placeholder.Text);
                }
                else if (method.Parameters.Any(p => p.Name == placeholder.Text))
                {
                    ReportPlaceholder(context, method, argument, placeholder, shown, "names a CancellationToken or ChatOptions parameter, which is not part of the prompt", inheritedBy);
                }
                else
                {
                    ReportPlaceholder(context, method, argument, placeholder, shown, "matches no parameter", inheritedBy);
                }
            }
        }

        foreach (var parameter in bindable)
        {
            if (used.Contains(parameter.Name))
                continue;
            if (inheritedBy is null)
                BudgetShapeReport.Report(context, DiagnosticDescriptors.UnusedPromptParameter, parameter.Locations[0], parameter.Name, method.Name);
            else
                BudgetShapeReport.Report(context, DiagnosticDescriptors.UnusedPromptParameterInherited, inheritedBy.Locations[0], inheritedBy.Name, parameter.Name, BudgetShapeReport.QualifiedName(method));
        }
    }

    private static void ReportPlaceholder(
        SymbolAnalysisContext context, IMethodSymbol method, AttributeArgumentSyntax? argument, TemplatePart placeholder, string shown, string reason, INamedTypeSymbol? inheritedBy)
    {
        if (inheritedBy is null)
        {
            var location = GetPlaceholderLocation(argument, placeholder) ?? method.Locations[0];
            BudgetShapeReport.Report(context, DiagnosticDescriptors.UnknownPlaceholder, location, method.Name, shown, reason);
        }
        else
        {
            BudgetShapeReport.Report(context, DiagnosticDescriptors.UnknownPlaceholderInherited, inheritedBy.Locations[0], inheritedBy.Name, BudgetShapeReport.QualifiedName(method), shown, reason);
        }
    }

    /// <summary>The placeholder's own span inside a plain or verbatim string literal; the whole argument otherwise.</summary>
    private static Location? GetPlaceholderLocation(AttributeArgumentSyntax? argument, TemplatePart placeholder)
    {
        if (argument is null)
            return null;
        if (argument.Expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            var token = literal.Token;
            var value = token.ValueText;
            var prefix = token.Text.StartsWith("@\"") ? 2 : token.Text.StartsWith("\"") ? 1 : -1;
            // Offsets map one to one only when the source text holds the value unescaped.
            if (prefix > 0 && token.Text.Length == value.Length + prefix + 1)
                return Location.Create(literal.SyntaxTree, new TextSpan(token.SpanStart + prefix + placeholder.Start, placeholder.Length));
        }
        return argument.GetLocation();
    }
}
