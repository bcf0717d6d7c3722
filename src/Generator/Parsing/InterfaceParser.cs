using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using GuardedAI.Generator.Model;
using GuardedAI.Templates;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.Generator.Parsing;

/// <summary>
/// Turns a <c>[LlmBudget]</c> interface into an <see cref="InterfaceModel"/>, or into nothing when the
/// interface breaks a rule. The generator reports no diagnostics: the analyzers do (GAI004 not partial,
/// GAI005 not an interface, GAI006 placeholder without a parameter, GAI008 unsupported member or signature),
/// so each rule is explained in exactly one place.
/// </summary>
internal static class InterfaceParser
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static InterfaceModel? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetNode is not InterfaceDeclarationSyntax ||
            context.TargetSymbol is not INamedTypeSymbol symbol ||
            context.Attributes.Length != 1 ||
            KnownTypes.For(context.SemanticModel.Compilation) is not { } known)
        {
            return null;
        }

        return Parse(symbol, context.Attributes[0], known, cancellationToken);
    }

    private static InterfaceModel? Parse(INamedTypeSymbol symbol, AttributeData attribute, KnownTypes known, CancellationToken cancellationToken)
    {
        // GAI004: the interface and every type around it must be partial, or there is nowhere to add to.
        // GAI008: generic and file-local interfaces are not supported.
        if (!IsPartialInSource(symbol) || symbol.TypeParameters.Length > 0 || symbol.IsFileLocal) return null;

        var containers = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? outer = symbol.ContainingType; outer is not null; outer = outer.ContainingType)
        {
            // GAI008: a file-local type cannot be extended from the generated file.
            if (!IsPartialInSource(outer) || outer.IsFileLocal) return null;
            containers.Insert(0, outer);
        }

        cancellationToken.ThrowIfCancellationRequested();

        EquatableArray<MethodModel>? methods = ParseMembers(symbol, known, cancellationToken);
        if (methods is null) return null;

        PolicyModel? policy = PolicyParser.Parse(attribute);
        if (policy is null) return null;

        string? ns = symbol.ContainingNamespace.IsGlobalNamespace ? null : symbol.ContainingNamespace.ToDisplayString();
        string baseName = TypeNames.BaseName(symbol.Name);
        string clientName = "Guarded" + baseName;
        bool nestedInGeneric = containers.Any(c => c.TypeParameters.Length > 0);

        return new InterfaceModel(
            HintName: TypeNames.HintName(symbol),
            Namespace: ns,
            ContainingTypes: containers.Select(c => new ContainingTypeModel(TypeNames.KeywordOf(c), TypeNames.NameWithTypeParameters(c))).ToEquatableArray(),
            InterfaceName: TypeNames.EscapeIdentifier(symbol.Name),
            InterfaceFullName: symbol.ToDisplayString(s_typeFormat),
            Accessibility: TypeNames.AccessibilityKeyword(symbol.DeclaredAccessibility),
            ClientName: clientName,
            ClientFullName: TypeNames.ClientFullName(symbol, clientName),
            IsChatClientDeclared: symbol.AllInterfaces.Contains(known.ChatClient, SymbolEqualityComparer.Default),
            HidesInheritedCreate: HidesInheritedCreate(symbol, known, cancellationToken),
            Registration: known.ServiceCollection is null || nestedInGeneric ? null : TypeNames.Registration(symbol, containers, baseName),
            Policy: policy,
            Methods: methods.Value);
    }

    /// <summary>Declared in this compilation, with <c>partial</c> on every declaration.</summary>
    private static bool IsPartialInSource(INamedTypeSymbol type)
    {
        if (type.DeclaringSyntaxReferences.IsEmpty) return false;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax() is not TypeDeclarationSyntax declaration || !IsPartial(declaration.Modifiers)) return false;
        }

        return true;
    }

    /// <summary>
    /// True when a base interface has (or is given by this generator) the same static <c>Create</c>, so that
    /// ours needs <c>new</c>: a base [LlmBudget] interface in another assembly already has it; one in this
    /// compilation gets it when it is valid.
    /// </summary>
    private static bool HidesInheritedCreate(INamedTypeSymbol symbol, KnownTypes known, CancellationToken cancellationToken)
    {
        foreach (INamedTypeSymbol type in symbol.AllInterfaces)
        {
            foreach (ISymbol member in type.GetMembers("Create"))
            {
                if (member is IMethodSymbol { IsStatic: true, Parameters.Length: 2 } create &&
                    SymbolEqualityComparer.Default.Equals(create.Parameters[0].Type, known.ChatClient) &&
                    SymbolEqualityComparer.Default.Equals(create.Parameters[1].Type, known.BudgetEngine))
                {
                    return true;
                }
            }

            if (!type.DeclaringSyntaxReferences.IsEmpty &&
                type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.BudgetAttribute)) is { } attribute &&
                Parse(type, attribute, known, cancellationToken) is not null)
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsPartial(SyntaxTokenList modifiers) => modifiers.Any(SyntaxKind.PartialKeyword);

    private static EquatableArray<MethodModel>? ParseMembers(INamedTypeSymbol symbol, KnownTypes known, CancellationToken cancellationToken)
    {
        // Members the base class already implements (IChatClient and what it extends) are not the user's.
        HashSet<INamedTypeSymbol> implementedByBase = known.ImplementedByBase;

        var methods = new List<(IMethodSymbol Symbol, MethodModel Model)>();
        var names = new HashSet<string>(System.StringComparer.Ordinal);
        bool sameName = false;
        foreach (INamedTypeSymbol type in new[] { symbol }.Concat(symbol.AllInterfaces))
        {
            if (implementedByBase.Contains(type)) continue;
            foreach (ISymbol member in type.GetMembers())
            {
                cancellationToken.ThrowIfCancellationRequested();

                // Members with a default implementation, static ones included, need nothing from us, and nested types
                // (abstract for an interface or abstract class) are not members to implement; a static abstract
                // member cannot be implemented by an instance client (GAI008).
                if (!member.IsAbstract || member is INamedTypeSymbol) continue;
                if (member.IsStatic) return null;

                // GAI008: the only abstract members a guarded interface may have are [LlmPrompt] methods.
                if (member is not IMethodSymbol { MethodKind: MethodKind.Ordinary } method) return null;

                MethodModel? model = ParseMethod(method, known);
                if (model is null) return null;

                methods.Add((method, model));
                if (!names.Add(method.Name)) sameName = true;
            }
        }

        // An interface that redeclares a method of its base is implemented once. Two methods can only share a signature
        // when they share a name, so the signatures (a display string per parameter) are built only then.
        if (!sameName) return methods.Select(m => m.Model).ToEquatableArray();

        var signatures = new HashSet<string>();
        var distinct = new List<MethodModel>(methods.Count);
        foreach ((IMethodSymbol method, MethodModel model) in methods)
        {
            string signature = method.Name + "(" + string.Join(",", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat))) + ")";
            if (signatures.Add(signature)) distinct.Add(model);
        }

        return distinct.ToEquatableArray();
    }

    private static MethodModel? ParseMethod(IMethodSymbol method, KnownTypes known)
    {
        AttributeData? promptAttribute = method.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, known.PromptAttribute));
        if (promptAttribute is null || promptAttribute.ConstructorArguments.Length != 1 || promptAttribute.ConstructorArguments[0].Value is not string template)
        {
            return null;
        }

        // GAI008: generic methods and by-ref returns are not supported.
        if (method.IsGenericMethod || method.ReturnsByRef || method.ReturnsByRefReadonly) return null;

        if (method.ReturnType is not INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } returnType) return null;
        ITypeSymbol result = returnType.TypeArguments[0];
        PromptKind kind;
        if (SymbolEqualityComparer.Default.Equals(returnType.OriginalDefinition, known.Task))
        {
            kind = result.SpecialType == SpecialType.System_String ? PromptKind.Text : PromptKind.Structured;
        }
        else if (SymbolEqualityComparer.Default.Equals(returnType.OriginalDefinition, known.AsyncEnumerable) && result.SpecialType == SpecialType.System_String)
        {
            kind = PromptKind.Stream;
        }
        else
        {
            return null;
        }

        // GAI008: parameters are placeholders, plus at most one CancellationToken and one ChatOptions.
        var parameters = new List<ParameterModel>();
        var placeholders = new Dictionary<string, string>(System.StringComparer.Ordinal);
        string? cancellationTokenName = null, optionsName = null;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            if (parameter.RefKind != RefKind.None) return null;
            string name = TypeNames.EscapeIdentifier(parameter.Name);
            bool isToken = SymbolEqualityComparer.Default.Equals(parameter.Type, known.CancellationToken);
            if (isToken)
            {
                if (cancellationTokenName is not null) return null;
                cancellationTokenName = name;
            }
            else if (SymbolEqualityComparer.Default.Equals(parameter.Type, known.ChatOptions))
            {
                if (optionsName is not null) return null;
                optionsName = name;
            }
            else
            {
                placeholders[parameter.Name] = name;
            }

            parameters.Add(new ParameterModel(
                name,
                parameter.Type.ToDisplayString(s_typeFormat),
                DefaultValues.Of(parameter),
                parameter.IsParams,
                isToken));
        }

        // GAI006: every placeholder (in the prompt or the system message) names a parameter. A parameter no template
        // uses (GAI007) is only a warning: the method is generated and simply does not send that value.
        EquatableArray<TemplateSegment>? prompt = Bind(template, placeholders);
        if (prompt is null) return null;

        EquatableArray<TemplateSegment>? system = null;
        foreach (KeyValuePair<string, TypedConstant> argument in promptAttribute.NamedArguments)
        {
            if (argument.Key == "System" && argument.Value.Value is string systemTemplate)
            {
                system = Bind(systemTemplate, placeholders);
                if (system is null) return null;
            }
        }

        return new MethodModel(
            Name: TypeNames.EscapeIdentifier(method.Name),
            Kind: kind,
            ReturnType: method.ReturnType.ToDisplayString(s_typeFormat),
            ResultType: result.ToDisplayString(s_typeFormat),
            Parameters: parameters.ToEquatableArray(),
            Prompt: prompt.Value,
            System: system,
            CancellationTokenParameter: cancellationTokenName,
            OptionsParameter: optionsName);
    }

    /// <summary>The template's parts with placeholders bound to parameter names; null when it is invalid.</summary>
    private static EquatableArray<TemplateSegment>? Bind(string template, Dictionary<string, string> placeholders)
    {
        List<TemplatePart> parts = PromptTemplate.Parse(template);
        if (!PromptTemplate.IsWellFormed(parts)) return null;

        var segments = new List<TemplateSegment>(parts.Count);
        foreach (TemplatePart part in parts)
        {
            if (!part.IsPlaceholder)
            {
                segments.Add(new TemplateSegment(part.Text, IsPlaceholder: false));
                continue;
            }

            if (!placeholders.TryGetValue(part.Text, out string? parameterName)) return null;
            segments.Add(new TemplateSegment(parameterName, IsPlaceholder: true));
        }

        return segments.ToEquatableArray();
    }
}
