using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using GuardedAI.Templates;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

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
        DiagnosticDescriptors.BudgetOnNonInterface,
        DiagnosticDescriptors.UnknownPlaceholder,
        DiagnosticDescriptors.UnusedPromptParameter,
        DiagnosticDescriptors.UnsupportedMember);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var symbols = InterfaceSymbols.Create(start.Compilation);
            if (symbols is null)
                return;
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, symbols), SymbolKind.NamedType);
        });
    }

    private static void AnalyzeType(SymbolAnalysisContext context, InterfaceSymbols symbols)
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

        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(context.CancellationToken) is InterfaceDeclarationSyntax declaration &&
                !declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.NonPartialBudgetInterface, declaration.Identifier.GetLocation(), type.Name));
            }
        }

        foreach (var member in type.GetMembers())
        {
            if (member.IsImplicitlyDeclared)
                continue;
            switch (member)
            {
                case IMethodSymbol { MethodKind: MethodKind.Ordinary } method:
                    AnalyzeMethod(context, method, symbols);
                    break;
                case IPropertySymbol { IsAbstract: true } property:
                    ReportUnsupported(context, property, "a property has no prompt; only [LlmPrompt] methods can be generated");
                    break;
                case IEventSymbol { IsAbstract: true } @event:
                    ReportUnsupported(context, @event, "an event has no prompt; only [LlmPrompt] methods can be generated");
                    break;
            }
        }
    }

    private static void AnalyzeMethod(SymbolAnalysisContext context, IMethodSymbol method, InterfaceSymbols symbols)
    {
        var prompt = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, symbols.LlmPrompt));

        // Methods with a default implementation are the user's own; the generator leaves them alone.
        if (!method.IsAbstract)
            return;

        if (prompt is null)
        {
            ReportUnsupported(context, method, "it has no [LlmPrompt] attribute, so there is no prompt to send");
            return;
        }
        if (method.IsStatic)
            ReportUnsupported(context, method, "static abstract members cannot be generated");
        if (method.IsGenericMethod)
            ReportUnsupported(context, method, "generic methods are not supported; use Task<T> with a concrete T");
        if (!symbols.IsSupportedReturnType(method.ReturnType))
            ReportUnsupported(context, method, $"it returns {method.ReturnType.ToDisplayString()}, but only Task<string>, Task<T> and IAsyncEnumerable<string> are supported");

        var cancellationTokens = 0;
        var chatOptions = 0;
        var bindable = new List<IParameterSymbol>();
        foreach (var parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None)
            {
                ReportUnsupported(context, parameter, $"parameter '{parameter.Name}' is passed by {parameter.RefKind.ToString().ToLowerInvariant()}, which is not supported", method);
                bindable.Add(parameter); // still a name the template may use: one error is enough
                continue;
            }
            if (SymbolEqualityComparer.Default.Equals(parameter.Type, symbols.CancellationToken))
            {
                if (++cancellationTokens == 2)
                    ReportUnsupported(context, parameter, "it has more than one CancellationToken parameter", method);
                continue;
            }
            if (SymbolEqualityComparer.Default.Equals(parameter.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated), symbols.ChatOptions))
            {
                if (++chatOptions == 2)
                    ReportUnsupported(context, parameter, "it has more than one ChatOptions parameter", method);
                continue;
            }
            bindable.Add(parameter);
        }

        CheckTemplates(context, method, prompt, bindable);
    }

    /// <summary>GAI006 and GAI007 over the template and the System message (both are filled from the parameters).</summary>
    private static void CheckTemplates(SymbolAnalysisContext context, IMethodSymbol method, AttributeData prompt, List<IParameterSymbol> bindable)
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
                var location = GetPlaceholderLocation(argument, placeholder) ?? method.Locations[0];
                var shown = "{" + placeholder.Text + (placeholder.IsPlaceholder ? "}" : string.Empty);
                if (!placeholder.IsPlaceholder)
                {
                    Report(context, DiagnosticDescriptors.UnknownPlaceholder, location, method.Name, shown, "is never closed (write '{{' for a literal brace)");
                }
                else if (bindable.Any(p => p.Name == placeholder.Text))
                {
                    used.Add(placeholder.Text);
                }
                else if (method.Parameters.Any(p => p.Name == placeholder.Text))
                {
                    Report(context, DiagnosticDescriptors.UnknownPlaceholder, location, method.Name, shown, "names a CancellationToken or ChatOptions parameter, which is not part of the prompt");
                }
                else
                {
                    Report(context, DiagnosticDescriptors.UnknownPlaceholder, location, method.Name, shown, "matches no parameter");
                }
            }
        }

        foreach (var parameter in bindable)
        {
            if (!used.Contains(parameter.Name))
                Report(context, DiagnosticDescriptors.UnusedPromptParameter, parameter.Locations[0], parameter.Name, method.Name);
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

    private static void ReportUnsupported(SymbolAnalysisContext context, ISymbol member, string reason, IMethodSymbol? owner = null)
    {
        var name = owner is null ? $"{member.ContainingType.Name}.{member.Name}" : $"{owner.ContainingType.Name}.{owner.Name}";
        Report(context, DiagnosticDescriptors.UnsupportedMember, member.Locations[0], name, reason);
    }

    private static void Report(SymbolAnalysisContext context, DiagnosticDescriptor descriptor, Location location, params object[] arguments) =>
        context.ReportDiagnostic(Diagnostic.Create(descriptor, location, arguments));

    private static string Describe(TypeKind kind) => kind switch
    {
        TypeKind.Class => "class",
        TypeKind.Struct => "struct",
        TypeKind.Enum => "enum",
        TypeKind.Delegate => "delegate",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>The symbols the shape rules need, resolved once per compilation.</summary>
    private sealed class InterfaceSymbols
    {
        private InterfaceSymbols(Compilation compilation, INamedTypeSymbol llmBudget)
        {
            LlmBudget = llmBudget;
            LlmPrompt = compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmPromptAttribute);
            CancellationToken = compilation.GetTypeByMetadataName(WellKnownTypeNames.CancellationToken);
            ChatOptions = compilation.GetTypeByMetadataName(WellKnownTypeNames.ChatOptions);
            Task1 = compilation.GetTypeByMetadataName(WellKnownTypeNames.Task1);
            AsyncEnumerable1 = compilation.GetTypeByMetadataName(WellKnownTypeNames.IAsyncEnumerable1);
            String = compilation.GetSpecialType(SpecialType.System_String);
        }

        public INamedTypeSymbol LlmBudget { get; }
        public INamedTypeSymbol? LlmPrompt { get; }
        public INamedTypeSymbol? CancellationToken { get; }
        public INamedTypeSymbol? ChatOptions { get; }
        public INamedTypeSymbol? Task1 { get; }
        public INamedTypeSymbol? AsyncEnumerable1 { get; }
        public INamedTypeSymbol String { get; }

        public static InterfaceSymbols? Create(Compilation compilation)
        {
            var llmBudget = compilation.GetTypeByMetadataName(WellKnownTypeNames.LlmBudgetAttribute);
            return llmBudget is null ? null : new InterfaceSymbols(compilation, llmBudget);
        }

        /// <summary><c>Task&lt;string&gt;</c>, <c>Task&lt;T&gt;</c> (structured output) or <c>IAsyncEnumerable&lt;string&gt;</c>.</summary>
        public bool IsSupportedReturnType(ITypeSymbol type)
        {
            if (type is not INamedTypeSymbol { IsGenericType: true } named)
                return false;
            if (SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, Task1))
                return named.TypeArguments[0] is not ITypeParameterSymbol;
            return SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, AsyncEnumerable1) &&
                   SymbolEqualityComparer.Default.Equals(named.TypeArguments[0].WithNullableAnnotation(NullableAnnotation.NotAnnotated), String);
        }
    }
}
