using GuardedAI;

namespace GuardedAI.Generator.Tests.Runtime
{
    // Every [LlmBudget] property at once, over a tier: PolicyParityTests compares what the generator compiled with what
    // the runtime reads from the attribute.
    [LlmBudget("every-setting",
        Model = "claude-sonnet-4-5",
        Tier = BudgetTier.Standard,
        RequestsPerMinute = 20, TokensPerMinute = 40_000,
        HourlyRequests = 200, HourlyTokens = 400_000L, HourlyCostUsd = 0.1,
        DailyRequests = 1_000, DailyTokens = 2_000_000, DailyCostUsd = 1.25,
        MonthlyRequests = 20_000, MonthlyTokens = 40_000_000, MonthlyCostUsd = 30,
        MaxInputTokens = 4_000, MaxOutputTokens = 1_000, MaxRequestCostUsd = 0.05,
        WarnAtPercent = 60, CriticalAtPercent = 85.5, TripAtPercent = 99)]
    public partial interface IEverySettingBot
    {
        [LlmPrompt("Ping")]
        Task<string> PingAsync();
    }

    // A budget rolled out in shadow: evaluated on every call, never denying one.
    [LlmBudget("shadow-mode", DailyRequests = 1, Mode = EnforcementMode.Shadow)]
    public partial interface IShadowModeBot
    {
        [LlmPrompt("Ping")]
        Task<string> PingAsync();
    }

    [LlmBudget("thresholds-only", CriticalAtPercent = 80)]
    public partial interface IThresholdsOnlyBot
    {
        [LlmPrompt("Ping")]
        Task<string> PingAsync();
    }
}
