using System.Globalization;
using System.Text.Json;

namespace GuardedAI.Tests;

/// <summary>
/// <c>Fixtures/litellm-model-prices.json</c>: LiteLLM's price file cut down by <c>tools/generate-price-table.py</c> to
/// the source entry of every model in the embedded table (cost fields only) plus a few entries the loader must
/// skip or keep apart. Tests read it instead of anything outside the repository.
/// </summary>
internal static class LiteLlmFixture
{
    public static string Path { get; } = System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "litellm-model-prices.json");

    private static readonly Lazy<Dictionary<string, JsonElement>> s_entries = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path));
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
    });

    public static IReadOnlyDictionary<string, JsonElement> Entries => s_entries.Value;

    /// <summary>A per-token price field as the exact decimal the file spells, or null.</summary>
    public static decimal? Field(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? decimal.Parse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture)
            : null;

    /// <summary>
    /// The cost of <paramref name="usage"/> computed straight from a LiteLLM entry's fields, without
    /// <see cref="PriceCatalog"/>: above an <c>input_cost_per_token_above_{N}k_tokens</c> threshold each rate with an
    /// <c>…_above_{N}k_tokens</c> variant uses it; cache reads and writes without a price are priced as input;
    /// reasoning tokens without a price as output.
    /// </summary>
    public static decimal Cost(JsonElement entry, TokenUsage usage)
    {
        string? above = null;
        foreach (var threshold in new[] { 128, 200, 256, 272, 512 })
        {
            if (Field(entry, $"input_cost_per_token_above_{threshold}k_tokens") is not null && usage.InputTokens > threshold * 1000L)
            {
                above = $"_above_{threshold}k_tokens";
                break;
            }
        }
        decimal? Rate(string field) => (above is null ? null : Field(entry, field + above)) ?? Field(entry, field);

        var input = Rate("input_cost_per_token") ?? 0m;
        var output = Rate("output_cost_per_token") ?? 0m;
        var cacheRead = Rate("cache_read_input_token_cost") ?? input;
        var cacheWrite = Rate("cache_creation_input_token_cost") ?? input;
        var reasoning = Field(entry, "output_cost_per_reasoning_token") ?? output;
        return (usage.InputTokens - usage.CachedInputTokens - usage.CacheWriteInputTokens) * input
            + usage.CachedInputTokens * cacheRead + usage.CacheWriteInputTokens * cacheWrite
            + (usage.OutputTokens - usage.ReasoningTokens) * output + usage.ReasoningTokens * reasoning;
    }

    /// <summary>Usage shapes that reach every rate: short and long prompts, cache reads and writes, reasoning.</summary>
    public static IEnumerable<TokenUsage> Shapes(JsonElement entry)
    {
        yield return new TokenUsage(10_000, 1_500, CachedInputTokens: 3_000, CacheWriteInputTokens: 2_000, ReasoningTokens: 500);
        yield return new TokenUsage(1_000_000, 1_000_000);
        foreach (var threshold in new[] { 128, 200, 256, 272, 512 })
        {
            if (Field(entry, $"input_cost_per_token_above_{threshold}k_tokens") is null) continue;
            yield return new TokenUsage(threshold * 1000L, 2_000, CachedInputTokens: 20_000, CacheWriteInputTokens: 10_000);
            yield return new TokenUsage(threshold * 1000L + 50_000, 5_000, CachedInputTokens: 40_000, CacheWriteInputTokens: 100_000, ReasoningTokens: 1_000);
        }
    }

    public static bool IsChatOrEmbedding(JsonElement entry) =>
        entry.TryGetProperty("mode", out var mode) && mode.GetString() is "chat" or "embedding" or "responses"
        && entry.TryGetProperty("input_cost_per_token", out _);
}
