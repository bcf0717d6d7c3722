using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// What a chat call settles with: the provider's report as it came (the engine distrusts it, see
/// <c>ReportedUsageSanitizer</c>), sides it left out filled from what GuardedAI knows, and GuardedAI's own count of
/// the response text as the floor under the output (for models without an exact tokenizer, half its raw count); without
/// a report, GuardedAI's counts.
/// </summary>
internal static class ResponseUsage
{
    public static CallUsage Read(UsageDetails? reported, UsageEstimate estimate, string responseText, ITokenCounter counter)
    {
        // A reported output at or above the most tokens the text can be (its UTF-8 bytes, see ChatTokenCounter.UpperBound)
        // cannot be raised by the floor, so the text is not tokenized: a reasoning model's hidden tokens make that the
        // common case for long answers, where counting 4 KB costs ~70 µs. Only for GuardedAI's own counters, whose counts
        // are known never to pass that bound.
        var floorCannotRise = reported?.OutputTokenCount is { } reportedOutput && counter is ChatTokenCounter
            && reportedOutput >= ChatTokenCounter.UpperBound(responseText);
        long counted = floorCannotRise ? 0 : counter.CountText(responseText);
        if (reported is not null && (reported.InputTokenCount is not null || reported.OutputTokenCount is not null || reported.TotalTokenCount is not null))
        {
            var usage = TokenUsage.From(reported);
            // A provider that reports only one side: fill the other from what we know.
            if (reported.InputTokenCount is null && reported.TotalTokenCount is null) usage = usage with { InputTokens = estimate.InputTokens };
            if (reported.OutputTokenCount is null && reported.TotalTokenCount is null) usage = usage with { OutputTokens = counted };
            // An exact counter's count of the response text is a floor: the provider billed at least those tokens. An
            // approximate one (another family's tokenizer, plus a margin) only proves a blatant under-report: half its raw count.
            // While the vocabulary is still loading, a count is an upper bound (ChatTokenCounter.UpperBound) and proves
            // nothing about what the provider billed: no floor then, or a fast start would over-charge the first calls.
            var floor = counter is ChatTokenCounter { IsLoaded: false } ? 0
                : counter.IsExact ? counted : (long)Math.Floor(counted / (2 * TokenCounterRegistry.ApproximationMargin));
            return new(usage with { CountedOutputTokens = floor }, true);
        }
        return new(new TokenUsage(estimate.InputTokens, counted), false);
    }
}
