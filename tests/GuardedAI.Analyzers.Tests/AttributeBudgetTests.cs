using System;
using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.BudgetPolicyAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// An <c>[LlmBudget]</c> attribute says the same thing at build time (GAI002) and at run time
/// (<see cref="LlmBudgetAttribute.GetPolicy"/>, which reads the attribute as the generated client does).
/// </summary>
public class AttributeBudgetTests
{
    [LlmBudget("broken", HourlyRequests = 100, DailyRequests = 10)]
    private interface IBroken { }

    [LlmBudget("zero", DailyRequests = 0)]
    private interface IZero { }

    [LlmBudget("order", WarnAtPercent = 95, CriticalAtPercent = 90)]
    private interface IOrder { }

    [LlmBudget("cap", DailyTokens = 4_000, MaxOutputTokens = 5_000)]
    private interface ICap { }

    [LlmBudget("huge", DailyCostUsd = 1e300)]
    private interface IHuge { }

    [LlmBudget("tiered", Tier = BudgetTier.Free, Model = "gpt-4o-mini", DailyCostUsd = 0.10, RequestsPerMinute = 5, MaxOutputTokens = 800, TripAtPercent = 99)]
    private interface ITiered { }

    [Theory]
    [InlineData(typeof(IBroken), """[LlmBudget("broken", {|#0:HourlyRequests = 100|}, DailyRequests = 10)]""")]
    [InlineData(typeof(IZero), """[LlmBudget("zero", {|#0:DailyRequests = 0|})]""")]
    [InlineData(typeof(IOrder), """[LlmBudget("order", {|#0:WarnAtPercent = 95|}, CriticalAtPercent = 90)]""")]
    [InlineData(typeof(ICap), """[LlmBudget("cap", DailyTokens = 4_000, {|#0:MaxOutputTokens = 5_000|})]""")]
    [InlineData(typeof(IHuge), """[LlmBudget("huge", {|#0:DailyCostUsd = 1e300|})]""")]
    public async Task GAI002_says_what_the_runtime_throws(Type budgetInterface, string attribute)
    {
        var runtime = Assert.Throws<BudgetPolicyException>(() => LlmBudgetAttribute.GetPolicy(budgetInterface));

        await Verify.VerifyAsync($"using GuardedAI;\n{attribute}\npartial interface I {{ }}\n",
            Verify.Error("GAI002").WithLocation(0).WithArguments(runtime.PolicyName, "I", runtime.Problem));
    }

    [Fact]
    public void GetPolicy_applies_the_tier_first_then_each_written_argument()
    {
        var policy = LlmBudgetAttribute.GetPolicy(typeof(ITiered));
        var free = BudgetPolicy.ForTier("tiered", BudgetTier.Free).Build();

        Assert.Equal("tiered", policy.Name);
        Assert.Equal("gpt-4o-mini", policy.Model);
        Assert.Equal(BudgetTier.Free, policy.Tier);
        Assert.Equal(0.10m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Day));
        Assert.Equal(5, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Minute));
        Assert.Equal(free.GetLimit(BudgetDimension.Requests, BudgetWindow.Day), policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Equal(800, policy.MaxOutputTokens);
        Assert.Equal(free.MaxInputTokens, policy.MaxInputTokens);
        Assert.Equal(new BudgetThresholds(70, 90, 99), policy.Thresholds);
        Assert.Throws<ArgumentException>(() => LlmBudgetAttribute.GetPolicy(typeof(AttributeBudgetTests)));
    }
}
