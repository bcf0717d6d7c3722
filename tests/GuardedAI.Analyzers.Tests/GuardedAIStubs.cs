namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// The GuardedAI runtime's public contract, as test source: the analyzers look these types up by name, so tests do not
/// depend on the runtime being built.
/// </summary>
internal static class GuardedAIStubs
{
    public const string Source = """
        #nullable enable
        namespace GuardedAI
        {
            using System;
            using Microsoft.Extensions.AI;

            [AttributeUsage(AttributeTargets.Interface)]
            public sealed class LlmBudgetAttribute : Attribute
            {
                public LlmBudgetAttribute(string name) { }
                public string? Model { get; set; }
                public BudgetTier Tier { get; set; }
                public int RequestsPerMinute { get; set; }
                public long TokensPerMinute { get; set; }
                public int HourlyRequests { get; set; }
                public long HourlyTokens { get; set; }
                public double HourlyCostUsd { get; set; }
                public int DailyRequests { get; set; }
                public long DailyTokens { get; set; }
                public double DailyCostUsd { get; set; }
                public int MonthlyRequests { get; set; }
                public long MonthlyTokens { get; set; }
                public double MonthlyCostUsd { get; set; }
                public int MaxInputTokens { get; set; }
                public int MaxOutputTokens { get; set; }
                public double MaxRequestCostUsd { get; set; }
                public double WarnAtPercent { get; set; }
                public double CriticalAtPercent { get; set; }
                public double TripAtPercent { get; set; }
            }

            public enum BudgetTier { Custom, Free, Economy, Standard, Premium }

            [AttributeUsage(AttributeTargets.Method)]
            public sealed class LlmPromptAttribute : Attribute
            {
                public LlmPromptAttribute(string template) { }
                public string? System { get; set; }
            }

            [AttributeUsage(AttributeTargets.Assembly | AttributeTargets.Class | AttributeTargets.Struct | AttributeTargets.Method | AttributeTargets.Constructor | AttributeTargets.Property | AttributeTargets.Field)]
            public sealed class AllowUnguardedLlmCallsAttribute : Attribute
            {
                public AllowUnguardedLlmCallsAttribute(string justification) { }
            }

            public sealed class BudgetEngine { }
            public sealed class BudgetPolicy { }

            public class BudgetChatClient : DelegatingChatClient
            {
                public BudgetChatClient(IChatClient innerClient, BudgetEngine engine, BudgetPolicy policy) : base(innerClient) { }
            }

            public static class BudgetChatClientBuilderExtensions
            {
                public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, string budgetName, Action<BudgetChatClient>? configure = null) => builder;
                public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, BudgetEngine engine, BudgetPolicy policy, Action<BudgetChatClient>? configure = null) => builder;
            }
        }
        """;
}
