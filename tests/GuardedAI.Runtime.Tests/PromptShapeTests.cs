using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace GuardedAI.Tests;

/// <summary>Every content kind is counted, counting is linear in what it reads, and huge prompts of any shape are rejected.</summary>
public class PromptShapeTests
{
    private const int FiftyMegabytes = 50 * 1024 * 1024;

    public static TheoryData<string> Shapes => new()
    {
        "text with spaces", "letters without spaces", "CJK without punctuation", "digits", "whitespace", "emoji",
        "function result string", "function result JSON", "function result object", "function call arguments",
        "text document data", "audio data", "unknown content", "tool description", "instructions", "many small messages",
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_50_MB_prompt_of_any_shape_is_rejected_by_the_character_limit(string shape)
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("capped").ForModel("gpt-4o-mini").WithMaxInputTokens(1_000).Build();
        var (messages, options) = Prompt(shape, FiftyMegabytes);

        var denied = Assert.Throws<BudgetExceededException>(() => engine.Estimate(policy, messages, options));

        Assert.Equal(DenialKind.RequestCap, denied.Kind);
        Assert.Contains("characters", denied.Message);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void A_50_MB_prompt_of_any_shape_is_rejected_by_the_token_cap_when_characters_are_not_limited(string shape)
    {
        var (engine, _, _) = TestEngine.Create(o => o.MaxPromptCharacters = int.MaxValue);
        var policy = BudgetPolicy.Create("capped").ForModel("gpt-4o-mini").WithMaxInputTokens(1_000).Build();
        var (messages, options) = Prompt(shape, FiftyMegabytes);

        var estimate = engine.Estimate(policy, messages, options);

        Assert.True(estimate.InputTokens > 1_000, $"{shape}: {estimate.InputTokens} tokens");
        var denied = Assert.Throws<BudgetExceededException>(() => engine.ReserveAsync(policy, estimate).AsTask().GetAwaiter().GetResult());
        Assert.Contains("above the per-request cap of 1,000 input tokens", denied.Message);
    }

    [Fact]
    public async Task A_1_MB_run_of_letters_without_spaces_is_rejected_against_a_1000_token_cap()
    {
        // Byte-pair encoding of one 1 MB "word" took over 60 s; now no piece longer than 256 characters is encoded.
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("capped").ForModel("gpt-4o-mini").WithMaxInputTokens(1_000).Build();
        var letters = Letters(1024 * 1024, seed: 1);

        var estimate = await Task.Run(() => engine.Estimate(policy, [new ChatMessage(ChatRole.User, letters)], null)).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(estimate.InputTokens > 1_000);
    }

    [Fact]
    public void A_long_piece_is_encoded_in_bounded_chunks_and_counting_stops_past_the_cap()
    {
        var counter = TokenizerEncodings.Get(TokenizerEncodings.O200kBase);
        var letters = Letters(1024 * 1024, seed: 2);

        var capped = counter.Count(letters, 1_000, out var cappedWork);
        var full = counter.Count(letters, long.MaxValue, out var fullWork);

        Assert.True(capped > 1_000);
        Assert.True(cappedWork.CharactersRead < 10_000, $"read {cappedWork.CharactersRead} characters to pass a 1,000-token cap");
        Assert.Equal(letters.Length, fullWork.CharactersRead);
        Assert.True(fullWork.LongestPiece <= BoundedBpeCounter.MaxPieceLength);
        Assert.True(fullWork.Cuts >= (letters.Length - 1) / BoundedBpeCounter.MaxPieceLength, $"{fullWork.Cuts} cuts");
        Assert.True(full >= capped);
    }

    [Fact]
    public void A_chunked_piece_never_counts_less_than_the_whole_piece()
    {
        var reference = TiktokenTokenizer.CreateForModel("gpt-4o");
        var counter = new TokenCounterRegistry().ForModel("gpt-4o");
        foreach (var seed in Enumerable.Range(0, 20))
        {
            var letters = Letters(3_000, seed);
            Assert.True(counter.CountText(letters) >= reference.CountTokens(letters), $"seed {seed}");
        }
    }

    [Fact]
    public void Every_content_kind_counts_toward_the_character_limit()
    {
        var (engine, _, _) = TestEngine.Create(o => o.MaxPromptCharacters = 1_000_000);
        var policy = BudgetPolicy.Create("no-caps").ForModel("gpt-4o-mini").Build();
        var big = new string('x', 600_000);
        var message = new ChatMessage(ChatRole.Tool, [
            new FunctionResultContent("call-1", big),
            new FunctionCallContent("call-2", "lookup", new Dictionary<string, object?> { ["query"] = big }),
        ]);

        var denied = Assert.Throws<BudgetExceededException>(() => engine.Estimate(policy, [message], null));

        Assert.Contains("characters", denied.Message);
    }

    [Fact]
    public void Binary_data_unknown_content_and_instructions_are_not_free()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("no-caps").ForModel("gpt-4o-mini").Build();
        var empty = engine.Estimate(policy, [new ChatMessage(ChatRole.User, "hi")], null).InputTokens;

        var audio = engine.Estimate(policy, [new ChatMessage(ChatRole.User, [new TextContent("hi"), new DataContent(new byte[300_000], "audio/wav")])], null).InputTokens;
        var unknown = engine.Estimate(policy, [new ChatMessage(ChatRole.User, [new TextContent("hi"), new CustomContent(string.Concat(Enumerable.Repeat("lorem ipsum ", 1_000)))])], null).InputTokens;
        var instructed = engine.Estimate(policy, [new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Instructions = string.Concat(Enumerable.Repeat("Answer briefly. ", 100)) }).InputTokens;
        var document = engine.Estimate(policy, [new ChatMessage(ChatRole.User, [new TextContent("hi"), new DataContent(Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("lorem ipsum ", 1_000))), "text/plain")])], null).InputTokens;

        Assert.True(audio - empty >= 100_000, $"audio: {audio - empty}");
        Assert.True(unknown - empty >= 2_000, $"unknown: {unknown - empty}");
        Assert.True(instructed - empty >= 300, $"instructions: {instructed - empty}");
        Assert.True(document - empty >= 2_000, $"document: {document - empty}");
    }

    [Fact]
    public void A_function_result_counts_as_its_JSON()
    {
        var counter = new TokenCounterRegistry().ForModel("gpt-4o");
        var reference = TiktokenTokenizer.CreateForModel("gpt-4o");
        var result = new Dictionary<string, object?> { ["status"] = "shipped", ["items"] = new[] { 1, 2, 3 } };
        var json = JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions);

        var count = counter.CountMessages([new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", result)])]);

        Assert.Equal(3 + 3 + reference.CountTokens("tool") + reference.CountTokens(json), count);
    }

    private static readonly Lazy<string> s_fiftyMegabytesOfLetters = new(() => MakeLetters(FiftyMegabytes, 3));

    /// <summary>Random lowercase letters: one "word" as long as the text (the 50 MB one is made once and shared).</summary>
    internal static string Letters(int length, int seed) => length == FiftyMegabytes ? s_fiftyMegabytesOfLetters.Value : MakeLetters(length, seed);

    private static string MakeLetters(int length, int seed)
    {
        var random = new Random(seed);
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = (char)('a' + random.Next(26));
        return new string(chars);
    }

    internal static (List<ChatMessage> Messages, ChatOptions? Options) Prompt(string shape, int size)
    {
        ChatMessage User(AIContent content) => new(ChatRole.User, [content]);
        switch (shape)
        {
            case "text with spaces": return ([new ChatMessage(ChatRole.User, Repeat("lorem ipsum dolor sit amet ", size))], null);
            case "letters without spaces": return ([new ChatMessage(ChatRole.User, Letters(size, 3))], null);
            case "CJK without punctuation": return ([new ChatMessage(ChatRole.User, Repeat("的一是不了人我在有他这为之大来以个中上们", size))], null);
            case "digits": return ([new ChatMessage(ChatRole.User, Repeat("3141592653589793", size))], null);
            case "whitespace": return ([new ChatMessage(ChatRole.User, "a" + new string(' ', size) + "b")], null);
            case "emoji": return ([new ChatMessage(ChatRole.User, Repeat("😀🎉👍🙂", size))], null);
            case "function result string": return ([new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", Letters(size, 4))])], null);
            case "function result JSON":
                var json = JsonSerializer.SerializeToElement(new { data = Repeat("lorem ipsum ", size) });
                return ([new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", json)])], null);
            case "function result object":
                var rows = Enumerable.Range(0, 1_000).Select(i => new Dictionary<string, object?> { ["id"] = i, ["notes"] = Letters(size / 1_000, i) }).ToList();
                return ([new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c", rows)])], null);
            case "function call arguments":
                return ([new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c", "lookup", new Dictionary<string, object?> { ["q"] = Letters(size, 5) })])], null);
            case "text document data": return ([User(new DataContent(Encoding.UTF8.GetBytes(Repeat("lorem ipsum ", size)), "text/plain"))], null);
            case "audio data": return ([User(new DataContent(new byte[size], "audio/wav"))], null);
            case "unknown content": return ([User(new CustomContent(Letters(size, 6)))], null);
            case "tool description":
                return ([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Tools = [AIFunctionFactory.Create(() => 42, "answer", Letters(size, 7))] });
            case "instructions": return ([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Instructions = Letters(size, 8) });
            case "many small messages":
                var message = Repeat("lorem ipsum ", 1_000);
                return (Enumerable.Range(0, size / 1_000).Select(_ => new ChatMessage(ChatRole.User, message)).ToList(), null);
            default: throw new ArgumentOutOfRangeException(nameof(shape), shape, null);
        }
    }

    private static string Repeat(string unit, int length)
    {
        var builder = new StringBuilder(length + unit.Length);
        while (builder.Length < length) builder.Append(unit);
        return builder.ToString();
    }

    /// <summary>A content kind GuardedAI has never heard of.</summary>
    internal sealed class CustomContent(string payload) : AIContent
    {
        public string Payload { get; } = payload;
    }
}
