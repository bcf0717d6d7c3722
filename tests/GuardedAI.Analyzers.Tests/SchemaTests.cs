using System;
using System.Linq;
using System.Reflection;
using GuardedAI.Schema;
using GuardedAI.Tiers;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// src/Shared/BudgetSchema.cs (compiled into the analyzers, the generator and the runtime) against the runtime's real
/// types: a property added to LlmBudgetAttribute, an enum member renamed, a tier renumbered fails here, not silently at
/// build time in a user's project.
/// </summary>
public class SchemaTests
{
    [Fact]
    public void LlmBudgetAttribute_has_exactly_the_schemas_properties_with_their_types()
    {
        var properties = typeof(LlmBudgetAttribute).GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);

        var missingFromSchema = properties.Select(p => p.Name).Except(BudgetSchema.All.Select(p => p.Name)).ToList();
        Assert.True(missingFromSchema.Count == 0,
            $"LlmBudgetAttribute has properties src/Shared/BudgetSchema.cs lacks: {string.Join(", ", missingFromSchema)}. Add them to the schema (kind, type, dimension, window).");
        var missingFromAttribute = BudgetSchema.All.Select(p => p.Name).Except(properties.Select(p => p.Name)).ToList();
        Assert.True(missingFromAttribute.Count == 0, $"The schema names properties LlmBudgetAttribute lacks: {string.Join(", ", missingFromAttribute)}.");

        foreach (var schema in BudgetSchema.All)
        {
            var property = properties.Single(p => p.Name == schema.Name);
            Assert.Equal(schema.ClrTypeName, property.PropertyType.FullName);
            // Every property is a named argument, except the name, which is the constructor's only parameter.
            Assert.Equal(schema.Kind != BudgetPropertyKind.Name, property.SetMethod?.IsPublic == true);
        }

        var constructor = Assert.Single(typeof(LlmBudgetAttribute).GetConstructors());
        var parameter = Assert.Single(constructor.GetParameters());
        Assert.Equal(BudgetSchema.Name.ClrTypeName, parameter.ParameterType.FullName);
        Assert.Equal(BudgetSchema.Name.Name, parameter.Name, ignoreCase: true);
    }

    [Fact]
    public void Every_builder_method_and_parameter_the_schema_names_exists_on_the_runtime_builder()
    {
        foreach (var property in BudgetSchema.All)
        {
            var owner = property.Kind == BudgetPropertyKind.Name ? typeof(BudgetPolicy) : typeof(BudgetPolicyBuilder);
            var methods = owner.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Where(m => m.Name == property.BuilderMethod).ToList();
            Assert.True(methods.Count > 0, $"{owner.Name}.{property.BuilderMethod} (for {property.Name}) does not exist.");
            if (property.BuilderParameter is { } name)
                Assert.Contains(methods, m => m.GetParameters().Any(p => p.Name == name));
        }
    }

    [Fact]
    public void Limit_properties_cover_each_dimension_and_window_at_most_once()
    {
        var limits = BudgetSchema.All.Where(p => p.Kind == BudgetPropertyKind.Limit).ToList();
        Assert.Equal(limits.Count, limits.Select(p => (p.Dimension, p.Window)).Distinct().Count());
        foreach (var limit in limits)
        {
            Assert.Same(limit, BudgetSchema.FindLimit(limit.Dimension, limit.Window));
            Assert.Equal(limit.Dimension == LimitDimension.CostUsd ? BudgetValueType.Double : limit.Dimension == LimitDimension.Requests ? BudgetValueType.Int32 : BudgetValueType.Int64, limit.Type);
        }
    }

    [Fact]
    public void Shared_enums_match_the_runtime_enums_member_for_member()
    {
        AssertSameMembers<LimitDimension, BudgetDimension>();
        AssertSameMembers<LimitWindow, BudgetWindow>();
        Assert.Equal(Enum.GetNames<BudgetTier>(), TierTable.Names);
        Assert.Equal(Enumerable.Range(0, TierTable.Names.Length), Enum.GetValues<BudgetTier>().Select(t => (int)t));
    }

    [Fact]
    public void Shared_words_match_the_runtimes_words()
    {
        foreach (var dimension in Enum.GetValues<BudgetDimension>())
            Assert.Equal(dimension.Describe(), BudgetText.Describe((LimitDimension)dimension));
        foreach (var window in Enum.GetValues<BudgetWindow>())
            Assert.Equal(window.Describe(), BudgetText.Describe((LimitWindow)window));
    }

    [Fact]
    public void Tier_values_through_the_schema_are_the_limits_and_caps_the_runtime_applies()
    {
        foreach (var tier in Enum.GetValues<BudgetTier>())
        {
            var policy = BudgetPolicy.ForTier("t", tier).Build();
            var values = TierTable.Get((int)tier)?.Values().ToList() ?? new();

            var limits = values.Where(v => v.Key.Kind == BudgetPropertyKind.Limit)
                .Select(v => new BudgetLimit((BudgetDimension)v.Key.Dimension, (BudgetWindow)v.Key.Window, v.Value))
                .OrderBy(l => l.Window).ThenBy(l => l.Dimension);
            Assert.Equal(policy.Limits, limits);
            Assert.Equal(policy.MaxInputTokens, Cap(LimitDimension.InputTokens));
            Assert.Equal(policy.MaxOutputTokens, Cap(LimitDimension.OutputTokens));
            Assert.Equal(policy.MaxRequestCostUsd, values.Where(v => v.Key == BudgetSchema.MaxRequestCostUsd).Select(v => (decimal?)v.Value).SingleOrDefault());

            int? Cap(LimitDimension dimension) =>
                values.Where(v => v.Key.Kind == BudgetPropertyKind.Cap && v.Key.Dimension == dimension).Select(v => (int?)v.Value).SingleOrDefault();
        }
    }

    [Fact]
    public void Default_thresholds_are_the_runtimes()
    {
        Assert.Equal(BudgetThresholds.Default.WarnAtPercent, BudgetSchema.DefaultPercent(GuardedAI.Schema.ThresholdLevel.Warn));
        Assert.Equal(BudgetThresholds.Default.CriticalAtPercent, BudgetSchema.DefaultPercent(GuardedAI.Schema.ThresholdLevel.Critical));
        Assert.Equal(BudgetThresholds.Default.TripAtPercent, BudgetSchema.DefaultPercent(GuardedAI.Schema.ThresholdLevel.Trip));
    }

    [Fact]
    public void Every_runtime_type_name_build_time_uses_resolves_in_the_runtime()
    {
        foreach (var name in RuntimeTypeNames.All)
            Assert.True(typeof(BudgetEngine).Assembly.GetType(name) is not null, $"{name} is not a type of GuardedAI.Runtime.");
        Assert.Equal(RuntimeTypeNames.Namespace, typeof(BudgetEngine).Namespace);
    }

    private static void AssertSameMembers<TShared, TRuntime>()
        where TShared : struct, Enum
        where TRuntime : struct, Enum
    {
        Assert.Equal(Enum.GetNames<TRuntime>(), Enum.GetNames<TShared>());
        Assert.Equal(Enum.GetValues<TRuntime>().Select(v => Convert.ToInt32(v)), Enum.GetValues<TShared>().Select(v => Convert.ToInt32(v)));
    }
}
