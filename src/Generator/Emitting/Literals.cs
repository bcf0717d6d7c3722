using System;
using System.Globalization;
using GuardedAI.Generator.Model;
using GuardedAI.Schema;
using GuardedAI.Tiers;
using Microsoft.CodeAnalysis.CSharp;

namespace GuardedAI.Generator.Emitting;

/// <summary>Formats the model's values as C# source, invariantly and without loss. The only place values become C#.</summary>
internal static class Literals
{
    // decimal.MaxValue is about 7.9e28; a larger double cannot be a decimal literal.
    private const double MaxDecimal = 7.9e28;

    /// <summary>A quoted, escaped string literal, or <c>null!</c> for a null string.</summary>
    public static string String(string? value) => value is null ? "null!" : SymbolDisplay.FormatLiteral(value, quote: true);

    /// <summary>A decimal literal (<c>0.5m</c>) for an attribute's int, long or double.</summary>
    public static string Decimal(BudgetNumber number)
    {
        if (number.Type != BudgetValueType.Double) return number.Integer.ToString(CultureInfo.InvariantCulture) + "m";

        double value = number.Real;
        return !double.IsNaN(value) && !double.IsInfinity(value) && Math.Abs(value) < MaxDecimal
            ? value.ToString("R", CultureInfo.InvariantCulture) + "m"
            // Not representable: convert at run time so that the policy builder reports the value (and GAI002 at build time).
            : "global::System.Convert.ToDecimal(" + Double(value) + ")";
    }

    /// <summary>An integer literal (<c>800</c>).</summary>
    public static string Integer(BudgetNumber number) => number.Integer.ToString(CultureInfo.InvariantCulture);

    /// <summary>A double literal with round-trip precision (<c>60d</c>).</summary>
    public static string Double(double value)
    {
        if (double.IsNaN(value)) return "double.NaN";
        if (double.IsPositiveInfinity(value)) return "double.PositiveInfinity";
        if (double.IsNegativeInfinity(value)) return "double.NegativeInfinity";
        return value.ToString("R", CultureInfo.InvariantCulture) + "d";
    }

    /// <summary>A member of an enum of the runtime (<c>global::GuardedAI.BudgetWindow.Day</c>).</summary>
    public static string RuntimeEnum(string metadataName, string member) => "global::" + metadataName + "." + member;

    /// <summary>A <c>BudgetTier</c> (<c>global::GuardedAI.BudgetTier.Free</c>), or a cast for a value without a name.</summary>
    public static string Tier(int value)
        => value >= 0 && value < TierTable.Names.Length
            ? RuntimeEnum(RuntimeTypeNames.BudgetTier, TierTable.Names[value])
            : "(global::" + RuntimeTypeNames.BudgetTier + ")(" + value.ToString(CultureInfo.InvariantCulture) + ")";

    /// <summary>An <c>EnforcementMode</c> (<c>global::GuardedAI.EnforcementMode.Shadow</c>), or a cast for a value without a name.</summary>
    public static string Mode(int value)
        => value >= 0 && value < BudgetSchema.ModeNames.Length
            ? RuntimeEnum(RuntimeTypeNames.EnforcementMode, BudgetSchema.ModeNames[value])
            : "(global::" + RuntimeTypeNames.EnforcementMode + ")(" + value.ToString(CultureInfo.InvariantCulture) + ")";

    /// <summary>A parameter's default value as C#, typed so that it converts to the parameter's type.</summary>
    public static string DefaultValue(DefaultValueModel model)
    {
        object? value = model.Value;
        if (value is null) return model.AcceptsNull ? "null" : "default";

        if (model.EnumType is not null)
        {
            return model.EnumMember is not null
                ? model.EnumType + "." + model.EnumMember
                : "(" + model.EnumType + ")(" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")";
        }

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
