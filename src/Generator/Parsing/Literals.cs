using System;
using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace GuardedAI.Generator.Parsing;

/// <summary>Formats compile-time values as C# source, invariantly and without loss.</summary>
internal static class Literals
{
    // decimal.MaxValue is about 7.9e28; a larger double cannot be a decimal literal.
    private const double MaxDecimal = 7.9e28;

    /// <summary>A quoted, escaped string literal, or <c>null!</c> for a null string.</summary>
    public static string String(string? value) => value is null ? "null!" : SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A decimal literal (<c>0.5m</c>) for an int, long or double attribute value.</summary>
    public static string? Decimal(object? value) => value switch
    {
        int number => number.ToString(CultureInfo.InvariantCulture) + "m",
        long number => number.ToString(CultureInfo.InvariantCulture) + "m",
        double number when !double.IsNaN(number) && !double.IsInfinity(number) && Math.Abs(number) < MaxDecimal
            => number.ToString("R", CultureInfo.InvariantCulture) + "m",
        // Not representable: convert at run time so that the policy builder reports the value (and GAI002 at build time).
        double number => "global::System.Convert.ToDecimal(" + Double(number) + ")",
        _ => null,
    };

    /// <summary>A double literal with round-trip precision (<c>60d</c>).</summary>
    public static string Double(double value)
    {
        if (double.IsNaN(value)) return "double.NaN";
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        return value.ToString("R", CultureInfo.InvariantCulture) + "d";
    }

    /// <summary>An enum member (<c>global::GuardedAI.BudgetTier.Free</c>), or a cast for a value without a name.</summary>
    public static string? Enum(TypedConstant constant)
        => constant.Type is INamedTypeSymbol { TypeKind: TypeKind.Enum } type && constant.Value is not null
            ? EnumValue(type, constant.Value)
            : null;

    private static string EnumValue(INamedTypeSymbol type, object value)
    {
        string typeName = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        foreach (ISymbol member in type.GetMembers())
        {
            if (member is IFieldSymbol { HasConstantValue: true } field && Equals(field.ConstantValue, value))
            {
                return typeName + "." + InterfaceParser.EscapeIdentifier(field.Name);
            }
        }

        return "(" + typeName + ")(" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")";
    }

    /// <summary>A parameter's default value as C#, typed so that it converts to <paramref name="type"/>.</summary>
    public static string DefaultValue(ITypeSymbol type, object? value, SymbolDisplayFormat format)
    {
        ITypeSymbol underlying = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable
            ? nullable.TypeArguments[0]
            : type;

        if (value is null) return type.IsReferenceType || !ReferenceEquals(underlying, type) ? "null" : "default";

        if (underlying is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType) return EnumValue(enumType, value);

        return value switch
        {
            string text => SymbolDisplay.FormatLiteral(text, quote: true),
            char character => SymbolDisplay.FormatLiteral(character, quote: true),
            bool flag => flag ? "true" : "false",
            float number when float.IsNaN(number) => "float.NaN",
            float number when float.IsPositiveInfinity(number) => "float.PositiveInfinity",
            float number when float.IsNegativeInfinity(number) => "float.NegativeInfinity",
            float number => number.ToString("R", CultureInfo.InvariantCulture) + "f",
            double number => Double(number),
            decimal number => number.ToString(CultureInfo.InvariantCulture) + "m",
            long number => number.ToString(CultureInfo.InvariantCulture) + "L",
            ulong number => number.ToString(CultureInfo.InvariantCulture) + "UL",
            uint number => number.ToString(CultureInfo.InvariantCulture) + "U",
            IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
            _ => "default",
        };
    }
}
