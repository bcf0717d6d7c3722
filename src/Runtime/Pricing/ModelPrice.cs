namespace GuardedAI;

/// <summary>The price of a model in US dollars per one million tokens.</summary>
public sealed record ModelPrice
{
    /// <summary>Uncached input.</summary>
    public required decimal InputPerMillion { get; init; }

    /// <summary>Output (completion).</summary>
    public required decimal OutputPerMillion { get; init; }

    /// <summary>Input read from the provider's prompt cache; null means the input price.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Input written to the provider's prompt cache; null means the input price.</summary>
    public decimal? CacheWritePerMillion { get; init; }

    /// <summary>Reasoning tokens; null means the output price (OpenAI bills reasoning as output).</summary>
    public decimal? ReasoningPerMillion { get; init; }

    /// <summary>Prompt size (input tokens) above which the long-context prices apply to the whole request.</summary>
    public long? LongContextThreshold { get; init; }

    /// <summary>Input price above <see cref="LongContextThreshold"/>.</summary>
    public decimal? LongContextInputPerMillion { get; init; }

    /// <summary>Output price above <see cref="LongContextThreshold"/>.</summary>
    public decimal? LongContextOutputPerMillion { get; init; }

    /// <summary>Cached-input price above <see cref="LongContextThreshold"/>.</summary>
    public decimal? LongContextCachedInputPerMillion { get; init; }

    /// <summary>Cache-write price above <see cref="LongContextThreshold"/>.</summary>
    public decimal? LongContextCacheWritePerMillion { get; init; }

    /// <summary>The provider, e.g. <c>openai</c>, <c>anthropic</c>, <c>google</c>, <c>mistral</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>Whether the prices apply to a chat or an embedding model.</summary>
    public string Mode { get; init; } = "chat";
}
