using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using GuardedAI.Schema;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// GAI003's "known model" against the runtime's price catalogue: the analyzer accepts exactly the ids the embedded
/// price table resolves, through the one normaliser both compile (src/Shared/ModelIdNormalizer.cs).
/// </summary>
public class KnownModelTests
{
    private static readonly PriceCatalog s_catalog = PriceCatalog.CreateDefault();

    [Fact]
    public void The_generated_id_list_is_the_embedded_price_table()
    {
        // The repository's src/Runtime/Pricing/prices.json, copied beside the tests.
        using var table = JsonDocument.Parse(System.IO.File.ReadAllBytes(System.IO.Path.Combine(AppContext.BaseDirectory, "prices.json")));
        var models = table.RootElement.GetProperty("models").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal);
        var aliases = table.RootElement.GetProperty("aliases").EnumerateObject().Select(p => (p.Name, p.Value.GetString()!)).OrderBy(a => a.Name, StringComparer.Ordinal);

        const string regenerate = "src/Shared/KnownModelIds.g.cs is stale: run python3 tools/generate-known-model-ids.py";
        Assert.True(models.SequenceEqual(KnownModelIds.Models), regenerate);
        Assert.True(aliases.SequenceEqual(KnownModelIds.Aliases.Select(a => (a[0], a[1]))), regenerate);
        Assert.True(table.RootElement.GetProperty("asOf").GetString() == KnownModelIds.AsOf, regenerate);
        Assert.Equal(s_catalog.Models.OrderBy(n => n, StringComparer.Ordinal), KnownModelIds.Models);
    }

    private static List<string> SampleIds()
    {
        var data = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Add(string id)
        {
            if (seen.Add(id)) data.Add(id);
        }

        // Every table id and alias, as written and as callers write them: provider prefixes, date stamps, versions, case, spaces.
        foreach (var id in KnownModelIds.Models.Concat(KnownModelIds.Aliases.Select(a => a[0])))
        {
            Add(id);
            Add("openai/" + id);
            Add("models/" + id);
            Add(id + "-2025-01-31");
            Add(id + "-20250131");
            Add(id + "@20250131");
            Add(id + "-20250131-v1:0");
            Add(id + "-latest");
            Add(id.ToUpperInvariant());
            Add("  " + id + " ");
            Add(id + "x");
            Add(id + "-tts");
        }

        // What the old family prefixes accepted and the table does not price, and near misses.
        foreach (var id in new[]
        {
            "llama3.1", "llama-3.3-70b", "gpt-4o-mini-tts", "gpt-4o-2099-01-01", "o1x", "o5", "claude-3-5-sonnet-20241022", "claude-3-5-sonnet-latest",
            "gemini/gemini-flash-latest", "vertex_ai/gemini-2.5-pro", "anthropic/claude-sonnet-4-5@20250929", "mistral/mistral-large-latest",
            "my-finetune", "phi-3", "", " ", "/", "gpt-4o/", "-latest", "gpt-4o--latest", "gpt-4o-latest-latest", "claude-opus-4-20250514-v1:0",
            "text-embedding-3-small", "text-embedding-3-small-2024", "GPT-4O-MINI", "gpt-4o-mini-2024-07-18", "gpt-4o-mini-2024-07",
        })
        {
            Add(id);
        }

        return data;
    }

    [Fact]
    public void The_analyzer_knows_a_model_exactly_when_the_runtime_prices_it()
    {
        var disagreements = SampleIds()
            .Where(id => s_catalog.Resolve(id).IsKnown != KnownModels.IsKnown(id))
            .Select(id => $"'{id}': runtime {(s_catalog.Resolve(id).IsKnown ? "prices it" : "does not")}, GAI003 {(KnownModels.IsKnown(id) ? "knows it" : "does not")}")
            .ToList();
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }

    [Fact]
    public void The_samples_include_both_known_and_unknown_ids()
    {
        var samples = SampleIds();
        Assert.Contains(samples, id => s_catalog.Resolve(id).IsKnown && id != id.Trim());
        Assert.Contains(samples, id => s_catalog.Resolve(id).IsKnown && id.Contains('/'));
        Assert.Contains(samples, id => s_catalog.Resolve(id).IsKnown && id.EndsWith("-20250131-v1:0", StringComparison.Ordinal));
        Assert.True(samples.Count(id => !s_catalog.Resolve(id).IsKnown) > 100);
    }

    [Theory]
    [InlineData("gpt-4o", new[] { "gpt-4o" })]
    [InlineData(" openai/gpt-4o-2024-08-06 ", new[] { "openai/gpt-4o-2024-08-06", "gpt-4o-2024-08-06", "gpt-4o" })]
    [InlineData("claude-3-5-sonnet@20241022", new[] { "claude-3-5-sonnet@20241022", "claude-3-5-sonnet" })]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0", new[] { "anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku" })]
    [InlineData("models/gemini-flash-latest", new[] { "models/gemini-flash-latest", "gemini-flash-latest", "gemini-flash" })]
    [InlineData("claude-3-7-sonnet-latest-20250219", new[] { "claude-3-7-sonnet-latest-20250219", "claude-3-7-sonnet-latest", "claude-3-7-sonnet" })]
    [InlineData("a/b/gpt-4o-2024-08", new[] { "a/b/gpt-4o-2024-08", "gpt-4o-2024-08" })]
    public void Candidates_are_the_id_without_provider_date_and_latest(string model, string[] expected)
    {
        Assert.Equal(expected, ModelIdNormalizer.Candidates(model));
        Assert.Equal(expected, ModelIds.Candidates(model)); // the runtime's public entry point is the same routine
    }
}
