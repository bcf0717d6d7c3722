using System.Reflection;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests;

/// <summary>Every unknown key, unconvertible value and out-of-range number in <c>GuardedAI</c> fails start-up with its path.</summary>
public class ConfigurationValidationTests
{
    private static IConfiguration Json(string json) => new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();

    private static GuardedAIConfigurationException StartFails(string json, Action<IServiceCollection>? register = null)
    {
        var services = new ServiceCollection();
        register?.Invoke(services);
        var provider = services.AddGuardedAI(Json(json)).BuildServiceProvider();
        return Assert.Throws<GuardedAIConfigurationException>(() => provider.GetRequiredService<BudgetEngine>());
    }

    [Fact]
    public void A_value_the_binder_cannot_convert_fails_instead_of_dropping_the_budget()
    {
        var error = StartFails("""{ "GuardedAI": { "Budgets": { "bot": { "DailyRequests": "3x" }, "other": { "DailyRequests": 5 } } } }""");

        var problem = Assert.Single(error.Errors);
        Assert.Equal("GuardedAI:Budgets:bot:DailyRequests", problem.Path);
        Assert.Contains("'3x'", problem.Problem);
        Assert.Contains("a whole number from 1 to", problem.Problem);
    }

    [Fact]
    public void An_unknown_tier_fails_instead_of_leaving_the_tenant_unlimited()
    {
        var error = StartFails("""{ "GuardedAI": { "Tenants": { "acme": { "Tier": "Gold", "DailyRequests": 3 } } } }""");

        var problem = Assert.Single(error.Errors);
        Assert.Equal("GuardedAI:Tenants:acme:Tier", problem.Path);
        Assert.Contains("'Gold'", problem.Problem);
        Assert.Contains("one of Custom, Free, Economy, Standard, Premium", problem.Problem);
    }

    [Fact]
    public void A_misspelled_limit_fails_listing_the_valid_keys()
    {
        var error = StartFails("""{ "GuardedAI": { "Budgets": { "bot": { "DailyCostLimit": 0.01 } } } }""");

        var problem = Assert.Single(error.Errors);
        Assert.Equal("GuardedAI:Budgets:bot:DailyCostLimit", problem.Path);
        Assert.Contains("is not a setting of a budget", problem.Problem);
        Assert.Contains("DailyCostUsd", problem.Problem);
        Assert.Contains("GuardedAI:Budgets:bot:DailyCostLimit", error.Message);
    }

    [Fact]
    public void A_negative_unknown_model_price_fails_naming_the_field()
    {
        var error = StartFails("""{ "GuardedAI": { "UnknownModelPrice": { "Input": -10, "Output": -30 } } }""");

        Assert.Equal(["GuardedAI:UnknownModelPrice:Input", "GuardedAI:UnknownModelPrice:Output"], error.Errors.Select(e => e.Path));
        Assert.All(error.Errors, e => Assert.Contains("a number from 0 to", e.Problem));
    }

    [Fact]
    public void Price_errors_name_the_model_and_the_field_and_a_price_needs_input_and_output()
    {
        var error = StartFails("""{ "GuardedAI": { "Prices": { "my-finetune": { "Input": 3, "Output": 12, "CacheWrite": -1 }, "half-priced": { "Output": 4 } } } }""");

        Assert.Contains(error.Errors, e => e.Path == "GuardedAI:Prices:my-finetune:CacheWrite" && e.Problem.Contains("'-1'"));
        Assert.Contains(error.Errors, e => e.Path == "GuardedAI:Prices:half-priced:Input" && e.Problem.Contains("is missing"));
    }

    [Fact]
    public void Messages_name_configuration_keys_not_internal_properties()
    {
        var error = StartFails("""{ "GuardedAI": { "Budgets": { "bot": { "BreakerOpenSeconds": 0 } } } }""");

        Assert.Equal("GuardedAI:Budgets:bot:BreakerOpenSeconds", Assert.Single(error.Errors).Path);
        Assert.DoesNotContain("FailureOpenDuration", error.Message);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = StartFails("""
        {
          "GuardedAI": {
            "Budgets": { "a": { "DailyRequests": -1, "TimeZone": "Mars/Olympus_Mons" }, "b": "oops" },
            "Store": "postgres",
            "MaxPromptCharacters": 0,
            "Sqlite": { "BatchSize": "lots" },
            "Alerts": { "Log": "yes" },
            "Typo": 1
          }
        }
        """);

        Assert.Equal(new[]
        {
            "GuardedAI:Alerts:Log", "GuardedAI:Budgets:a:DailyRequests", "GuardedAI:Budgets:a:TimeZone", "GuardedAI:Budgets:b",
            "GuardedAI:MaxPromptCharacters", "GuardedAI:Sqlite", "GuardedAI:Store", "GuardedAI:Typo",
        }, error.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Contains("8 problems", error.Message);
    }

    [Fact]
    public void A_secret_value_is_never_repeated_in_an_error()
    {
        var error = StartFails("""{ "GuardedAI": { "Alerts": { "WebhookUrl": "ftp://hooks.example.com/T0KEN-s3cret" } } }""");

        Assert.Equal("GuardedAI:Alerts:WebhookUrl", Assert.Single(error.Errors).Path);
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public void A_section_a_package_registers_is_checked_as_strictly()
    {
        var schema = new ConfigurationSchema("the Postgres section").Value("ConnectionString", ConfigurationValue.Text.Secret, required: true).Value("PoolSize", ConfigurationValue.Integer(1, 100));
        var json = """{ "GuardedAI": { "Postgres": { "PoolSize": 500, "Conection": "x" } } }""";

        var unregistered = StartFails(json);
        var registered = StartFails(json, services => services.AddGuardedAI().AddConfigurationSection("Postgres", schema));

        Assert.Equal("GuardedAI:Postgres", Assert.Single(unregistered.Errors).Path);
        Assert.Equal(["GuardedAI:Postgres:Conection", "GuardedAI:Postgres:ConnectionString", "GuardedAI:Postgres:PoolSize"], registered.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        var good = new ServiceCollection()
            .AddGuardedAI(Json("""{ "GuardedAI": { "Postgres": { "ConnectionString": "Host=db", "PoolSize": 10 } } }""")).AddConfigurationSection("Postgres", schema).BuildServiceProvider();
        Assert.NotNull(good.GetRequiredService<BudgetEngine>());
    }

    [Fact]
    public void Null_and_empty_optional_values_mean_not_set()
    {
        var provider = new ServiceCollection().AddGuardedAI(Json("""{ "GuardedAI": { "Budgets": { "bot": { "DailyRequests": 5, "HourlyRequests": null, "Model": "" } }, "ReservationLeaseSeconds": null } }""")).BuildServiceProvider();

        var policy = provider.GetRequiredService<BudgetEngine>().GetPolicy("bot")!;

        Assert.Equal(5, policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Null(policy.GetLimit(BudgetDimension.Requests, BudgetWindow.Hour));
    }

    [Fact]
    public void The_schema_describes_exactly_the_keys_the_options_bind()
    {
        var schema = GuardedAIConfigurationSchema.Create();
        var missing = new List<string>();
        Compare(typeof(GuardedAIOptions), schema, "GuardedAI", missing);
        Assert.Empty(missing);
    }

    private static void Compare(Type options, ConfigurationSchema schema, string path, List<string> problems)
    {
        var properties = options.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var key in schema.Keys)
        {
            if (!properties.ContainsKey(key)) problems.Add($"{path}:{key} is described but not bound");
        }
        foreach (var (name, property) in properties)
        {
            if (!schema.TryGet(name, out var entry))
            {
                problems.Add($"{path}:{name} is bound but not described");
                continue;
            }
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            switch (entry)
            {
                // An open section's keys are checked by what reads it (the alert routes name levels and channels).
                case ConfigurationEntry.Nested { Schema.IsOpen: true }: break;
                case ConfigurationEntry.Nested nested: Compare(type, nested.Schema, $"{path}:{name}", problems); break;
                case ConfigurationEntry.SectionMap map: Compare(type.GetGenericArguments()[1], map.Entries, $"{path}:{name}:*", problems); break;
            }
        }
    }
}
