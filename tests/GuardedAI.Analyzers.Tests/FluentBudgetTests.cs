using System;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.BudgetPolicyAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

/// <summary>GAI002 and GAI003 for <c>BudgetPolicy</c> builder chains of constants (issue 17).</summary>
public class FluentBudgetTests
{
    private static string Source(string body) => $$"""
        using GuardedAI;

        static class Budgets
        {
            static void M(decimal hourly, BudgetDimension dimension, BudgetTier tier, double warn)
            {
                {{body}}
            }
        }
        """;

    private static DiagnosticResult Gai002(int location, string budget, string problem) =>
        Verify.Error("GAI002").WithLocation(location).WithArguments(budget, problem);

    /// <summary>The runtime's own words for a chain: what BudgetPolicyException says when it is built.</summary>
    private static string RuntimeProblem(Func<BudgetPolicyBuilder> chain) => Assert.Throws<BudgetPolicyException>(() => chain().Build()).Problem;

    [Fact]
    public Task The_readmes_broken_budget_is_an_error_with_the_runtimes_message() => Verify.VerifyAsync(Source("""
        BudgetPolicy.Create("broken").{|#0:WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100)|}.WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        """),
        Gai002(0, "broken", RuntimeProblem(() => BudgetPolicy.Create("broken").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10))));

    [Fact]
    public Task Each_rule_is_reported_on_the_call_that_breaks_it_in_the_runtimes_words() => Verify.VerifyAsync(Source("""
        BudgetPolicy.Create("zero").{|#0:WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 0)|}.Build();
        BudgetPolicy.Create("fraction").{|#1:WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 2.5m)|}.Build();
        BudgetPolicy.Create("cap").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 5_000).{|#2:WithMaxOutputTokens(6_000)|}.Build();
        BudgetPolicy.Create("cost").{|#3:WithMaxRequestCostUsd(2m)|}.WithLimit(BudgetDimension.CostUsd, BudgetWindow.Hour, 1m).Build();
        BudgetPolicy.Create("order").{|#4:WithThresholds(95, 90)|}.Build();
        BudgetPolicy.Create("trip").{|#5:WithThresholds(tripAtPercent: 120)|}.Build();
        BudgetPolicy.Create("input").{|#6:WithMaxInputTokens(-1)|}.Build();
        """),
        Gai002(0, "zero", RuntimeProblem(() => BudgetPolicy.Create("zero").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 0))),
        Gai002(1, "fraction", RuntimeProblem(() => BudgetPolicy.Create("fraction").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 2.5m))),
        Gai002(2, "cap", RuntimeProblem(() => BudgetPolicy.Create("cap").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 5_000).WithMaxOutputTokens(6_000))),
        Gai002(3, "cost", RuntimeProblem(() => BudgetPolicy.Create("cost").WithMaxRequestCostUsd(2m).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Hour, 1m))),
        Gai002(4, "order", RuntimeProblem(() => BudgetPolicy.Create("order").WithThresholds(95, 90))),
        Gai002(5, "trip", RuntimeProblem(() => BudgetPolicy.Create("trip").WithThresholds(tripAtPercent: 120))),
        Gai002(6, "input", RuntimeProblem(() => BudgetPolicy.Create("input").WithMaxInputTokens(-1))));

    [Fact]
    public Task Tier_values_count_and_the_message_says_where_they_came_from() => Verify.VerifyAsync(Source("""
        BudgetPolicy.ForTier("free", BudgetTier.Free).{|#0:WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 0.01m)|}.Build();
        BudgetPolicy.Create("later").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 400).WithTier(BudgetTier.Standard).{|#2:WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 60)|}.Build();
        BudgetPolicy.Create("bad-tier").{|#3:WithTier((BudgetTier)9)|}.Build();
        """),
        Gai002(0, "free", "MaxRequestCostUsd ($0.0200 from the Free tier) is above the daily cost limit ($0.0100); a request that costly would always be denied"),
        Gai002(0, "free", "the hourly cost limit ($0.0500 from the Free tier) is above the daily cost limit ($0.0100); a shorter window's limit must not exceed a longer window's"),
        // WithTier after WithLimit replaces the hourly 400 with the tier's 50 (later settings win): only the minute limit is at fault.
        Gai002(2, "later", "the per-minute requests limit (60) is above the hourly requests limit (50 from the Standard tier); a shorter window's limit must not exceed a longer window's"),
        Gai002(3, "bad-tier", "Tier (9) is not a BudgetTier"));

    [Fact]
    public Task Valid_chains_later_overrides_and_values_that_are_not_constants_are_quiet() => Verify.VerifyAsync(Source("""
        BudgetPolicy.ForTier("support-bot", BudgetTier.Free).ForModel("gpt-4o-mini").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Month, 5m).Build();
        BudgetPolicy.Create("fixed").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100).WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 5).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        BudgetPolicy.ForTier("trimmed", BudgetTier.Free).WithoutLimit(BudgetDimension.CostUsd, BudgetWindow.Hour).WithMaxRequestCostUsd(null).WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 0.01m).Build();
        BudgetPolicy.Create("unknown-amount").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, hourly).WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        BudgetPolicy.Create("unknown-dimension").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100).WithLimit(dimension, BudgetWindow.Day, 10).Build();
        BudgetPolicy.Create("unknown-tier").WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 1_000).WithTier(tier).Build();
        BudgetPolicy.Create("unknown-warn").WithThresholds(criticalAtPercent: 50).WithThresholds(warnAtPercent: warn).Build();
        BudgetPolicy.Create("breaker").WithThresholds(60, 80, 90).WithBreaker(new BreakerSettings()).InTimeZone("Europe/Berlin").WithName("renamed").Build();
        var builder = BudgetPolicy.Create("split").WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 100);
        builder.WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        """));

    [Fact]
    public Task An_unknown_model_with_a_cost_limit_is_a_warning_on_ForModel() => Verify.VerifyAsync(Source("""
        BudgetPolicy.Create("local").{|#0:ForModel("my-finetune")|}.WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1m).Build();
        BudgetPolicy.ForTier("tiered", BudgetTier.Economy).{|#1:ForModel("llama3.1")|}.Build();
        BudgetPolicy.Create("no-cost").ForModel("my-finetune").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        BudgetPolicy.Create("known").ForModel("openai/gpt-4o-2024-08-06").WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1m).Build();
        """),
        Verify.Diagnostic("GAI003").WithLocation(0).WithArguments("local", "my-finetune"),
        Verify.Diagnostic("GAI003").WithLocation(1).WithArguments("tiered", "llama3.1"));
}
