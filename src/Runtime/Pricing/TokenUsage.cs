using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>The token counts of one call, as a provider reports them or as GuardedAI counted them.</summary>
/// <param name="InputTokens">All prompt tokens, cached and cache-written ones included.</param>
/// <param name="OutputTokens">All completion tokens, reasoning ones included.</param>
/// <param name="CachedInputTokens">Prompt tokens read from the provider's cache.</param>
/// <param name="CacheWriteInputTokens">Prompt tokens written to the provider's cache.</param>
/// <param name="ReasoningTokens">Completion tokens spent on reasoning.</param>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, long CachedInputTokens = 0, long CacheWriteInputTokens = 0, long ReasoningTokens = 0)
{
    /// <summary>Input plus output.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>Reads the counts from Microsoft.Extensions.AI's <see cref="UsageDetails"/>. Cache writes come from
    /// <see cref="UsageDetails.AdditionalCounts"/> (Anthropic's <c>cache_creation_input_tokens</c>).</summary>
    public static TokenUsage From(UsageDetails usage)
    {
        long cacheWrite = 0;
        if (usage.AdditionalCounts is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                if (key.Contains("cache_creation", StringComparison.OrdinalIgnoreCase) || key.Contains("CacheCreation", StringComparison.OrdinalIgnoreCase) ||
                    key.Contains("cache_write", StringComparison.OrdinalIgnoreCase) || key.Contains("CacheWrite", StringComparison.OrdinalIgnoreCase))
                {
                    cacheWrite += value;
                }
            }
        }
        var input = usage.InputTokenCount ?? Math.Max(0, (usage.TotalTokenCount ?? 0) - (usage.OutputTokenCount ?? 0));
        var output = usage.OutputTokenCount ?? Math.Max(0, (usage.TotalTokenCount ?? 0) - input);
        return new TokenUsage(input, output, usage.CachedInputTokenCount ?? 0, cacheWrite, usage.ReasoningTokenCount ?? 0);
    }
}
