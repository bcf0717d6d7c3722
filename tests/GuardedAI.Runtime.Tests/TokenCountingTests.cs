using Microsoft.ML.Tokenizers;

namespace GuardedAI.Tests;

public class TokenCountingTests
{
    public static TheoryData<string, string> Texts => new()
    {
        { "gpt-4o", "Where is my order? It was supposed to arrive on Tuesday." },
        { "gpt-4o-mini", "日本語のテキストと émojis 😀 and code: `for (int i = 0; i < 10; i++) { }`" },
        { "gpt-4.1", "   leading spaces\n\nand\ttabs\r\nand a very long wooooooooooooooooooord" },
        { "o3-mini", "The quick brown fox's tail isn't 12345678 long, they'll say." },
        { "gpt-4", "Where is my order? It was supposed to arrive on Tuesday." },
        { "gpt-3.5-turbo", "日本語のテキストと émojis 😀 and code: `for (int i = 0; i < 10; i++) { }`" },
        { "text-embedding-3-small", "   leading spaces\n\nand\ttabs\r\nand a very long wooooooooooooooooooord" },
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void Counts_equal_Microsoft_ML_Tokenizers_own_counts(string model, string text)
    {
        var reference = TiktokenTokenizer.CreateForModel(model);
        var counter = new TokenCounterRegistry().ForModel(model);

        Assert.True(counter.IsExact);
        Assert.Equal(reference.CountTokens(text), counter.CountText(text));
    }

    [Fact]
    public void Chat_messages_add_the_documented_per_message_overhead()
    {
        var reference = TiktokenTokenizer.CreateForModel("gpt-4o");
        var messages = new[] { new ChatMessage(ChatRole.System, "You are terse."), new ChatMessage(ChatRole.User, "Hello there, how are you?") };
        var expected = 3 + messages.Sum(m => 3 + reference.CountTokens(m.Role.Value) + reference.CountTokens(m.Text));

        Assert.Equal(expected, new TokenCounterRegistry().ForModel("gpt-4o").CountMessages(messages));
    }

    [Fact]
    public void Special_token_strings_in_user_text_are_counted_as_ordinary_text()
    {
        var counter = new TokenCounterRegistry().ForModel("gpt-4o");
        // Microsoft.ML.Tokenizers' default tokenizer counts 4 here (one special token); billed as text it is 9.
        Assert.Equal(4, TiktokenTokenizer.CreateForModel("gpt-4o").CountTokens("Hello <|endoftext|> world"));
        Assert.Equal(9, counter.CountText("Hello <|endoftext|> world"));
    }

    [Fact]
    public void Families_without_an_offline_tokenizer_get_a_margin_over_cl100k()
    {
        var text = "Please summarise the attached quarterly report in three bullet points.";
        var cl100k = TiktokenTokenizer.CreateForModel("gpt-4").CountTokens(text);
        foreach (var model in new[] { "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-latest", "llama-3.1-70b", "some-unknown-model" })
        {
            var counter = new TokenCounterRegistry().ForModel(model);
            Assert.False(counter.IsExact);
            Assert.Equal((int)Math.Ceiling(cl100k * TokenCounterRegistry.ApproximationMargin), counter.CountText(text));
        }
    }

    [Fact]
    public void Counting_stops_just_past_the_cap_on_a_huge_prompt()
    {
        var counter = new TokenCounterRegistry().ForModel("gpt-4o");
        var huge = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 400_000)); // 10.8 M characters

        var count = counter.CountText(huge, maxTokens: 2_000);

        Assert.Equal(2_001, count);
    }

    [Fact]
    public async Task A_prompt_above_the_input_cap_is_denied_without_counting_it_all()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.ForTier("free", BudgetTier.Free).ForModel("gpt-4o-mini").Build();
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient(), engine, policy);
        var huge = string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 100_000));

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync(huge));

        Assert.Equal(DenialKind.RequestCap, denied.Kind);
        Assert.Equal(BudgetDimension.InputTokens, denied.Dimension);
        Assert.Null(denied.RetryAfter);
        Assert.Contains("more than 2,000 tokens", denied.Message);
    }

    [Fact]
    public async Task A_prompt_above_the_character_limit_is_rejected_before_tokenizing()
    {
        var (engine, _, _) = TestEngine.Create(o => o.MaxPromptCharacters = 1_000_000);
        var policy = BudgetPolicy.Create("no-caps").Build();
        var client = new BudgetChatClient(new Simulation.SimulatedChatClient(), engine, policy);

        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync(new string('x', 10 * 1024 * 1024)));

        Assert.Contains("10,485,760 characters", denied.Message);
        Assert.Equal(UsageStatus.Denied, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    [Fact]
    public void A_grown_history_costs_only_its_new_message_and_counts_stay_exact()
    {
        var counter = new TokenCounterRegistry().ForModel("gpt-4o");
        var history = Enumerable.Range(0, 50).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, $"Message number {i}: " + new string('a', 200) + i)).ToList();
        var first = counter.CountMessages(history);
        history.Add(new ChatMessage(ChatRole.User, "and one more question"));
        var second = counter.CountMessages(history);
        var reference = TiktokenTokenizer.CreateForModel("gpt-4o");

        Assert.Equal(first + 3 + reference.CountTokens("user") + reference.CountTokens("and one more question"), second);
    }
}
