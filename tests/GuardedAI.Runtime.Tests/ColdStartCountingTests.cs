using CsCheck;

namespace GuardedAI.Tests;

/// <summary>
/// Until a vocabulary is loaded, counts are an upper bound: never below the exact count, for any text. The counters here
/// are built over a vocabulary that never finishes loading, so the bound is what they return.
/// </summary>
public class ColdStartCountingTests
{
    private static ChatTokenCounter Loading(bool exact = true) =>
        new(new TaskCompletionSource<BoundedBpeCounter>().Task, TokenizerEncodings.O200kBase, exact, exact ? 1.0 : TokenCounterRegistry.ApproximationMargin);

    [Theory]
    [InlineData(TokenizerEncodings.O200kBase)]
    [InlineData(TokenizerEncodings.Cl100kBase)]
    public void The_bound_is_never_below_the_exact_count_of_any_text(string encoding)
    {
        var exact = TokenizerEncodings.Get(encoding);
        var text = Gen.OneOf(Gen.String, Gen.String[Gen.Char.AlphaNumeric, 0, 2000], Gen.String[Gen.Char['\u4e00', '\u4fff'], 0, 600],
            Gen.Char.Array[0, 3000].Select(c => new string(c)), Gen.String[Gen.Char[' ', '~'], 0, 5000]);
        text.Sample(t =>
        {
            var bound = ChatTokenCounter.UpperBound(t);
            var count = exact.Count(t);
            Assert.True(bound >= count, $"bound {bound} < exact {count} for a text of {t.Length} characters");
        }, iter: 400);
    }

    [Fact]
    public void Long_runs_that_the_counter_cuts_stay_under_the_bound()
    {
        var exact = TokenizerEncodings.Get(TokenizerEncodings.O200kBase);
        foreach (var text in new[] { new string('a', 100_000), string.Concat(Enumerable.Repeat("x9", 40_000)), new string('é', 30_000), new string(' ', 50_000), string.Concat(Enumerable.Repeat("😀", 20_000)) })
        {
            Assert.True(ChatTokenCounter.UpperBound(text) >= exact.Count(text), $"a run of {text.Length} characters");
        }
    }

    [Fact]
    public void While_loading_the_response_text_puts_no_floor_under_the_providers_output()
    {
        // The bound over-counts: as a floor it would bill the first calls of a process for tokens nobody produced.
        const string answer = "Your order ships tomorrow from our Zürich warehouse.";
        var reported = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 11 };
        var estimate = new UsageEstimate("gpt-4o", 20, 100, 0m);

        var (whileLoading, _) = ResponseUsage.Read(reported, estimate, answer, Loading());
        var (loaded, _) = ResponseUsage.Read(reported, estimate, answer, new TokenCounterRegistry().ForModel("gpt-4o"));

        Assert.True(ChatTokenCounter.UpperBound(answer) > 11);
        Assert.Equal((11L, 0L), (whileLoading.OutputTokens, whileLoading.CountedOutputTokens));
        Assert.Equal(TokenizerEncodings.Get(TokenizerEncodings.O200kBase).Count(answer), loaded.CountedOutputTokens);
    }

    [Fact]
    public void While_loading_a_count_is_the_bound_and_is_not_cached()
    {
        var text = "Where is my order #4711? It was due on Monday, and the tracking page says nothing.";
        var loading = Loading();
        Assert.False(loading.IsLoaded);
        Assert.Equal(ChatTokenCounter.UpperBound(text), loading.CountText(text));

        var loaded = new TokenCounterRegistry().ForModel("gpt-4o");
        Assert.True(loading.CountText(text) >= loaded.CountText(text));
        Assert.Equal(TokenizerEncodings.Get(TokenizerEncodings.O200kBase).Count(text), loaded.CountText(text));
    }

    [Fact]
    public void A_chat_prompt_counted_while_loading_is_not_below_its_exact_count()
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, "You are a terse assistant. Answer in one sentence."),
            new(ChatRole.User, "Summarise: 注文の配送状況を確認してください。 The parcel left Zürich on 2026-11-28.") { AuthorName = "ana" },
            new(ChatRole.Assistant, "It shipped from Zürich on 28 November."),
        ];
        var exact = new TokenCounterRegistry().ForModel("gpt-4o").CountMessages(messages);
        Assert.True(Loading().CountMessages(messages) >= exact);
        var approximate = new TokenCounterRegistry().ForModel("claude-sonnet-4").CountMessages(messages);
        Assert.True(Loading(exact: false).CountMessages(messages) >= approximate);
    }

    [Fact]
    public async Task A_vocabulary_that_fails_to_load_fails_the_count()
    {
        var failing = new ChatTokenCounter(Task.FromException<BoundedBpeCounter>(new InvalidOperationException("vocabulary missing")), TokenizerEncodings.O200kBase, true, 1.0);
        Assert.Equal("vocabulary missing", Assert.Throws<InvalidOperationException>(() => failing.CountText("hello")).Message);
        await TokenCounterRegistry.LoadAsync();
    }
}
