using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.Analyzers;

/// <summary>A budget read from source, ready for <see cref="BudgetRules"/>, with the problems found while reading it.</summary>
internal sealed class ReadBudget
{
    public ReadBudget(string name, BudgetDraft draft)
    {
        Name = name;
        Draft = draft;
    }

    /// <summary>The budget's name ("?" when it is not a constant).</summary>
    public string Name { get; set; }

    public BudgetDraft Draft { get; }

    /// <summary>Where the model was set, for GAI003.</summary>
    public Location? ModelLocation { get; set; }

    /// <summary>Problems no draft can hold (a value that is not a tier, a double with no decimal amount).</summary>
    public List<(Location Location, string Message)> ReadProblems { get; } = new();
}

/// <summary>
/// Reads an <c>[LlmBudget]</c> attribute the way the generated code applies it (the tier first, then every other
/// property through the <c>BudgetPolicyBuilder</c> method the schema names), so GAI002 checks the policy the runtime builds.
/// </summary>
internal static class AttributeBudgetReader
{
    public static ReadBudget Read(AttributeData attribute, Location fallback, CancellationToken cancellationToken)
    {
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var name = attribute.ConstructorArguments.Length > 0 && attribute.ConstructorArguments[0].Value is string text ? text : "?";
        var budget = new ReadBudget(name, new BudgetDraft());

        // The tier first: explicit values override the tier's, whatever the argument order.
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key != BudgetSchema.Tier.Name || argument.Value.Value is not int tier)
                continue;
            if (!budget.Draft.ApplyTier(tier, null))
                budget.ReadProblems.Add((Locate(syntax, argument.Key, fallback), BudgetRules.NotATier(tier)));
        }

        foreach (var argument in attribute.NamedArguments)
        {
            var property = BudgetSchema.Find(argument.Key);
            var value = argument.Value.Value;
            if (property is null || value is null)
                continue;
            var location = Locate(syntax, argument.Key, fallback);
            switch (property.Kind)
            {
                case BudgetPropertyKind.Model:
                    budget.Draft.Model = value is string model && !string.IsNullOrWhiteSpace(model) ? model : null; // as ForModel does
                    budget.ModelLocation = location;
                    break;
                case BudgetPropertyKind.Limit:
                    if (TryAmount(property, value, location, budget) is { } amount)
                        budget.Draft.SetLimit(property.Dimension, property.Window, amount, location);
                    else
                        budget.Draft.RemoveLimit(property.Dimension, property.Window);
                    break;
                case BudgetPropertyKind.Cap:
                    if (TryAmount(property, value, location, budget) is { } cap)
                        budget.Draft.SetCap(property.Dimension, cap, location);
                    else
                        budget.Draft.RemoveCap(property.Dimension);
                    break;
                case BudgetPropertyKind.Threshold:
                    budget.Draft.SetThreshold(property.Level, Convert.ToDouble(value, CultureInfo.InvariantCulture), location);
                    break;
            }
        }

        return budget;
    }

    private static decimal? TryAmount(BudgetProperty property, object value, Location location, ReadBudget budget)
    {
        switch (value)
        {
            case int number:
                return number;
            case long number:
                return number;
            case double number:
                if (BudgetRules.TryToAmount(property, number, out var amount, out var problem))
                    return amount;
                budget.ReadProblems.Add((location, problem!));
                return null;
            default:
                return null;
        }
    }

    /// <summary>The named argument <paramref name="property"/> of the attribute, else the attribute, else the type.</summary>
    private static Location Locate(AttributeSyntax? syntax, string property, Location fallback)
    {
        if (syntax is null)
            return fallback;
        if (syntax.ArgumentList is not null)
        {
            foreach (var argument in syntax.ArgumentList.Arguments)
            {
                if (argument.NameEquals?.Name.Identifier.ValueText == property)
                    return argument.GetLocation();
            }
        }
        return syntax.GetLocation();
    }
}
