using System.Reflection;
using GuardedAI.Schema;
using SchemaThreshold = GuardedAI.Schema.ThresholdLevel;

namespace GuardedAI;

/// <summary>
/// Reads an applied <see cref="LlmBudgetAttribute"/> into the <see cref="BudgetPolicy"/> the generated client builds:
/// the tier first, then every argument that was written (an explicit zero included, as in the generated code), each
/// through the builder method src/Shared/BudgetSchema.cs names. <see cref="BudgetPolicyBuilder.Build"/> then applies the
/// rules GAI002 checks at build time.
/// </summary>
internal static class LlmBudgetAttributePolicy
{
    public static BudgetPolicy Read(Type interfaceType)
    {
        ArgumentNullException.ThrowIfNull(interfaceType);
        var data = interfaceType.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType == typeof(LlmBudgetAttribute))
            ?? throw new ArgumentException($"'{interfaceType}' has no [LlmBudget] attribute.", nameof(interfaceType));
        var name = data.ConstructorArguments.Count == 1 ? data.ConstructorArguments[0].Value as string : null;
        var builder = BudgetPolicy.Create(name!);

        var written = new Dictionary<BudgetProperty, object?>();
        foreach (var argument in data.NamedArguments)
        {
            var property = BudgetSchema.Find(argument.MemberName)
                ?? throw new InvalidOperationException($"[LlmBudget] property '{argument.MemberName}' is missing from src/Shared/BudgetSchema.cs.");
            written[property] = argument.TypedValue.Value;
        }

        double? warn = null, critical = null, trip = null;
        foreach (var property in BudgetSchema.All) // schema order: the tier before the limits it may be overridden by
        {
            if (!written.TryGetValue(property, out var value)) continue;
            switch (property.Kind)
            {
                case BudgetPropertyKind.Model:
                    builder.ForModel(value as string);
                    break;
                case BudgetPropertyKind.Tier:
                    var tier = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
                    if (!Enum.IsDefined((BudgetTier)tier)) throw new BudgetPolicyException(name ?? "?", BudgetRules.NotATier(tier));
                    builder.WithTier((BudgetTier)tier);
                    break;
                case BudgetPropertyKind.Limit:
                    builder.WithLimit((BudgetDimension)property.Dimension, (BudgetWindow)property.Window, Amount(name, property, value));
                    break;
                case BudgetPropertyKind.Cap when property.Dimension == LimitDimension.InputTokens:
                    builder.WithMaxInputTokens((int)value!);
                    break;
                case BudgetPropertyKind.Cap when property.Dimension == LimitDimension.OutputTokens:
                    builder.WithMaxOutputTokens((int)value!);
                    break;
                case BudgetPropertyKind.Cap:
                    builder.WithMaxRequestCostUsd(Amount(name, property, value));
                    break;
                case BudgetPropertyKind.Mode:
                    builder.WithMode((EnforcementMode)Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case BudgetPropertyKind.Threshold:
                    var percent = (double)value!;
                    if (property.Level == SchemaThreshold.Warn) warn = percent;
                    else if (property.Level == SchemaThreshold.Critical) critical = percent;
                    else trip = percent;
                    break;
            }
        }

        if (warn is not null || critical is not null || trip is not null) builder.WithThresholds(warn, critical, trip);
        return builder.Build();
    }

    private static decimal Amount(string? name, BudgetProperty property, object? value) => value switch
    {
        int number => number,
        long number => number,
        double number => BudgetRules.TryToAmount(property, number, out var amount, out var problem)
            ? amount
            : throw new BudgetPolicyException(name ?? "?", problem!),
        _ => throw new InvalidOperationException($"[LlmBudget] property '{property.Name}' has a value of type {value?.GetType().Name ?? "null"}."),
    };
}
