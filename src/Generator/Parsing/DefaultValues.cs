using GuardedAI.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.Generator.Parsing;

/// <summary>Reads a parameter's default value into a <see cref="DefaultValueModel"/>.</summary>
internal static class DefaultValues
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    /// <summary>The default value of <paramref name="parameter"/>, or null when it has none.</summary>
    /// <remarks>
    /// A parameter whose default is the literal <c>default</c> (or <c>null</c>) on a type whose default is null — a
    /// reference type, a nullable value type, or a struct that is neither primitive nor an enum, such as
    /// <c>CancellationToken ct = default</c> on nearly every prompt method — is read from its syntax. Asking the symbol
    /// binds the expression (a binder built for the parameter's place in the file), which was a quarter of the parser's
    /// own time in a 200-interface project (docs/benchmarks-history.md, twenty-sixth round), and the compilation the
    /// build then makes with the generated files binds it again anyway. Anything else is asked of the symbol.
    /// </remarks>
    public static DefaultValueModel? Of(IParameterSymbol parameter)
    {
        if (IsNullBySyntax(parameter)) return Read(parameter.Type, value: null);
        return parameter.HasExplicitDefaultValue ? Read(parameter.Type, parameter.ExplicitDefaultValue) : null;
    }

    /// <summary>Whether the parameter's one declaration says <c>= default</c> or <c>= null</c> and its type's default is null.</summary>
    private static bool IsNullBySyntax(IParameterSymbol parameter)
    {
        if (parameter.DeclaringSyntaxReferences.Length != 1 ||
            parameter.DeclaringSyntaxReferences[0].GetSyntax() is not ParameterSyntax { Default.Value: LiteralExpressionSyntax literal })
        {
            return false;
        }

        ITypeSymbol type = parameter.Type;
        return literal.Kind() switch
        {
            // default is null where null is a value, and on a struct that is neither primitive nor an enum.
            SyntaxKind.DefaultLiteralExpression => AcceptsNull(type)
                || type is INamedTypeSymbol { TypeKind: TypeKind.Struct, SpecialType: SpecialType.None, EnumUnderlyingType: null },
            // null converts to a reference or nullable type only; on a struct it is an error the compiler reports.
            SyntaxKind.NullLiteralExpression => AcceptsNull(type),
            _ => false,
        };
    }

    /// <summary>A reference type or a nullable value type.</summary>
    private static bool AcceptsNull(ITypeSymbol type) => type.IsReferenceType || NullableOf(type) is not null;

    /// <summary>The <c>T</c> of a <c>Nullable&lt;T&gt;</c>; null for any other type.</summary>
    private static ITypeSymbol? NullableOf(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;

    public static DefaultValueModel Read(ITypeSymbol type, object? value)
    {
        ITypeSymbol underlying = NullableOf(type) ?? type;
        bool acceptsNull = AcceptsNull(type);

        if (value is null || underlying is not INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
        {
            return new DefaultValueModel(value, acceptsNull, EnumType: null, EnumMember: null);
        }

        string? member = null;
        foreach (ISymbol candidate in enumType.GetMembers())
        {
            if (candidate is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value))
            {
                member = TypeNames.EscapeIdentifier(field.Name);
                break;
            }
        }

        return new DefaultValueModel(value, acceptsNull, enumType.ToDisplayString(s_typeFormat), member);
    }
}
