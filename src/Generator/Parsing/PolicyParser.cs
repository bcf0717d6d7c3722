using System.Collections.Generic;
using GuardedAI.Generator.Model;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;

namespace GuardedAI.Generator.Parsing;

/// <summary>
/// Reads the arguments of <c>[LlmBudget]</c> into a <see cref="PolicyModel"/> through src/Shared/BudgetSchema.cs, the
/// table the runtime and the analyzers read too. Values are kept as written; GAI002 judges them, the runtime enforces them.
/// </summary>
internal static class PolicyParser
{
    public static PolicyModel? Parse(AttributeData attribute)
    {
        if (attribute.ConstructorArguments.Length != 1) return null;

        bool hasModel = false;
        string? model = null;
        int? tier = null;
        int? mode = null;
        var written = new Dictionary<BudgetProperty, BudgetNumber>();
        foreach (KeyValuePair<string, TypedConstant> argument in attribute.NamedArguments)
        {
            BudgetProperty? property = BudgetSchema.Find(argument.Key);
            switch (property?.Kind)
            {
                case BudgetPropertyKind.Model:
                    hasModel = true;
                    model = argument.Value.Value as string;
                    break;
                case BudgetPropertyKind.Tier when argument.Value.Kind == TypedConstantKind.Enum && argument.Value.Value is int value:
                    tier = value;
                    break;
                case BudgetPropertyKind.Mode when argument.Value.Kind == TypedConstantKind.Enum && argument.Value.Value is int value:
                    mode = value;
                    break;
                case BudgetPropertyKind.Limit:
                case BudgetPropertyKind.Cap:
                case BudgetPropertyKind.Threshold:
                    if (BudgetNumber.From(argument.Value.Value) is { } number && Fits(property, number)) written[property] = number;
                    break;
            }
        }

        // Schema order, whatever order the arguments were written in: the emitted builder chain is stable.
        var settings = new List<PolicySetting>();
        foreach (BudgetProperty property in BudgetSchema.All)
        {
            if (written.TryGetValue(property, out BudgetNumber number)) settings.Add(new PolicySetting(property, number));
        }

        return new PolicyModel(
            Name: attribute.ConstructorArguments[0].Value as string,
            HasModel: hasModel,
            Model: model,
            Tier: tier,
            Settings: settings.ToEquatableArray(),
            Mode: mode);
    }

    /// <summary>The value has the property's type (an erroneous argument may not).</summary>
    private static bool Fits(BudgetProperty property, BudgetNumber number) => property.Type == number.Type;
}
