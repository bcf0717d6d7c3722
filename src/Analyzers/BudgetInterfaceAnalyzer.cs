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
            var symbols = InterfaceSymbols.Create(start.Compilation);
            if (symbols is null)
                return;
            start.RegisterSymbolAction(symbolContext => AnalyzeType(symbolContext, symbols), SymbolKind.NamedType);
        });
    }

    // Each check below mirrors a place where the generator's InterfaceParser returns null (emits nothing); the table
    // "Why nothing was generated" in docs/generator.md lists them side by side.
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

        // GAI010: without IChatClient the generator has nothing to build on.
        if (symbols.ChatClient is null)
        {
            Report(context, DiagnosticDescriptors.ChatAbstractionsNotReferenced, type.Locations[0], type.Name);
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
                    Report(context, DiagnosticDescriptors.NonPartialContainingType, declaration.Identifier.GetLocation(), type.Name, outer.Name);
                }
            }
        }

        // GAI008: the interface itself must be something the generator can implement and extend from another file.
        var display = type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
        if (type.TypeParameters.Length > 0)
            Report(context, DiagnosticDescriptors.UnsupportedMember, type.Locations[0], display, "generic [LlmBudget] interfaces are not supported; declare a non-generic interface per concrete type");
        for (var current = type; current is not null; current = current.ContainingType)
        {
            if (current.IsFileLocal)
            {
                var what = SymbolEqualityComparer.Default.Equals(current, type) ? "it is a file-local type" : $"it is nested in file-local type '{current.Name}'";
                Report(context, DiagnosticDescriptors.UnsupportedMember, type.Locations[0], display, what + ", and the guard is generated in another file, which cannot see or extend it");
                break;
            }
        }

        foreach (var member in type.GetMembers())
        {
            if (!member.IsImplicitlyDeclared)
                AnalyzeMember(context, member, symbols, inheritedBy: null);
        }

        // The generator implements the abstract members of every base interface too (IChatClient's are BudgetChatClient's).
        foreach (var baseInterface in type.AllInterfaces)
        {
            if (symbols.IsImplementedByGuard(baseInterface))
                continue;
            foreach (var member in baseInterface.GetMembers())
            {
                if (!member.IsImplicitlyDeclared)
                    AnalyzeMember(context, member, symbols, inheritedBy: type);
            }
        }
    }

    // inheritedBy: null for the interface's own members; for a base interface's member, the [LlmBudget] interface that
    // inherits it, where the diagnostic is reported (the member may be in another file or assembly).
    private static void AnalyzeMember(SymbolAnalysisContext context, ISymbol member, InterfaceSymbols symbols, INamedTypeSymbol? inheritedBy)
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

    private static void AnalyzeMethod(SymbolAnalysisContext context, IMethodSymbol method, InterfaceSymbols symbols, INamedTypeSymbol? inheritedBy)
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

        CheckTemplates(context, method, prompt, bindable, inheritedBy);
    }

    /// <summary>GAI006 and GAI007 over the template and the System message (both are filled from the parameters).</summary>
    private static void CheckTemplates(SymbolAnalysisContext context, IMethodSymbol method, AttributeData prompt, List<IParameterSymbol> bindable, INamedTypeSymbol? inheritedBy)
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
                Report(context, DiagnosticDescriptors.UnusedPromptParameter, parameter.Locations[0], parameter.Name, method.Name);
            else
                Report(context, DiagnosticDescriptors.UnusedPromptParameterInherited, inheritedBy.Locations[0], inheritedBy.Name, parameter.Name, QualifiedName(method));
        }
    }

    private static void ReportPlaceholder(
        SymbolAnalysisContext context, IMethodSymbol method, AttributeArgumentSyntax? argument, TemplatePart placeholder, string shown, string reason, INamedTypeSymbol? inheritedBy)
    {
        if (inheritedBy is null)
        {
            var location = GetPlaceholderLocation(argument, placeholder) ?? method.Locations[0];
            Report(context, DiagnosticDescriptors.UnknownPlaceholder, location, method.Name, shown, reason);
        }
        else
        {
            Report(context, DiagnosticDescriptors.UnknownPlaceholderInherited, inheritedBy.Locations[0], inheritedBy.Name, QualifiedName(method), shown, reason);
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

    private static void ReportUnsupported(SymbolAnalysisContext context, ISymbol member, string reason, INamedTypeSymbol? inheritedBy, IMethodSymbol? owner = null)
    {
        var name = QualifiedName(owner ?? member);
        if (inheritedBy is null)
            Report(context, DiagnosticDescriptors.UnsupportedMember, member.Locations[0], name, reason);
        else
            Report(context, DiagnosticDescriptors.UnsupportedInheritedMember, inheritedBy.Locations[0], inheritedBy.Name, name, reason);
    }

    private static string QualifiedName(ISymbol member) => $"{member.ContainingType.Name}.{member.Name}";

    private static string Describe(RefKind kind) => kind switch
    {
        RefKind.Ref => "ref",
        RefKind.Out => "out",
        RefKind.In => "in",
        _ => "ref readonly",
    };

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
            ChatClient = compilation.GetTypeByMetadataName(WellKnownTypeNames.IChatClient);
            _implementedByGuard = new HashSet<INamedTypeSymbol>(SymbolEqualityComparer.Default) { compilation.GetSpecialType(SpecialType.System_IDisposable) };
            if (ChatClient is not null)
            {
                _implementedByGuard.Add(ChatClient);
                foreach (var inherited in ChatClient.AllInterfaces)
                    _implementedByGuard.Add(inherited);
            }
        }

        // Read-only after construction, so safe to share between concurrent symbol actions.
        private readonly HashSet<INamedTypeSymbol> _implementedByGuard;

        public INamedTypeSymbol LlmBudget { get; }
        public INamedTypeSymbol? LlmPrompt { get; }
        public INamedTypeSymbol? CancellationToken { get; }
        public INamedTypeSymbol? ChatOptions { get; }
        public INamedTypeSymbol? Task1 { get; }
        public INamedTypeSymbol? AsyncEnumerable1 { get; }
        public INamedTypeSymbol String { get; }
        public INamedTypeSymbol? ChatClient { get; }

        /// <summary>IChatClient, its bases and IDisposable: BudgetChatClient implements them, not the generator.</summary>
        public bool IsImplementedByGuard(INamedTypeSymbol type) => _implementedByGuard.Contains(type);

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
                return named.TypeArguments[0] is not ITypeParameterSymbol { TypeParameterKind: TypeParameterKind.Method }; // that one is GAI008 "generic method"
            return SymbolEqualityComparer.Default.Equals(named.OriginalDefinition, AsyncEnumerable1) &&
                   SymbolEqualityComparer.Default.Equals(named.TypeArguments[0].WithNullableAnnotation(NullableAnnotation.NotAnnotated), String);
        }
    }
}
