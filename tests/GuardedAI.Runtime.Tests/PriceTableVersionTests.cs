using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace GuardedAI.Tests;

/// <summary>
/// The price table's version is computed without reflection per value (it is on a process's first call's path); it
/// must stay the version records already carry: the same text hashed as the reflection over every property produced.
/// </summary>
public class PriceTableVersionTests
{
    /// <summary>The version as it was computed before: every readable property by reflection, ordinal order.</summary>
    private static string ByReflection(PriceCatalog catalog)
    {
        var fields = typeof(ModelPrice).GetProperties().Where(p => p.CanRead).OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        string Describe(ModelPrice price) =>
            string.Join(';', fields.Select(p => p.Name + ":" + Convert.ToString(p.GetValue(price), CultureInfo.InvariantCulture)));
        var text = new StringBuilder();
        foreach (var model in catalog.Models.OrderBy(m => m, StringComparer.OrdinalIgnoreCase))
            text.Append(model.ToLowerInvariant()).Append('=').Append(Describe(catalog.Resolve(model).Price)).Append('\n');
        text.Append("*=").Append(Describe(catalog.DefaultPrice));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
        return (string.IsNullOrEmpty(catalog.AsOf) ? "custom" : catalog.AsOf) + "#" + Convert.ToHexStringLower(hash, 0, 4);
    }

    [Fact]
    public void The_embedded_tables_version_is_unchanged()
    {
        var catalog = PriceCatalog.CreateDefault();
        Assert.Equal(ByReflection(catalog), PriceTableVersion.Of(catalog));
    }

    [Fact]
    public void The_embedded_tables_version_written_in_the_code_is_the_tables_hash()
    {
        var computed = PriceTableVersion.Compute(PriceCatalog.CreateDefault());
        Assert.True(computed == PriceCatalog.EmbeddedTableVersion,
            $"prices.json changed: set PriceCatalog.EmbeddedTableVersion to \"{computed}\" (it is \"{PriceCatalog.EmbeddedTableVersion}\")");
    }

    [Theory]
    [InlineData("price")]
    [InlineData("alias")]
    [InlineData("default")]
    [InlineData("litellm")]
    public void A_default_catalogue_changed_after_loading_is_hashed_again(string change)
    {
        var catalog = PriceCatalog.CreateDefault();
        Assert.Equal(PriceCatalog.EmbeddedTableVersion, PriceTableVersion.Of(catalog));

        var price = new ModelPrice { InputPerMillion = 123m, OutputPerMillion = 456m };
        switch (change)
        {
            case "price": catalog.Set("gpt-4o", price); break;
            case "alias": catalog.AddAlias("my-model", "gpt-4o"); break;
            case "default": catalog.DefaultPrice = price; break;
            case "litellm": catalog.LoadLiteLlm(new MemoryStream("{\"gpt-4o\":{\"input_cost_per_token\":0.000123,\"output_cost_per_token\":0.000456,\"mode\":\"chat\"}}"u8.ToArray())); break;
        }

        Assert.Equal(PriceTableVersion.Compute(catalog), PriceTableVersion.Of(catalog));
        if (change != "alias") Assert.NotEqual(PriceCatalog.EmbeddedTableVersion, PriceTableVersion.Of(catalog));
    }

    [Fact]
    public void Every_field_of_a_price_is_in_the_version()
    {
        // Every property set, to values whose text differs from any default, so a field left out would show.
        var full = new ModelPrice
        {
            InputPerMillion = 1.5m, OutputPerMillion = 2.25m, CachedInputPerMillion = 0.125m, CacheWritePerMillion = 3.75m,
            ReasoningPerMillion = 4.5m, LongContextThreshold = 200_000, LongContextInputPerMillion = 5.5m, LongContextOutputPerMillion = 6.5m,
            LongContextCachedInputPerMillion = 0.55m, LongContextCacheWritePerMillion = 7.25m, Provider = "acme", Mode = "responses",
        };
        var catalog = new PriceCatalog();
        catalog.Set("acme-large", full);
        catalog.Set("Acme-Small", full with { Provider = null, LongContextThreshold = null });
        catalog.AddAlias("large", "acme-large");
        Assert.Equal(ByReflection(catalog), PriceTableVersion.Of(catalog));

        var described = new StringBuilder();
        PriceTableVersion.Describe(described, full);
        foreach (var property in typeof(ModelPrice).GetProperties())
            Assert.Contains(property.Name + ":" + Convert.ToString(property.GetValue(full), CultureInfo.InvariantCulture), described.ToString());
    }

    [Fact]
    public void A_changed_field_changes_the_version()
    {
        var catalog = new PriceCatalog();
        catalog.Set("m", new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m });
        var before = PriceTableVersion.Of(catalog);
        catalog.Set("m", new ModelPrice { InputPerMillion = 1m, OutputPerMillion = 2m, LongContextCacheWritePerMillion = 9m });
        Assert.NotEqual(before, PriceTableVersion.Of(catalog));
        Assert.StartsWith("custom#", before);
    }
}
