using System.Threading.Tasks;
using Xunit;
using Verify = GuardedAI.Analyzers.Tests.AnalyzerVerifier<GuardedAI.Analyzers.BudgetPolicyAnalyzer>;

namespace GuardedAI.Analyzers.Tests;

public class BudgetPolicyTests
{
    private const string Usings = "using GuardedAI;\n";

    [Fact]
    public Task ValidBudgets_AreQuiet() => Verify.VerifyAsync(Usings + """
        [LlmBudget("premium", Tier = BudgetTier.Premium, Model = "gpt-4o-mini", MonthlyCostUsd = 100, WarnAtPercent = 50)]
        partial interface IA { }

        [LlmBudget("custom", RequestsPerMinute = 10, HourlyRequests = 100, DailyRequests = 1000, MonthlyRequests = 10000,
            TokensPerMinute = 5000, HourlyTokens = 50000, MaxInputTokens = 4000, MaxOutputTokens = 1000,
            HourlyCostUsd = 1, DailyCostUsd = 10, MaxRequestCostUsd = 0.5, CriticalAtPercent = 95, TripAtPercent = 95,
            Model = "claude-sonnet-4-5-20250929")]
        partial interface IB { }

        [LlmBudget("local", Model = "phi-3")]
        partial interface IC { }
        """);

    [Fact]
    public Task ZeroAndNegativeLimits_AreErrors() => Verify.VerifyAsync(Usings + """
        [LlmBudget("support", {|#0:HourlyRequests = 0|}, {|#1:DailyCostUsd = -1.5|}, DailyRequests = 100)]
        partial interface IA { }
        """,
        Verify.Error("GAI002").WithLocation(0).WithArguments("support", "IA", "the hourly requests limit must be positive, but is 0"),
        Verify.Error("GAI002").WithLocation(1).WithArguments("support", "IA", "the daily cost limit must be positive, but is -$1.5000"));

    [Fact]
    public Task ShorterWindowAboveLonger_ChecksTheEffectivePolicy() => Verify.VerifyAsync(Usings + """
        [LlmBudget("tiered", Tier = BudgetTier.Standard, {|#0:HourlyRequests = 600|})]
        partial interface IA { }

        [LlmBudget("explicit", {|#1:TokensPerMinute = 20000|}, HourlyTokens = 10000)]
        partial interface IB { }

        [LlmBudget("lowered", Tier = BudgetTier.Free, {|#2:DailyCostUsd = 0.01|})]
        partial interface IC { }
        """,
        Verify.Error("GAI002").WithLocation(0).WithArguments("tiered", "IA",
            "the hourly requests limit (600) is above the daily requests limit (300 from the Standard tier); a shorter window's limit must not exceed a longer window's"),
        Verify.Error("GAI002").WithLocation(1).WithArguments("explicit", "IB",
            "the per-minute tokens limit (20,000) is above the hourly tokens limit (10,000); a shorter window's limit must not exceed a longer window's"),
        // The Free tier's hourly $0.05 and per-request $0.02 now exceed the explicit daily $0.01.
        Verify.Error("GAI002").WithLocation(2).WithArguments("lowered", "IC",
            "MaxRequestCostUsd ($0.0200 from the Free tier) is above the daily cost limit ($0.0100); a request that costly would always be denied"),
        Verify.Error("GAI002").WithLocation(2).WithArguments("lowered", "IC",
            "the hourly cost limit ($0.0500 from the Free tier) is above the daily cost limit ($0.0100); a shorter window's limit must not exceed a longer window's"));

    [Fact]
    public Task PerRequestCapAboveWindowLimit_IsAnError() => Verify.VerifyAsync(Usings + """
        [LlmBudget("caps", DailyTokens = 4000, {|#0:MaxOutputTokens = 5000|}, HourlyCostUsd = 1, {|#1:MaxRequestCostUsd = 2|})]
        partial interface IA { }
        """,
        Verify.Error("GAI002").WithLocation(0).WithArguments("caps", "IA",
            "MaxOutputTokens (5,000) is above the daily tokens limit (4,000); a request that large would always be denied"),
        Verify.Error("GAI002").WithLocation(1).WithArguments("caps", "IA",
            "MaxRequestCostUsd ($2.0000) is above the hourly cost limit ($1.0000); a request that costly would always be denied"));

    [Fact]
    public Task Thresholds_MustBeOrdered() => Verify.VerifyAsync(Usings + """
        [LlmBudget("warn", {|#0:WarnAtPercent = 95|})]
        partial interface IA { }

        [LlmBudget("trip", {|#1:TripAtPercent = 120|})]
        partial interface IB { }

        [LlmBudget("critical", WarnAtPercent = 50, {|#2:CriticalAtPercent = 99|})]
        partial interface IC { }
        """,
        Verify.Error("GAI002").WithLocation(0).WithArguments("warn", "IA",
            "WarnAtPercent (95) is not below CriticalAtPercent (90 by default); thresholds must satisfy 0 < warn < critical <= trip <= 100"),
        Verify.Error("GAI002").WithLocation(1).WithArguments("trip", "IB",
            "TripAtPercent (120) is above 100; thresholds must satisfy 0 < warn < critical <= trip <= 100"),
        Verify.Error("GAI002").WithLocation(2).WithArguments("critical", "IC",
            "CriticalAtPercent (99) is above TripAtPercent (95 by default); thresholds must satisfy 0 < warn < critical <= trip <= 100"));

    [Fact]
    public Task CostLimitForUnknownModel_IsAWarning() => Verify.VerifyAsync(Usings + """
        [LlmBudget("local", {|#0:Model = "my-finetune"|}, DailyCostUsd = 1)]
        partial interface IA { }

        [LlmBudget("tiered", Tier = BudgetTier.Economy, {|#1:Model = "o1x"|})]
        partial interface IB { }

        [LlmBudget("known", Tier = BudgetTier.Economy, Model = "gpt-4o-2024-08-06")]
        partial interface IC { }

        [LlmBudget("gemini", DailyCostUsd = 1, Model = "gemini-2.0-flash")]
        partial interface ID { }
        """,
        Verify.Diagnostic("GAI003").WithLocation(0).WithArguments("local", "IA", "my-finetune"),
        Verify.Diagnostic("GAI003").WithLocation(1).WithArguments("tiered", "IB", "o1x"));
}
