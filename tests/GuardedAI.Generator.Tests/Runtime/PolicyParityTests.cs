using System.Reflection;
using Microsoft.Extensions.AI;

namespace GuardedAI.Generator.Tests.Runtime;

/// <summary>
/// For every <c>[LlmBudget]</c> interface the real compiler generated a client for in this assembly, the policy the
/// generated code builds from compile-time values is the policy the runtime reads from the attribute
/// (<see cref="LlmBudgetAttribute.GetPolicy"/>): the generator and the runtime apply the schema the same way.
/// </summary>
public sealed class PolicyParityTests
{
    public static TheoryData<Type> BudgetInterfaces() => new(BudgetInterfaceTypes());

    private static Type[] BudgetInterfaceTypes()
        => typeof(PolicyParityTests).Assembly.GetTypes().Where(t => t.IsInterface && t.IsDefined(typeof(LlmBudgetAttribute))).ToArray();

    [Fact]
    public void The_assembly_has_the_budgets_this_test_needs()
    {
        var names = BudgetInterfaceTypes().Select(t => t.Name).ToList();
        Assert.Contains(nameof(IEverySettingBot), names);
        Assert.Contains(nameof(IThresholdsOnlyBot), names);
        Assert.Contains(nameof(IShadowModeBot), names);
        Assert.True(names.Count >= 8, string.Join(", ", names));
    }

    [Theory]
    [MemberData(nameof(BudgetInterfaces))]
    public async Task The_generated_policy_is_the_policy_the_runtime_reads_from_the_attribute(Type budgetInterface)
    {
        await using var engine = new BudgetEngine();
        MethodInfo create = budgetInterface.GetMethod("Create", BindingFlags.Public | BindingFlags.Static)!;
        var client = (BudgetChatClient)create.Invoke(null, new object[] { new FakeChatClient(), engine })!;

        BudgetPolicy generated = client.Policy;
        BudgetPolicy read = LlmBudgetAttribute.GetPolicy(budgetInterface);

        Assert.Equal(read.Name, generated.Name);
        Assert.Equal(read.Model, generated.Model);
        Assert.Equal(read.Tier, generated.Tier);
        Assert.Equal(read.Mode, generated.Mode);
        Assert.Equal(read.Limits.ToArray(), generated.Limits.ToArray());
        Assert.Equal(read.MaxInputTokens, generated.MaxInputTokens);
        Assert.Equal(read.MaxOutputTokens, generated.MaxOutputTokens);
        Assert.Equal(read.MaxRequestCostUsd, generated.MaxRequestCostUsd);
        Assert.Equal(read.Thresholds, generated.Thresholds);
        Assert.Equal(read.Breaker, generated.Breaker);
    }

    [Fact]
    public void Every_setting_reaches_the_policy()
    {
        BudgetPolicy policy = LlmBudgetAttribute.GetPolicy(typeof(IEverySettingBot));

        Assert.Equal(11, policy.Limits.Length); // the Standard tier's six, all overridden, plus the minute and month limits
        Assert.Equal(20, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Minute));
        Assert.Equal(400_000, policy.GetLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour));
        Assert.Equal(0.1m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Hour));
        Assert.Equal(30m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Month));
        Assert.Equal((4_000, 1_000, 0.05m), (policy.MaxInputTokens, policy.MaxOutputTokens, policy.MaxRequestCostUsd));
        Assert.Equal(new BudgetThresholds(60, 85.5, 99), policy.Thresholds);
        Assert.Equal(new BudgetThresholds(70, 80, 95), LlmBudgetAttribute.GetPolicy(typeof(IThresholdsOnlyBot)).Thresholds);
    }
}
