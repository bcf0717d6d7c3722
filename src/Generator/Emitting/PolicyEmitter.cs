using System.Collections.Generic;
using GuardedAI.Generator.Model;
using GuardedAI.Schema;

namespace GuardedAI.Generator.Emitting;

/// <summary>
/// Writes the generated client's <c>s_policy</c>: a <c>BudgetPolicy</c> builder chain of compile-time values, one call
/// per <c>[LlmBudget]</c> argument, through the builder method src/Shared/BudgetSchema.cs names for it.
/// </summary>
internal static class PolicyEmitter
{
    private const string BudgetPolicy = "global::" + RuntimeTypeNames.BudgetPolicy;

    public static void Emit(SourceWriter writer, PolicyModel policy)
    {
        writer.Line("/// <summary>The budget from <c>[LlmBudget]</c>, built once from compile-time values.</summary>");
        writer.Line("private static readonly " + BudgetPolicy + " s_policy = " + BudgetPolicy + "." + BudgetSchema.Name.BuilderMethod + "(" + Literals.String(policy.Name) + ")");
        writer.Indent();
        if (policy.HasModel) writer.Line("." + BudgetSchema.Model.BuilderMethod + "(" + Literals.String(policy.Model) + ")");

        // The tier first: explicit limits override the tier's.
        if (policy.Tier is { } tier) writer.Line("." + BudgetSchema.Tier.BuilderMethod + "(" + Literals.Tier(tier) + ")");

        // Then every setting in schema order: limits, caps, and the thresholds in one call.
        var thresholds = new string?[3];
        foreach (PolicySetting setting in policy.Settings)
        {
            BudgetProperty property = setting.Property;
            switch (property.Kind)
            {
                case BudgetPropertyKind.Limit:
                    writer.Line("." + property.BuilderMethod + "(" +
                        Literals.RuntimeEnum(RuntimeTypeNames.BudgetDimension, property.Dimension.ToString()) + ", " +
                        Literals.RuntimeEnum(RuntimeTypeNames.BudgetWindow, property.Window.ToString()) + ", " +
                        Literals.Decimal(setting.Value) + ")");
                    break;
                case BudgetPropertyKind.Cap:
                    string amount = property.Type == BudgetValueType.Double ? Literals.Decimal(setting.Value) : Literals.Integer(setting.Value);
                    writer.Line("." + property.BuilderMethod + "(" + amount + ")");
                    break;
                case BudgetPropertyKind.Threshold:
                    thresholds[(int)property.Level] = Literals.Double(setting.Value.Real);
                    break;
            }
        }

        if (thresholds[0] is not null || thresholds[1] is not null || thresholds[2] is not null)
        {
            var arguments = new List<string>();
            foreach (ThresholdLevel level in new[] { ThresholdLevel.Warn, ThresholdLevel.Critical, ThresholdLevel.Trip })
            {
                arguments.Add(BudgetSchema.Threshold(level).BuilderParameter + ": " + (thresholds[(int)level] ?? "null"));
            }

            writer.Line("." + BudgetSchema.WarnAtPercent.BuilderMethod + "(" + string.Join(", ", arguments) + ")");
        }

        // Last, so that a shadow budget reads as one: everything above, evaluated without denying.
        if (policy.Mode is { } mode) writer.Line("." + BudgetSchema.Mode.BuilderMethod + "(" + Literals.Mode(mode) + ")");

        writer.Line(".Build();");
        writer.Unindent();
    }
}
