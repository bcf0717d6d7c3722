using System.Text.Json;
using BenchmarkDotNet.Attributes;
using GuardedAI;
using Microsoft.Extensions.AI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A 50 MB prompt of each shape against a budget with a 1,000-token input cap: how long GuardedAI takes to say no.
/// <c>CharacterLimit</c> true is the default engine (prompts above 4,000,000 characters are rejected before
/// tokenizing); false lifts that limit, so the token cap alone must stop the count.
/// </summary>
[MemoryDiagnoser]
public class PromptRejectionBenchmarks
{
    private static int Size => BenchmarkScale.Pick(50 * 1024 * 1024, 32_768);

    private BudgetEngine _engine = null!;
    private BudgetPolicy _policy = null!;
    private List<ChatMessage> _messages = null!;
    private ChatOptions? _options;

    [Params("text with spaces", "letters without spaces", "CJK", "function result string", "function result JSON", "function call arguments", "audio data")]
    public string Shape { get; set; } = "";

    [Params(true, false)]
    public bool CharacterLimit { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, MaxPromptCharacters = CharacterLimit ? 4_000_000 : int.MaxValue });
        _policy = BudgetPolicy.Create("capped").ForModel("gpt-4o-mini").WithMaxInputTokens(1_000).Build();
        var random = new Random(42);
        string Letters() => string.Create(Size, random, static (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = (char)('a' + r.Next(26)); });
        string Repeat(string unit) => string.Create(Size, unit, static (span, u) => { for (var i = 0; i < span.Length; i++) span[i] = u[i % u.Length]; });
        ChatMessage One(ChatRole role, AIContent content) => new(role, [content]);
        _options = null;
        _messages = Shape switch
        {
            "text with spaces" => [new ChatMessage(ChatRole.User, Repeat("lorem ipsum dolor sit amet "))],
            "letters without spaces" => [new ChatMessage(ChatRole.User, Letters())],
            "CJK" => [new ChatMessage(ChatRole.User, Repeat("的一是不了人我在有他这为之大来以个中上们"))],
            "function result string" => [One(ChatRole.Tool, new FunctionResultContent("c", Letters()))],
            "function result JSON" => [One(ChatRole.Tool, new FunctionResultContent("c", JsonSerializer.SerializeToElement(new { data = Repeat("lorem ipsum ") })))],
            "function call arguments" => [One(ChatRole.Assistant, new FunctionCallContent("c", "lookup", new Dictionary<string, object?> { ["q"] = Letters() }))],
            "audio data" => [One(ChatRole.User, new DataContent(new byte[Size], "audio/wav"))],
            _ => throw new InvalidOperationException(Shape),
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Estimate, then the per-request caps: the work a guarded call does before it is denied.</summary>
    [Benchmark]
    public bool Reject()
    {
        try
        {
            var (estimate, denial) = ChatEstimator.Estimate(_engine, _policy, _messages, _options);
            return denial is not null || estimate.InputTokens > 1_000;
        }
        catch (BudgetExceededException)
        {
            return true;
        }
    }
}
