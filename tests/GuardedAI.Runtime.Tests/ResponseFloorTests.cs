using Microsoft.Extensions.AI;

namespace GuardedAI.Tests;

/// <summary>The response text is the floor under a reported output; it is tokenized only when the floor could rise.</summary>
public class ResponseFloorTests
{
    private const string Answer = "Your order #4711 shipped yesterday from the Leipzig warehouse; the tracking number is in your e-mail.";

    private static readonly UsageEstimate Estimate = new("gpt-4o", 40, 2_000, 0m);

    private static async Task<ITokenCounter> LoadedAsync()
    {
        await TokenCounterRegistry.LoadAsync();
        return new TokenCounterRegistry().ForModel("gpt-4o");
    }

    [Fact]
    public async Task A_report_at_or_above_the_texts_upper_bound_is_taken_as_it_is_without_counting_the_text()
    {
        var counter = await LoadedAsync();
        var bound = ChatTokenCounter.UpperBound(Answer);

        var (usage, reported) = ResponseUsage.Read(new UsageDetails { InputTokenCount = 40, OutputTokenCount = bound }, Estimate, Answer, counter);

        Assert.True(reported);
        Assert.Equal((40L, bound, 0L), (usage.InputTokens, usage.OutputTokens, usage.CountedOutputTokens));
        // The floor it skipped could not have raised anything: the exact count is below the report.
        Assert.True(counter.CountText(Answer) <= bound);
    }

    [Fact]
    public async Task Just_below_the_bound_the_text_is_counted_and_an_under_report_is_still_caught()
    {
        var counter = await LoadedAsync();
        var exact = counter.CountText(Answer);
        var bound = ChatTokenCounter.UpperBound(Answer);

        var (near, _) = ResponseUsage.Read(new UsageDetails { InputTokenCount = 40, OutputTokenCount = bound - 1 }, Estimate, Answer, counter);
        var (under, _) = ResponseUsage.Read(new UsageDetails { InputTokenCount = 40, OutputTokenCount = 1 }, Estimate, Answer, counter);

        Assert.Equal(exact, near.CountedOutputTokens);
        Assert.Equal((1L, (long)exact), (under.OutputTokens, under.CountedOutputTokens));
        Assert.True(exact > 1);
    }
}
