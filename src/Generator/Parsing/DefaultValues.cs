using GuardedAI.Generator.Model;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Generator.Parsing;

/// <summary>Reads a parameter's default value into a <see cref="DefaultValueModel"/>.</summary>
internal static class DefaultValues
{
    private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    public static DefaultValueModel Read(ITypeSymbol type, object? value)
    {
        ITypeSymbol underlying = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type;
        bool acceptsNull = type.IsReferenceType || !ReferenceEquals(underlying, type);

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
