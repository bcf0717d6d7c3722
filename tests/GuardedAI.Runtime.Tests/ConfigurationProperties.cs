using System.Globalization;
using CsCheck;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests;

/// <summary>
/// Random <c>GuardedAI</c> sections, sound or with one mistake in a random place: start-up either succeeds with exactly
/// the configured budgets and limits, or fails naming the key of the mistake.
/// </summary>
public class ConfigurationProperties
{
    private static readonly (string Key, BudgetDimension Dimension, BudgetWindow Window)[] Limits =
    [
        ("RequestsPerMinute", BudgetDimension.Requests, BudgetWindow.Minute), ("HourlyRequests", BudgetDimension.Requests, BudgetWindow.Hour),
        ("DailyRequests", BudgetDimension.Requests, BudgetWindow.Day), ("MonthlyRequests", BudgetDimension.Requests, BudgetWindow.Month),
        ("TokensPerMinute", BudgetDimension.TotalTokens, BudgetWindow.Minute), ("HourlyTokens", BudgetDimension.TotalTokens, BudgetWindow.Hour),
        ("DailyTokens", BudgetDimension.TotalTokens, BudgetWindow.Day), ("MonthlyTokens", BudgetDimension.TotalTokens, BudgetWindow.Month),
        ("HourlyCostUsd", BudgetDimension.CostUsd, BudgetWindow.Hour), ("DailyCostUsd", BudgetDimension.CostUsd, BudgetWindow.Day),
        ("MonthlyCostUsd", BudgetDimension.CostUsd, BudgetWindow.Month),
    ];

    /// <summary>One budget: limits that grow with the window (as the rules require), in a random subset of keys.</summary>
    private static readonly Gen<Dictionary<string, decimal>> Budget =
        Gen.Select(Gen.Int[1, 1_000], Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[1, 5], Gen.Int[0, (1 << Limits.Length) - 1], Gen.Int[1, 1_000])
            .Select((baseAmount, hour, day, month, mask, cents) =>
            {
                var result = new Dictionary<string, decimal>(StringComparer.Ordinal);
                for (var i = 0; i < Limits.Length; i++)
                {
                    if ((mask & (1 << i)) == 0) continue;
                    var (key, dimension, window) = Limits[i];
                    var factor = window switch { BudgetWindow.Minute => 1, BudgetWindow.Hour => hour, BudgetWindow.Day => hour * day, _ => hour * day * month };
                    result[key] = dimension == BudgetDimension.CostUsd ? cents * factor / 100m : baseAmount * factor;
                }
                return result;
            });

    private static readonly string[] Names = ["bot", "research", "support-bot", "Batch_Jobs", "a", "x.y"];

    /// <summary>A mistake: where it goes (a budget's key, or a top-level key) and what it is.</summary>
    private sealed record Mistake(string Kind, string Value);

    private static readonly Gen<Mistake?> Mistakes = Gen.Frequency<Mistake?>(
        (3, Gen.Const((Mistake?)null)),
        (1, Gen.OneOf("DailyCostLimit", "dailyrequest", "Limits", "MaxTokens", "Tokens").Select(k => (Mistake?)new Mistake("unknown key", k))),
        (1, Gen.OneOf("3x", "-5", "0", "1e3", "0x10", "NaN", "9223372036854775808", "", "1.5").Select(v => (Mistake?)new Mistake("bad number", v))),
        (1, Gen.OneOf("Gold", "free ", "2", "Free,Economy", "").Select(v => (Mistake?)new Mistake("bad tier", v))),
        (1, Gen.OneOf("-1", "0", "abc").Select(v => (Mistake?)new Mistake("bad top-level", v))));

    [Fact]
    public void Start_up_succeeds_with_exactly_the_configured_budgets_or_fails_naming_the_key()
    {
        Gen.Select(Budget.Array[1, 4], Gen.Int[0, Names.Length - 1], Mistakes, Gen.Int[0, 1_000], Gen.Bool).Sample((budgets, firstName, mistake, where, tenants) =>
        {
            var section = tenants ? "Tenants" : "Budgets";
            var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var names = new List<string>();
            for (var i = 0; i < budgets.Length; i++)
            {
                var name = Names[(firstName + i) % Names.Length];
                names.Add(name);
                foreach (var (key, amount) in budgets[i]) values[$"GuardedAI:{section}:{name}:{key}"] = amount.ToString(CultureInfo.InvariantCulture);
                if (budgets[i].Count == 0) values[$"GuardedAI:{section}:{name}:Tier"] = "Free";
            }

            string? expectedPath = null;
            if (mistake is not null)
            {
                var victim = names[where % names.Count];
                switch (mistake.Kind)
                {
                    case "unknown key":
                        expectedPath = $"GuardedAI:{section}:{victim}:{mistake.Value}";
                        values[expectedPath] = "1";
                        break;
                    case "bad number":
                        var limitKey = Limits[where % Limits.Length].Key;
                        if (mistake.Value.Length == 0) break; // an empty optional number means "not set": not a mistake
                        if (limitKey.EndsWith("CostUsd", StringComparison.Ordinal) && mistake.Value is "1e3" or "1.5") break; // valid costs
                        expectedPath = $"GuardedAI:{section}:{victim}:{limitKey}";
                        values[expectedPath] = mistake.Value;
                        break;
                    case "bad tier":
                        if (mistake.Value == "free ") break; // the binder trims and ignores case: a valid tier
                        expectedPath = $"GuardedAI:{section}:{victim}:Tier";
                        values[expectedPath] = mistake.Value;
                        break;
                    case "bad top-level":
                        expectedPath = "GuardedAI:" + (where % 3 == 0 ? "MaxPromptCharacters" : where % 3 == 1 ? "ReservationLeaseSeconds" : "FallbackLimitFraction");
                        values[expectedPath] = mistake.Value;
                        break;
                }
            }
            // A limit replaced by a mistake's value changes the budget: compare against what the section really says.
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
            var provider = new ServiceCollection().AddGuardedAI(configuration, o => o.LogAlerts = false).BuildServiceProvider();

            if (expectedPath is not null)
            {
                var error = Assert.Throws<GuardedAIConfigurationException>(() => provider.GetRequiredService<BudgetEngine>());
                Assert.Contains(error.Errors, e => string.Equals(e.Path, expectedPath, StringComparison.OrdinalIgnoreCase));
                return;
            }

            var engine = provider.GetRequiredService<BudgetEngine>();
            for (var i = 0; i < names.Count; i++)
            {
                var policy = tenants ? engine.GetTenantPolicy(names[i]) : engine.GetPolicy(names[i]);
                Assert.NotNull(policy);
                foreach (var (key, dimension, window) in Limits)
                {
                    var configured = values.TryGetValue($"GuardedAI:{section}:{names[i]}:{key}", out var raw) ? decimal.Parse(raw!, CultureInfo.InvariantCulture) : (decimal?)null;
                    if (configured is not null) Assert.Equal(configured, policy.GetLimit(dimension, window));
                }
            }
            if (!tenants) Assert.Equal(names.Order(StringComparer.Ordinal), engine.Policies.Select(p => p.Name).Order(StringComparer.Ordinal));
        }, iter: 300, threads: 1);
    }
}
