namespace GuardedAI;

/// <summary>
/// A usage split into the five counts its rates apply to (<see cref="CostRates"/>): plain input, cached input, cache
/// writes, plain output, reasoning. Negative counts price as zero; cached and written input are kept within the input,
/// reasoning within the output, so no part is ever negative.
/// </summary>
internal readonly record struct CostParts(long PlainInput, long Cached, long CacheWrite, long PlainOutput, long Reasoning)
{
    public static CostParts Of(in TokenUsage usage)
    {
        var input = Math.Max(0, usage.InputTokens);
        var output = Math.Max(0, usage.OutputTokens);
        var cached = Math.Clamp(usage.CachedInputTokens, 0, input);
        var write = Math.Clamp(usage.CacheWriteInputTokens, 0, input - cached);
        var reasoning = Math.Clamp(usage.ReasoningTokens, 0, output);
        return new CostParts(input - cached - write, cached, write, output - reasoning, reasoning);
    }
}
