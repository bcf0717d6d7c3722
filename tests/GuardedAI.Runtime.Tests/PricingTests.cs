using System.Text;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Tests;

public class PricingTests
{

    [Fact]
    public void The_embedded_table_is_dated_and_prices_current_models()
    {
        var catalog = PriceCatalog.CreateDefault();
        Assert.Equal("2026-07-24", catalog.AsOf);
        var mini = catalog.Resolve("gpt-4o-mini");
        Assert.True(mini.IsKnown);
        Assert.Equal(0.15m, mini.Price.InputPerMillion);
        Assert.Equal(0.6m, mini.Price.OutputPerMillion);
        Assert.Equal(0.075m, mini.Price.CachedInputPerMillion);
        foreach (var model in new[] { "gpt-4.1", "o3", "gpt-5", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest", "text-embedding-3-small" })
            Assert.True(catalog.Resolve(model).IsKnown, model);
    }

    [Theory]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o-2024-08-06")]
    [InlineData("openai/gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("gpt-4.1-mini-2099-01-01", "gpt-4.1-mini")]
    [InlineData("claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219")]
    [InlineData("chatgpt-4o-latest", "chatgpt-4o-latest")]
    public void Aliases_and_dated_ids_resolve_to_their_family(string requested, string resolved)
    {
        var lookup = PriceCatalog.CreateDefault().Resolve(requested);
        Assert.True(lookup.IsKnown, requested);
        Assert.Equal(resolved, lookup.ResolvedModel);
    }

    [Fact]
    public void Cached_input_is_priced_as_cached_and_reasoning_as_output()
    {
        var price = new ModelPrice { InputPerMillion = 2.5m, OutputPerMillion = 10m, CachedInputPerMillion = 1.25m };
        // 1M input of which 600k cached; 100k output of which 40k reasoning.
        var cost = PriceCatalog.ComputeCost(price, new TokenUsage(1_000_000, 100_000, CachedInputTokens: 600_000, ReasoningTokens: 40_000));
        Assert.Equal(400_000 * 2.5m / 1e6m + 600_000 * 1.25m / 1e6m + 100_000 * 10m / 1e6m, cost);
    }

    [Fact]
    public void Cache_writes_and_long_context_use_their_own_prices()
    {
        var sonnet = PriceCatalog.CreateDefault().Resolve("claude-sonnet-4-5").Price;
        var shortPrompt = PriceCatalog.ComputeCost(sonnet, new TokenUsage(100_000, 1_000, CacheWriteInputTokens: 50_000));
        Assert.Equal((50_000 * 3m + 50_000 * 3.75m + 1_000 * 15m) / 1e6m, shortPrompt);
        var longPrompt = PriceCatalog.ComputeCost(sonnet, new TokenUsage(300_000, 1_000));
        Assert.Equal((300_000 * 6m + 1_000 * 22.5m) / 1e6m, longPrompt);
    }

    [Fact]
    public void An_unknown_model_gets_the_default_price_and_one_warning()
    {
        var log = new RecordingLogger();
        var catalog = PriceCatalog.CreateDefault();
        catalog.Logger = log;
        catalog.DefaultPrice = new ModelPrice { InputPerMillion = 7m, OutputPerMillion = 21m };

        var first = catalog.Resolve("acme-llm-9000");
        var cost = catalog.ComputeCost("acme-llm-9000", new TokenUsage(1_000_000, 1_000_000));
        catalog.Resolve("acme-llm-9000");

        Assert.False(first.IsKnown);
        Assert.Equal(28m, cost);
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("acme-llm-9000", warning.Message);
    }

    [Fact]
    public async Task An_unknown_model_raises_an_alert_and_is_never_free()
    {
        var (engine, _, alerts) = TestEngine.Create();
        var policy = BudgetPolicy.Create("unknown").ForModel("acme-llm-9000").WithMaxOutputTokens(100).Build();
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient("acme-llm-9000", 10), engine, policy);

        await client.GetResponseAsync("hello");
        await engine.Alerts.FlushAsync();

        Assert.True(Assert.Single(engine.Ledger.Snapshot()).CostUsd > 0);
        Assert.Contains(alerts.Alerts, a => a.Level == AlertLevel.UnknownModelPrice && a.Scope == "acme-llm-9000");
    }

    [Fact]
    public void Prices_load_from_a_LiteLLM_file()
    {
        var catalog = new PriceCatalog();
        var result = catalog.LoadLiteLlmFile(LiteLlmFixture.Path);

        Assert.Equal(LiteLlmFixture.Entries.Count(e => e.Value.TryGetProperty("input_cost_per_token", out _)), result.Loaded);
        Assert.Equal(2, result.Skipped); // dall-e-3 and tts-1 have no token prices
        var gpt4o = catalog.Resolve("gpt-4o").Price;
        Assert.Equal(2.5m, gpt4o.InputPerMillion);
        Assert.Equal(1.25m, gpt4o.CachedInputPerMillion);
        Assert.Equal(3.75m, catalog.Resolve("claude-sonnet-4-5").Price.CacheWritePerMillion);
        Assert.Equal(200_000, catalog.Resolve("claude-sonnet-4-5").Price.LongContextThreshold);
    }

    [Fact]
    public void A_malformed_LiteLLM_entry_is_rejected_naming_the_entry_and_field()
    {
        var json = """{ "good-model": { "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06 }, "bad-model": { "input_cost_per_token": "cheap" } }""";
        var catalog = new PriceCatalog();

        var error = Assert.Throws<FormatException>(() => catalog.LoadLiteLlm(new MemoryStream(Encoding.UTF8.GetBytes(json))));

        Assert.Contains("bad-model", error.Message);
        Assert.Contains("input_cost_per_token", error.Message);
    }

    [Fact]
    public void Truncated_LiteLLM_json_is_rejected_with_its_position()
    {
        var error = Assert.Throws<FormatException>(() => new PriceCatalog().LoadLiteLlm(new MemoryStream(Encoding.UTF8.GetBytes("{ \"m\": { \"input_cost_per_token\": 1e-06"))));
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void A_price_changed_after_a_lookup_is_what_the_same_model_string_resolves_to_next()
    {
        var catalog = new PriceCatalog();
        var model = "house-model";
        catalog.Set(model, new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m });
        Assert.Equal(1m, catalog.Resolve(model).Price.InputPerMillion);
        Assert.Equal(1m, catalog.Resolve(model).Price.InputPerMillion); // the same instance: found again without hashing
        catalog.Set(model, new ModelPrice { InputPerMillion = 3m, OutputPerMillion = 4m });
        Assert.Equal(3m, catalog.Resolve(model).Price.InputPerMillion);
        catalog.AddAlias(model, "other");
        catalog.Set("other", new ModelPrice { InputPerMillion = 5m, OutputPerMillion = 6m });
        Assert.Equal("other", catalog.Resolve(model).ResolvedModel);
        Assert.Equal(5m, catalog.Resolve(new string(model.AsSpan())).Price.InputPerMillion);
        catalog.DefaultPrice = new ModelPrice { InputPerMillion = 7m, OutputPerMillion = 8m };
        Assert.Equal(7m, catalog.Resolve("unknown-model").Price.InputPerMillion);
        catalog.DefaultPrice = new ModelPrice { InputPerMillion = 9m, OutputPerMillion = 8m };
        Assert.Equal(9m, catalog.Resolve("unknown-model").Price.InputPerMillion);
    }

    [Fact]
    public void A_price_changed_while_a_lookup_is_under_way_is_what_the_next_lookup_finds()
    {
        // The unknown-model event is raised inside the lookup, after the price was chosen and before it is kept: a change
        // made there is a change racing the lookup, made deterministic. The lookup answers with the price it chose; the
        // entry it keeps afterwards was resolved before the change and must not be used.
        var catalog = new PriceCatalog { DefaultPrice = new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 1m } };
        catalog.UnknownModel += _ => catalog.DefaultPrice = new ModelPrice { InputPerMillion = 2m, OutputPerMillion = 2m };
        const string model = "raced-model";
        Assert.Equal(1m, catalog.Resolve(model).Price.InputPerMillion);
        Assert.Equal(2m, catalog.Resolve(model).Price.InputPerMillion);
        Assert.Equal(2m, catalog.Resolve(new string(model.AsSpan())).Price.InputPerMillion);
    }
}
