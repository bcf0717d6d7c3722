using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// The token counts of one call, as a provider reports them or as GuardedAI counted them. A provider's counts are
/// kept as it sent them (even negative or absurd): the engine distrusts them when it settles the call
/// (<c>ReportedUsageSanitizer</c>) and records both what was said and what was counted.
/// </summary>
/// <param name="InputTokens">All prompt tokens, cached and cache-written ones included.</param>
/// <param name="OutputTokens">All completion tokens, reasoning ones included.</param>
/// <param name="CachedInputTokens">Prompt tokens read from the provider's cache.</param>
/// <param name="CacheWriteInputTokens">Prompt tokens written to the provider's cache.</param>
/// <param name="ReasoningTokens">Completion tokens spent on reasoning.</param>
public readonly record struct TokenUsage(long InputTokens, long OutputTokens, long CachedInputTokens = 0, long CacheWriteInputTokens = 0, long ReasoningTokens = 0)
{
    /// <summary>Input plus output (at most <see cref="long.MaxValue"/>).</summary>
    public long TotalTokens => Saturating.Add(InputTokens, OutputTokens);

    /// <summary>The total the provider reported, when it reported one; settling checks it against input + output.</summary>
    public long? ReportedTotalTokens { get; init; }

    /// <summary>Output tokens GuardedAI itself counted in the response (a lower bound): settling never counts fewer,
    /// whatever the provider reports.</summary>
    public long CountedOutputTokens { get; init; }

    /// <summary>Reads the counts from Microsoft.Extensions.AI's <see cref="UsageDetails"/>, as the provider sent them.
    /// Cache writes come from <see cref="UsageDetails.AdditionalCounts"/> (Anthropic's <c>cache_creation_input_tokens</c>).
    /// A side the provider left out is derived from the total.</summary>
    public static TokenUsage From(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        long cacheWrite = 0;
        if (usage.AdditionalCounts is { } extra)
        {
            foreach (var (key, value) in extra)
            {
                if (key.Contains("cache_creation", StringComparison.OrdinalIgnoreCase) || key.Contains("CacheCreation", StringComparison.OrdinalIgnoreCase) ||
                    key.Contains("cache_write", StringComparison.OrdinalIgnoreCase) || key.Contains("CacheWrite", StringComparison.OrdinalIgnoreCase))
                {
                    cacheWrite = Saturating.Add(cacheWrite, value);
                }
            }
        }
        var input = usage.InputTokenCount ?? Math.Max(0, Saturating.Subtract(usage.TotalTokenCount ?? 0, usage.OutputTokenCount ?? 0));
        var output = usage.OutputTokenCount ?? Math.Max(0, Saturating.Subtract(usage.TotalTokenCount ?? 0, input));
        return new TokenUsage(input, output, usage.CachedInputTokenCount ?? 0, cacheWrite, usage.ReasoningTokenCount ?? 0)
        {
            ReportedTotalTokens = usage.TotalTokenCount,
        };
    }
}

/// <summary>Long arithmetic that stops at the ends of the range instead of wrapping: a provider's absurd numbers must not turn into small ones.</summary>
internal static class Saturating
{
    public static long Add(long a, long b)
    {
        var sum = unchecked(a + b);
        // Overflow iff both operands have the same sign and the sum's sign differs.
        return ((a ^ sum) & (b ^ sum)) < 0 ? (a < 0 ? long.MinValue : long.MaxValue) : sum;
    }

    public static long Subtract(long a, long b) => b == long.MinValue ? (a >= 0 ? long.MaxValue : a - b) : Add(a, -b);
}
