using System.Text.Json;

namespace GuardedAI.Tests;

/// <summary>Every price GuardedAI ships or loads is checked against a cost computed from the LiteLLM entry's own fields.</summary>
public class PriceTableTests
{
    private static readonly Lazy<PriceCatalog> s_fromFixture = new(() =>
    {
        var catalog = new PriceCatalog();
        catalog.LoadLiteLlmFile(LiteLlmFixture.Path);
        return catalog;
    });

    public static TheoryData<string> FixtureModels()
    {
        var data = new TheoryData<string>();
        foreach (var (key, entry) in LiteLlmFixture.Entries.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (LiteLlmFixture.IsChatOrEmbedding(entry) && key != "sample_spec") data.Add(key);
        }
        return data;
    }

    public static TheoryData<string> EmbeddedModels()
    {
        var data = new TheoryData<string>();
        foreach (var model in EmbeddedTable().RootElement.GetProperty("models").EnumerateObject()) data.Add(model.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(FixtureModels))]
    public void A_loaded_LiteLLM_model_costs_what_its_own_fields_say(string model)
    {
        var entry = LiteLlmFixture.Entries[model];
        var lookup = s_fromFixture.Value.Resolve(model);
        Assert.Equal(model, lookup.ResolvedModel);
        foreach (var usage in LiteLlmFixture.Shapes(entry))
        {
            Assert.Equal(LiteLlmFixture.Cost(entry, usage), PriceCatalog.ComputeCost(lookup.Price, usage));
        }
    }

    [Theory]
    [MemberData(nameof(EmbeddedModels))]
    public void An_embedded_model_costs_what_its_LiteLLM_entry_says(string model)
    {
        // The table keeps LiteLLM's exact ids, so each model's source entry is in the fixture under its own name.
        Assert.True(LiteLlmFixture.Entries.TryGetValue(model, out var entry), $"the fixture has no entry '{model}'; run tools/generate-price-table.py");
        var catalog = PriceCatalog.CreateDefault();
        var lookup = catalog.Resolve(model);
        Assert.Equal(model, lookup.ResolvedModel);
        foreach (var usage in LiteLlmFixture.Shapes(entry))
        {
            Assert.Equal(LiteLlmFixture.Cost(entry, usage), catalog.ComputeCost(model, usage));
        }
    }

    [Fact]
    public void Every_alias_of_the_embedded_table_names_one_of_its_models()
    {
        var table = EmbeddedTable().RootElement;
        var models = table.GetProperty("models");
        var catalog = PriceCatalog.CreateDefault();
        foreach (var alias in table.GetProperty("aliases").EnumerateObject())
        {
            Assert.True(models.TryGetProperty(alias.Value.GetString()!, out _), alias.Name);
            Assert.Equal(alias.Value.GetString(), catalog.Resolve(alias.Name).ResolvedModel);
        }
    }

    [Fact]
    public void Long_context_cache_writes_use_the_long_context_cache_write_price()
    {
        // claude-sonnet-4-5, 250,000 input tokens of which 100,000 are cache writes, 2,000 output: LiteLLM's file says
        // 150,000 × $6 + 100,000 × $7.50 + 2,000 × $22.50 per 1M = $1.695 (GuardedAI used to price the writes at $3.75: $1.32).
        var usage = new TokenUsage(250_000, 2_000, CacheWriteInputTokens: 100_000);

        Assert.Equal(1.695m, PriceCatalog.CreateDefault().ComputeCost("claude-sonnet-4-5", usage));
        Assert.Equal(1.695m, s_fromFixture.Value.ComputeCost("claude-sonnet-4-5", usage));
    }

    [Fact]
    public void Long_context_cache_reads_use_the_long_context_cache_read_price()
    {
        var usage = new TokenUsage(250_000, 0, CachedInputTokens: 200_000);
        // 50,000 × $6 + 200,000 × $0.60 per 1M.
        Assert.Equal(0.42m, s_fromFixture.Value.ComputeCost("claude-sonnet-4-5", usage));
        Assert.Equal(0.42m, PriceCatalog.CreateDefault().ComputeCost("claude-sonnet-4-5", usage));
    }

    [Theory]
    [InlineData("gemini/gemini-flash-latest", 0.075)]
    [InlineData("gemini-flash-latest", 0.03)]
    [InlineData("gemini/gemini-flash-lite-latest", 0.025)]
    public void A_provider_prefixed_id_resolves_to_the_entry_of_exactly_that_key(string model, double cachedPerMillion)
    {
        foreach (var catalog in new[] { PriceCatalog.CreateDefault(), s_fromFixture.Value })
        {
            var lookup = catalog.Resolve(model);
            Assert.Equal(model, lookup.ResolvedModel);
            Assert.Equal((decimal)cachedPerMillion, lookup.Price.CachedInputPerMillion);
        }
    }

    [Fact]
    public void A_bare_id_still_finds_a_prefixed_entry_when_it_has_none_of_its_own()
    {
        var lookup = PriceCatalog.CreateDefault().Resolve("mistral-large-latest");
        Assert.Equal("mistral/mistral-large-latest", lookup.ResolvedModel);
        Assert.Equal(LiteLlmFixture.Field(LiteLlmFixture.Entries["mistral/mistral-large-latest"], "input_cost_per_token") * 1_000_000m, lookup.Price.InputPerMillion);
    }

    [Fact]
    public void A_negative_price_is_rejected_naming_the_model_and_the_field()
    {
        var catalog = new PriceCatalog();

        var set = Assert.Throws<ArgumentException>(() => catalog.Set("my-model", new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m, CacheWritePerMillion = -1m }));
        var fallback = Assert.Throws<ArgumentException>(() => catalog.DefaultPrice = new ModelPrice { InputPerMillion = -10m, OutputPerMillion = -30m });

        Assert.Contains("'my-model'", set.Message);
        Assert.Contains("CacheWritePerMillion", set.Message);
        Assert.Contains("InputPerMillion", fallback.Message);
        Assert.Equal(10m, catalog.DefaultPrice.InputPerMillion);
    }

    [Fact]
    public void A_negative_LiteLLM_price_is_rejected_naming_the_entry_and_the_field()
    {
        var json = """{ "m": { "input_cost_per_token": 1e-06, "input_cost_per_token_above_200k_tokens": 2e-06, "cache_creation_input_token_cost_above_200k_tokens": -1e-06 } }""";
        var error = Assert.Throws<FormatException>(() => new PriceCatalog().LoadLiteLlm(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))));
        Assert.Contains("'m'", error.Message);
        Assert.Contains("cache_creation_input_token_cost_above_200k_tokens", error.Message);
    }

    [Fact]
    public void The_compiled_default_table_is_prices_json_entry_for_entry_digit_for_digit()
    {
        // Read here with System.Text.Json, as the runtime read the JSON before the table was compiled in; the text of each
        // price (its scale too: 0.30 is not 0.3 to the table's version hash) must be what the generated code gives.
        const string regenerate = "src/Runtime/Pricing/EmbeddedPriceTable.g.cs is stale: run python3 tools/generate-embedded-prices.py";
        using var table = EmbeddedTable();
        var root = table.RootElement;
        var catalog = PriceCatalog.CreateDefault();
        Assert.True(root.GetProperty("asOf").GetString() == catalog.AsOf, regenerate);

        var models = root.GetProperty("models").EnumerateObject().ToList();
        Assert.True(models.Count == catalog.Models.Count, regenerate);
        foreach (var model in models)
        {
            var e = model.Value;
            var expected = new ModelPrice
            {
                InputPerMillion = e.GetProperty("input").GetDecimal(),
                OutputPerMillion = e.TryGetProperty("output", out var o) ? o.GetDecimal() : 0m,
                CachedInputPerMillion = Optional(e, "cachedInput"),
                CacheWritePerMillion = Optional(e, "cacheWrite"),
                ReasoningPerMillion = Optional(e, "reasoning"),
                LongContextThreshold = e.TryGetProperty("longContextThreshold", out var t) ? t.GetInt64() : null,
                LongContextInputPerMillion = Optional(e, "longContextInput"),
                LongContextOutputPerMillion = Optional(e, "longContextOutput"),
                LongContextCachedInputPerMillion = Optional(e, "longContextCachedInput"),
                LongContextCacheWritePerMillion = Optional(e, "longContextCacheWrite"),
                Provider = e.TryGetProperty("provider", out var p) ? p.GetString() : null,
                Mode = e.TryGetProperty("mode", out var m) ? m.GetString()! : "chat",
            };
            Assert.True(catalog.Models.Contains(model.Name), $"{model.Name} is missing. {regenerate}");
            var actual = catalog.EntryPrice(model.Name);
            Assert.True(expected == actual, $"{model.Name}: {actual} in the code, {expected} in the JSON. {regenerate}");
            Assert.Equal(Described(expected), Described(actual)); // the same digits, so the same version hash
        }

        var aliases = root.GetProperty("aliases").EnumerateObject().ToList();
        Assert.True(aliases.Count == EmbeddedPriceTable.AliasCount, regenerate);
        foreach (var alias in aliases) Assert.True(alias.Value.GetString() == catalog.Resolve(alias.Name).ResolvedModel, $"alias {alias.Name}. {regenerate}");

        static decimal? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetDecimal() : null;
        static string Described(ModelPrice price)
        {
            var text = new System.Text.StringBuilder();
            PriceTableVersion.Describe(text, price);
            return text.ToString();
        }
    }

    /// <summary>The repository's <c>src/Runtime/Pricing/prices.json</c>, copied beside the tests.</summary>
    internal static JsonDocument EmbeddedTable() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Fixtures", "prices.json")));
}
