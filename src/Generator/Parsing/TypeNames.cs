using System.Collections.Generic;
using System.Linq;
using System.Text;
using GuardedAI.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GuardedAI.Generator.Parsing;

/// <summary>The names the generated code declares or refers to: the client, its file, the DI extension, containing types.</summary>
internal static class TypeNames
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    internal static RegistrationModel? Registration(INamedTypeSymbol symbol, List<INamedTypeSymbol> containers, string baseName)
    {
        // An extension class is top-level: it can only name interfaces visible outside their containing types.
        bool isInternal = false;
        foreach (INamedTypeSymbol type in containers.Concat(new[] { symbol }))
        {
            switch (type.DeclaredAccessibility)
            {
                case Accessibility.Public:
                    break;
                case Accessibility.Internal:
                case Accessibility.ProtectedOrInternal:
                    isInternal = true;
                    break;
                default:
                    return null;
            }
        }

        string prefix = string.Concat(containers.Select(c => c.Name));
        return new RegistrationModel(
            ClassName: prefix + baseName + "ServiceCollectionExtensions",
            MethodName: "Add" + baseName,
            Accessibility: isInternal ? "internal" : "public");
    }

    /// <summary><c>ISupportBot</c> → <c>SupportBot</c>; names that do not follow the I-prefix convention stay.</summary>
    internal static string BaseName(string interfaceName)
        => interfaceName.Length > 1 && interfaceName[0] == 'I' && char.IsUpper(interfaceName[1])
            ? interfaceName.Substring(1)
            : interfaceName;

    internal static string ClientFullName(INamedTypeSymbol symbol, string clientName)
    {
        if (symbol.ContainingType is { } outer) return outer.ToDisplayString(s_typeFormat) + "." + clientName;
        return symbol.ContainingNamespace.IsGlobalNamespace
            ? "global::" + clientName
            : "global::" + symbol.ContainingNamespace.ToDisplayString() + "." + clientName;
    }

    internal static string HintName(INamedTypeSymbol symbol)
    {
        var builder = new StringBuilder();
        if (!symbol.ContainingNamespace.IsGlobalNamespace) builder.Append(symbol.ContainingNamespace.ToDisplayString()).Append('.');
        var names = new List<string>();
        for (INamedTypeSymbol? type = symbol; type is not null; type = type.ContainingType)
        {
            names.Insert(0, type.Arity > 0 ? type.Name + "`" + type.Arity : type.Name);
        }

        return builder.Append(string.Join(".", names)).Append(".g.cs").ToString();
    }

    internal static string KeywordOf(INamedTypeSymbol type) => type switch
    {
        { IsRecord: true, TypeKind: TypeKind.Struct } => "record struct",
        { IsRecord: true } => "record",
        { TypeKind: TypeKind.Struct } => "struct",
        { TypeKind: TypeKind.Interface } => "interface",
        _ => "class",
    };

    internal static string NameWithTypeParameters(INamedTypeSymbol type)
        => type.TypeParameters.Length == 0
            ? EscapeIdentifier(type.Name)
            : EscapeIdentifier(type.Name) + "<" + string.Join(", ", type.TypeParameters.Select(p => EscapeIdentifier(p.Name))) + ">";

    internal static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Public => "public",
        Accessibility.Internal => "internal",
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedOrInternal => "protected internal",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => "internal",
    };

    internal static string EscapeIdentifier(string name)
        => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
}
