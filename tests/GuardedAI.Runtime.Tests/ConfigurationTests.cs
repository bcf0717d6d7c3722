using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests;

public class ConfigurationTests
{
    private static IConfiguration Json(string json) => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    [Fact]
    public async Task AddGuardedAI_binds_budgets_tenants_and_prices_from_the_GuardedAI_section()
    {
        var configuration = Json("""
        {
          "GuardedAI": {
            "Budgets": {
              "support": { "Model": "gpt-4o-mini", "Tier": "Economy", "DailyCostUsd": 0.3, "MaxOutputTokens": 500, "TimeZone": "Europe/Berlin", "WarnAtPercent": 60 }
            },
            "Tenants": { "acme": { "DailyRequests": 3 } },
            "Prices": { "my-finetune": { "Input": 3.0, "Output": 12.0 } },
            "ReservationLeaseSeconds": 120
          }
        }
        """);
        var collection = new ServiceCollection();
        collection.AddGuardedAI(configuration);
        var services = collection.BuildServiceProvider();

        var engine = services.GetRequiredService<BudgetEngine>();
        var policy = engine.GetPolicy("support")!;
        Assert.Equal("gpt-4o-mini", policy.Model);
        Assert.Equal(0.3m, policy.GetLimit(BudgetDimension.CostUsd, BudgetWindow.Day));
        Assert.Equal(100, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Day)); // from the Economy tier
        Assert.Equal(500, policy.MaxOutputTokens);
        Assert.Equal(60, policy.Thresholds.WarnAtPercent);
        Assert.Equal("Europe/Berlin", policy.TimeZone.Id);
        Assert.Equal(3m, engine.GetTenantPolicy("acme")!.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Equal(12m, engine.Prices.Resolve("my-finetune").Price.OutputPerMillion);
        Assert.Equal(TimeSpan.FromSeconds(120), engine.Parts.FixedLease);

        var client = new ChatClientBuilder(new Simulation.SimulatedChatClient()).UseBudget("support").Build(services);
        await client.GetResponseAsync("hello");
        Assert.Equal("support", Assert.Single(engine.Ledger.Snapshot()).Budget);
    }

    [Fact]
    public void AddGuardedAI_replaces_a_default_engine_registered_before_it()
    {
        // A generated AddXxx() registers a default engine with TryAdd; the configured one must win whatever the order.
        var services = new ServiceCollection();
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton(services, _ => new BudgetEngine());
        services.AddGuardedAI(o => o.Policies.Add(BudgetPolicy.Create("configured").Build()));

        var engine = services.BuildServiceProvider().GetRequiredService<BudgetEngine>();

        Assert.NotNull(engine.GetPolicy("configured"));
        Assert.Single(services, d => d.ServiceType == typeof(BudgetEngine));
    }

    [Fact]
    public void A_bad_budget_in_configuration_fails_with_the_budget_and_value_named()
    {
        var configuration = Json("""{ "GuardedAI": { "Budgets": { "broken": { "HourlyRequests": 100, "DailyRequests": 10 } } } }""");
        var collection = new ServiceCollection();
        collection.AddGuardedAI(configuration);
        var services = collection.BuildServiceProvider();

        var error = Assert.Throws<GuardedAIConfigurationException>(() => services.GetRequiredService<BudgetEngine>());

        Assert.Equal("GuardedAI configuration is invalid: GuardedAI:Budgets:broken is not a valid budget: the hourly requests limit (100) is above the daily requests limit (10); a shorter window's limit must not exceed a longer window's.", error.Message);
    }

    [Fact]
    public void UseBudget_with_an_unknown_name_lists_the_known_budgets()
    {
        var collection = new ServiceCollection();
        collection.AddGuardedAI(o => o.Policies.Add(BudgetPolicy.Create("known").Build()));
        var services = collection.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => new ChatClientBuilder(new Simulation.SimulatedChatClient()).UseBudget("typo").Build(services));

        Assert.Contains("No budget named 'typo'", error.Message);
        Assert.Contains("Known budgets: known", error.Message);
    }
}
