using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// Prices of models, per 1M tokens. Starts from the embedded, dated table (<see cref="AsOf"/>); entries can be
/// set by hand, from configuration, or loaded from a LiteLLM <c>model_prices_and_context_window.json</c> file.
/// Ids resolve through aliases, provider prefixes and date stamps (<c>gpt-4o-2024-08-06</c> → <c>gpt-4o</c>).
/// An unknown model gets <see cref="DefaultPrice"/> and a logged warning (once per model) — never a silent zero.
/// </summary>
public sealed class PriceCatalog
{
    private readonly ConcurrentDictionary<string, ModelPrice> _prices = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, PriceLookup> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, byte> _warned = new(StringComparer.OrdinalIgnoreCase);
    private ILogger _logger = NullLogger.Instance;

    /// <summary>Creates an empty catalogue (no embedded prices).</summary>
    public PriceCatalog() { }

    /// <summary>A new catalogue holding the embedded price table.</summary>
    public static PriceCatalog CreateDefault()
    {
        var catalog = new PriceCatalog();
        using var stream = typeof(PriceCatalog).Assembly.GetManifestResourceStream("GuardedAI.Pricing.prices.json")
            ?? throw new InvalidOperationException("The embedded price table is missing.");
        catalog.LoadEmbeddedTable(stream);
        return catalog;
    }

    /// <summary>The date of the embedded prices (empty for a catalogue built by hand).</summary>
    public string AsOf { get; private set; } = string.Empty;

    /// <summary>The price used for a model the catalogue does not know. Default: $10 input, $30 output per 1M
    /// tokens — deliberately above most current models, so an unknown model makes budgets stricter, not looser.</summary>
    public ModelPrice DefaultPrice { get; set; } = new() { InputPerMillion = 10m, OutputPerMillion = 30m };

    /// <summary>Where "unknown model" warnings go.</summary>
    public ILogger Logger { get => _logger; set => _logger = value ?? NullLogger.Instance; }

    /// <summary>Raised (once per model id) when a model is priced with <see cref="DefaultPrice"/>.</summary>
    public event Action<string>? UnknownModel;

    /// <summary>The ids the catalogue knows (not counting aliases).</summary>
    public IReadOnlyCollection<string> Models => (IReadOnlyCollection<string>)_prices.Keys;

    /// <summary>Sets (or replaces) the price of <paramref name="model"/>.</summary>
    public void Set(string model, ModelPrice price)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        ArgumentNullException.ThrowIfNull(price);
        Validate(model, price);
        _prices[model.Trim()] = price;
        _resolved.Clear();
    }

    /// <summary>Makes <paramref name="alias"/> resolve to <paramref name="model"/>.</summary>
    public void AddAlias(string alias, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        _aliases[alias.Trim()] = model.Trim();
        _resolved.Clear();
    }

    /// <summary>Finds the price of <paramref name="model"/>; see the class remarks for the resolution order.</summary>
    public PriceLookup Resolve(string? model)
    {
        var requested = string.IsNullOrWhiteSpace(model) ? "(unspecified)" : model.Trim();
        if (_resolved.TryGetValue(requested, out var cached)) return cached;

        PriceLookup result = default;
        var found = false;
        foreach (var candidate in ModelIds.Candidates(requested))
        {
            var id = _aliases.TryGetValue(candidate, out var target) ? target : candidate;
            if (_prices.TryGetValue(id, out var price))
            {
                result = new PriceLookup(requested, id, price);
                found = true;
                break;
            }
        }

        if (!found)
        {
            result = new PriceLookup(requested, null, DefaultPrice);
            if (_warned.TryAdd(requested, 0))
            {
                _logger.LogWarning("GuardedAI has no price for model '{Model}'; using the default price of ${Input}/${Output} per 1M input/output tokens. Set a price in configuration (GuardedAI:Prices) to silence this.",
                    requested, DefaultPrice.InputPerMillion, DefaultPrice.OutputPerMillion);
                UnknownModel?.Invoke(requested);
            }
        }
        return _resolved[requested] = result;
    }

    /// <summary>The cost in USD of <paramref name="usage"/> on <paramref name="model"/>. Cached input is priced as
    /// cached, cache writes as cache writes, reasoning as reasoning (or output); above a long-context threshold
    /// the long-context prices apply.</summary>
    public decimal ComputeCost(string? model, TokenUsage usage) => ComputeCost(Resolve(model).Price, usage);

    /// <summary>The cost in USD of <paramref name="usage"/> at <paramref name="price"/>.</summary>
    public static decimal ComputeCost(ModelPrice price, TokenUsage usage)
    {
        var longContext = price.LongContextThreshold is { } threshold && usage.InputTokens > threshold;
        var input = longContext ? price.LongContextInputPerMillion ?? price.InputPerMillion : price.InputPerMillion;
        var output = longContext ? price.LongContextOutputPerMillion ?? price.OutputPerMillion : price.OutputPerMillion;
        var cached = longContext
            ? price.LongContextCachedInputPerMillion ?? price.CachedInputPerMillion ?? input
            : price.CachedInputPerMillion ?? input;
        var cacheWrite = price.CacheWritePerMillion ?? input;
        var reasoning = price.ReasoningPerMillion ?? output;

        var cachedTokens = Math.Min(usage.CachedInputTokens, usage.InputTokens);
        var writeTokens = Math.Min(usage.CacheWriteInputTokens, usage.InputTokens - cachedTokens);
        var plainInput = usage.InputTokens - cachedTokens - writeTokens;
        var reasoningTokens = Math.Min(usage.ReasoningTokens, usage.OutputTokens);
        var plainOutput = usage.OutputTokens - reasoningTokens;

        var total = plainInput * input + cachedTokens * cached + writeTokens * cacheWrite + plainOutput * output + reasoningTokens * reasoning;
        return total / 1_000_000m;
    }

    /// <summary>
    /// Loads prices from a LiteLLM <c>model_prices_and_context_window.json</c> document: every entry with an
    /// <c>input_cost_per_token</c> (per-token USD) is added or replaces the current price. Entries without token
    /// prices (image, audio-only models, the <c>sample_spec</c> entry) are skipped and counted.
    /// </summary>
    /// <exception cref="FormatException">The document or an entry is malformed; the message names the entry and field.</exception>
    public PriceLoadResult LoadLiteLlm(Stream json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The LiteLLM price file is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine}): {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new FormatException("The LiteLLM price file must be a JSON object keyed by model id.");

            var loaded = 0;
            var skipped = 0;
            foreach (var entry in document.RootElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Object || !entry.Value.TryGetProperty("input_cost_per_token", out _))
                {
                    skipped++;
                    continue;
                }
                var e = entry.Value;
                var price = new ModelPrice
                {
                    InputPerMillion = PerMillion(entry.Name, e, "input_cost_per_token") ?? 0m,
                    OutputPerMillion = PerMillion(entry.Name, e, "output_cost_per_token") ?? 0m,
                    CachedInputPerMillion = PerMillion(entry.Name, e, "cache_read_input_token_cost"),
                    CacheWritePerMillion = PerMillion(entry.Name, e, "cache_creation_input_token_cost"),
                    ReasoningPerMillion = PerMillion(entry.Name, e, "output_cost_per_reasoning_token"),
                    Provider = e.TryGetProperty("litellm_provider", out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null,
                    Mode = e.TryGetProperty("mode", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() == "embedding" ? "embedding" : "chat",
                };
                foreach (var threshold in new[] { 128, 200, 256, 272 })
                {
                    var longInput = PerMillion(entry.Name, e, $"input_cost_per_token_above_{threshold}k_tokens");
                    if (longInput is null) continue;
                    price = price with
                    {
                        LongContextThreshold = threshold * 1000L,
                        LongContextInputPerMillion = longInput,
                        LongContextOutputPerMillion = PerMillion(entry.Name, e, $"output_cost_per_token_above_{threshold}k_tokens"),
                        LongContextCachedInputPerMillion = PerMillion(entry.Name, e, $"cache_read_input_token_cost_above_{threshold}k_tokens"),
                    };
                    break;
                }
                Set(entry.Name, price);
                loaded++;
            }
            return new PriceLoadResult(loaded, skipped);
        }
    }

    /// <summary>Loads a LiteLLM price file from <paramref name="path"/>.</summary>
    public PriceLoadResult LoadLiteLlmFile(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return LoadLiteLlm(stream);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    private void LoadEmbeddedTable(Stream stream)
    {
        using var document = JsonDocument.Parse(stream);
        var root = document.RootElement;
        AsOf = root.GetProperty("asOf").GetString() ?? string.Empty;
        foreach (var entry in root.GetProperty("models").EnumerateObject())
        {
            var e = entry.Value;
            _prices[entry.Name] = new ModelPrice
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
                Provider = e.TryGetProperty("provider", out var p) ? p.GetString() : null,
                Mode = e.TryGetProperty("mode", out var m) ? m.GetString() ?? "chat" : "chat",
            };
        }
        foreach (var alias in root.GetProperty("aliases").EnumerateObject()) _aliases[alias.Name] = alias.Value.GetString()!;

        static decimal? Optional(JsonElement e, string name) => e.TryGetProperty(name, out var v) ? v.GetDecimal() : null;
    }

    private static decimal? PerMillion(string model, JsonElement entry, string field)
    {
        if (!entry.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var perToken) || double.IsNaN(perToken) || perToken < 0)
            throw new FormatException($"entry '{model}': '{field}' must be a non-negative number, but is {value.GetRawText()}");
        // Per-token prices are tiny binary doubles (2.5e-06); round to 6 decimals per 1M tokens to drop float noise.
        return Math.Round((decimal)perToken * 1_000_000m, 6);
    }

    private static void Validate(string model, ModelPrice price)
    {
        if (price.InputPerMillion < 0 || price.OutputPerMillion < 0 || price.CachedInputPerMillion < 0 || price.CacheWritePerMillion < 0 || price.ReasoningPerMillion < 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The price of '{model}' has a negative amount."), nameof(price));
    }
}

/// <summary>What <see cref="PriceCatalog.LoadLiteLlm"/> did.</summary>
/// <param name="Loaded">Entries added or replaced.</param>
/// <param name="Skipped">Entries without token prices.</param>
public readonly record struct PriceLoadResult(int Loaded, int Skipped);
