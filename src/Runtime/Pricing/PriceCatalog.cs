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
    // Values boxed in a class: a dictionary of reference types runs the framework's shared, ahead-of-time compiled code,
    // where one holding the PriceLookup struct is compiled just in time on a process's first call.
    private readonly ConcurrentDictionary<string, Resolved> _resolved = new(StringComparer.OrdinalIgnoreCase);
    // Bumped by every change of a price, an alias or the default. An entry resolved under an older version is never
    // used: a lookup that raced a change and stored its answer after the change's Clear() would otherwise be kept.
    private int _version;
    // The last entry looked up, found again without hashing when a call passes the same model string (a guard's model
    // is one instance for all its calls): two lookups a call, the id hashed case-insensitively each time, were ~3 % of
    // a guarded call.
    private Resolved? _last;
    // Each model mapped to itself, for the same reason.
    private readonly ConcurrentDictionary<string, string> _warned = new(StringComparer.OrdinalIgnoreCase);
    private ILogger _logger = NullLogger.Instance;

    /// <summary>Creates an empty catalogue (no embedded prices).</summary>
    public PriceCatalog() { }

    /// <summary>A new catalogue holding the embedded price table.</summary>
    public static PriceCatalog CreateDefault()
    {
        // The table is compiled in (EmbeddedPriceTable.g.cs, written from prices.json): parsing the JSON took about 15 ms of
        // a process's first guarded call; filling the dictionaries from code takes well under one.
        var catalog = new PriceCatalog { AsOf = EmbeddedPriceTable.AsOf };
        EmbeddedPriceTable.Fill(catalog._prices, catalog._aliases);
        catalog.IsEmbeddedTable = true;
        return catalog;
    }

    /// <summary>
    /// <see cref="PriceTableVersion.Of"/> of the embedded table as shipped: every engine built with the default catalogue
    /// records it, and hashing the table takes ~10 ms of a process's first guarded call (the first SHA-256 loads the
    /// platform's cryptography library). <c>PriceTableVersionTests</c> computes it from the table and fails, naming the
    /// new value, when <c>prices.json</c> (and so <c>EmbeddedPriceTable.g.cs</c>) changes without it.
    /// </summary>
    internal const string EmbeddedTableVersion = "2026-07-24#3327455c";

    /// <summary>True while this is the embedded table as <see cref="CreateDefault"/> loaded it (no price, alias or default changed since).</summary>
    internal bool IsEmbeddedTable { get; private set; }

    /// <summary>The date of the embedded prices (empty for a catalogue built by hand).</summary>
    public string AsOf { get; private set; } = string.Empty;

    /// <summary>The price used for a model the catalogue does not know. Default: $10 input, $30 output per 1M
    /// tokens — deliberately above most current models, so an unknown model makes budgets stricter, not looser.</summary>
    /// <exception cref="ArgumentException">A price is negative (a negative default would make unknown models pay the budget back).</exception>
    public ModelPrice DefaultPrice
    {
        get => _defaultPrice;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Validate("(unknown models)", value);
            _defaultPrice = value;
            IsEmbeddedTable = false;
            Changed();
        }
    }

    private ModelPrice _defaultPrice = new() { InputPerMillion = 10m, OutputPerMillion = 30m };

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
        IsEmbeddedTable = false;
        Changed();
    }

    /// <summary>Makes <paramref name="alias"/> resolve to <paramref name="model"/>.</summary>
    public void AddAlias(string alias, string model)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        _aliases[alias.Trim()] = model.Trim();
        IsEmbeddedTable = false;
        Changed();
    }

    /// <summary>Finds the price of <paramref name="model"/>; see the class remarks for the resolution order.</summary>
    public PriceLookup Resolve(string? model) => ResolveEntry(model).Lookup;

    /// <summary><see cref="Resolve"/>'s answer with the price made ready for pricing (<see cref="CompiledPrice"/>), kept
    /// until the catalogue changes.</summary>
    internal Resolved ResolveEntry(string? model)
    {
        var version = Volatile.Read(ref _version);
        if (Volatile.Read(ref _last) is { } last && last.Version == version && ReferenceEquals(last.Lookup.RequestedModel, model)) return last;
        var requested = string.IsNullOrWhiteSpace(model) ? "(unspecified)" : model.Trim();
        if (_resolved.TryGetValue(requested, out var cached) && cached.Version == version)
        {
            // Kept only when it would answer this very string next time: callers that pass a new string on every call
            // (an id read from each request) never write to the field all callers read.
            if (ReferenceEquals(cached.Lookup.RequestedModel, model)) Volatile.Write(ref _last, cached);
            return cached;
        }

        // The id as given is the first candidate: tried before the others are computed, which a call with an exact id
        // need not pay for.
        var found = TryEntry(requested, out var result);
        if (!found)
        {
            foreach (var candidate in ModelIds.Candidates(requested))
            {
                if (TryEntry(candidate, out result))
                {
                    found = true;
                    break;
                }
            }
        }

        if (!found)
        {
            result = new PriceLookup(requested, null, DefaultPrice);
            if (_warned.TryAdd(requested, requested))
            {
                _logger.LogWarning("GuardedAI has no price for model '{Model}'; using the default price of ${Input}/${Output} per 1M input/output tokens. Set a price in configuration (GuardedAI:Prices) to silence this.",
                    requested, DefaultPrice.InputPerMillion, DefaultPrice.OutputPerMillion);
                UnknownModel?.Invoke(requested);
            }
        }
        var resolved = new Resolved(result, version);
        _resolved[requested] = resolved;
        Volatile.Write(ref _last, resolved);
        return resolved;

        bool TryEntry(string candidate, out PriceLookup lookup)
        {
            var id = _aliases.TryGetValue(candidate, out var target) ? target : candidate;
            var known = _prices.TryGetValue(id, out var price);
            lookup = known ? new PriceLookup(requested, id, price!) : default;
            return known;
        }
    }

    /// <summary>The price <see cref="Resolve"/> gives the catalogue entry <paramref name="model"/> (one of <see cref="Models"/>),
    /// without caching the lookup: the table's version reads every entry, a process's calls only the models they use.</summary>
    internal ModelPrice EntryPrice(string model)
    {
        if (!string.IsNullOrWhiteSpace(model) && model.Trim().Length == model.Length)
        {
            var id = _aliases.TryGetValue(model, out var target) ? target : model;
            if (_prices.TryGetValue(id, out var price)) return price;
        }
        return Resolve(model).Price;
    }

    /// <summary>Forgets every resolved entry after a change; one resolved before it and stored after is never used
    /// (its version is older).</summary>
    private void Changed()
    {
        Interlocked.Increment(ref _version);
        Volatile.Write(ref _last, null);
        _resolved.Clear();
    }

    internal sealed class Resolved(PriceLookup lookup, int version)
    {
        public PriceLookup Lookup { get; } = lookup;

        /// <summary>The catalogue's version it was resolved under.</summary>
        public int Version { get; } = version;

        public CompiledPrice Compiled { get; } = new(lookup.Price);
    }

    /// <summary>The cost in USD of <paramref name="usage"/> on <paramref name="model"/>. Cached input is priced as
    /// cached, cache writes as cache writes, reasoning as reasoning (or output); above a long-context threshold
    /// the long-context prices apply.</summary>
    public decimal ComputeCost(string? model, TokenUsage usage) => ComputeCost(Resolve(model).Price, usage);

    /// <summary>The cost in USD of <paramref name="usage"/> at <paramref name="price"/>. Above the long-context
    /// threshold every rate that has a long-context variant uses it (input, cached input, cache write, output); a
    /// cached or cache-written token without a price of its own is priced as input.</summary>
    public static decimal ComputeCost(ModelPrice price, TokenUsage usage)
    {
        var r = CostRates.For(price, longContext: price.LongContextThreshold is { } threshold && usage.InputTokens > threshold);
        var p = CostParts.Of(usage);
        return ExactDecimal.TryCostPerMillion(p.PlainInput, r.Input, p.Cached, r.Cached, p.CacheWrite, r.CacheWrite, p.PlainOutput, r.Output, p.Reasoning, r.Reasoning, out var cost)
            ? cost
            : CostInDecimal(p.PlainInput, r.Input, p.Cached, r.Cached, p.CacheWrite, r.CacheWrite, p.PlainOutput, r.Output, p.Reasoning, r.Reasoning);
    }

    /// <summary>The cost in decimal arithmetic: the definition <see cref="ExactDecimal.TryCostPerMillion"/> reproduces in integers.</summary>
    internal static decimal CostInDecimal(long plainInput, decimal input, long cachedTokens, decimal cached, long writeTokens, decimal cacheWrite,
        long plainOutput, decimal output, long reasoningTokens, decimal reasoning)
    {
        var total = plainInput * input + cachedTokens * cached + writeTokens * cacheWrite + plainOutput * output + reasoningTokens * reasoning;
        return total / 1_000_000m;
    }

    /// <summary>
    /// Loads prices from a LiteLLM <c>model_prices_and_context_window.json</c> document: every entry with an
    /// <c>input_cost_per_token</c> (per-token USD) is added under its exact key (provider prefix included) or
    /// replaces the current price. Entries without token prices (image, audio-only models, the <c>sample_spec</c>
    /// entry) are skipped and counted. Numbers are read as the exact decimals the file spells.
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
                foreach (var threshold in LongContextThresholds)
                {
                    var longInput = PerMillion(entry.Name, e, $"input_cost_per_token_above_{threshold}k_tokens");
                    if (longInput is null) continue;
                    price = price with
                    {
                        LongContextThreshold = threshold * 1000L,
                        LongContextInputPerMillion = longInput,
                        LongContextOutputPerMillion = PerMillion(entry.Name, e, $"output_cost_per_token_above_{threshold}k_tokens"),
                        LongContextCachedInputPerMillion = PerMillion(entry.Name, e, $"cache_read_input_token_cost_above_{threshold}k_tokens"),
                        LongContextCacheWritePerMillion = PerMillion(entry.Name, e, $"cache_creation_input_token_cost_above_{threshold}k_tokens"),
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

    /// <summary>The long-context thresholds LiteLLM spells as <c>…_above_{N}k_tokens</c>, lowest first.</summary>
    private static readonly int[] LongContextThresholds = [128, 200, 256, 272, 512];

    private static decimal? PerMillion(string model, JsonElement entry, string field)
    {
        if (!entry.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        // The literal as an exact decimal: 3.75e-06 is 3.75 per 1M, not the nearest binary double.
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var perToken) || perToken < 0 || perToken > MaxPerToken)
            throw new FormatException($"entry '{model}': '{field}' must be a non-negative number of US dollars per token (at most {MaxPerToken}), but is {value.GetRawText()}");
        return perToken * 1_000_000m;
    }

    /// <summary>$1,000 per token ($1 billion per 1M) — far above any real price, low enough that no cost overflows.</summary>
    private const decimal MaxPerToken = 1_000m;

    private static void Validate(string model, ModelPrice price)
    {
        Check(price.InputPerMillion, nameof(ModelPrice.InputPerMillion));
        Check(price.OutputPerMillion, nameof(ModelPrice.OutputPerMillion));
        Check(price.CachedInputPerMillion, nameof(ModelPrice.CachedInputPerMillion));
        Check(price.CacheWritePerMillion, nameof(ModelPrice.CacheWritePerMillion));
        Check(price.ReasoningPerMillion, nameof(ModelPrice.ReasoningPerMillion));
        Check(price.LongContextInputPerMillion, nameof(ModelPrice.LongContextInputPerMillion));
        Check(price.LongContextOutputPerMillion, nameof(ModelPrice.LongContextOutputPerMillion));
        Check(price.LongContextCachedInputPerMillion, nameof(ModelPrice.LongContextCachedInputPerMillion));
        Check(price.LongContextCacheWritePerMillion, nameof(ModelPrice.LongContextCacheWritePerMillion));
        if (price.LongContextThreshold is <= 0)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The price of '{model}': {nameof(ModelPrice.LongContextThreshold)} must be positive, but is {price.LongContextThreshold}."), nameof(price));

        void Check(decimal? amount, string field)
        {
            if (amount is < 0 or > MaxPerToken * 1_000_000m)
                throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The price of '{model}': {field} must be between 0 and {MaxPerToken * 1_000_000m:0} US dollars per 1M tokens, but is {amount}."), nameof(price));
        }
    }
}

/// <summary>What <see cref="PriceCatalog.LoadLiteLlm"/> did.</summary>
/// <param name="Loaded">Entries added or replaced.</param>
/// <param name="Skipped">Entries without token prices.</param>
public readonly record struct PriceLoadResult(int Loaded, int Skipped);
