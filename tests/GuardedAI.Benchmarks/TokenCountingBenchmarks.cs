using BenchmarkDotNet.Attributes;
using GuardedAI;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;
using SharpToken;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Estimating the prompt of a 40-turn chat before each call, against the peers a .NET team would otherwise use:
/// Microsoft.ML.Tokenizers directly and SharpToken. All three count with o200k_base.
/// </summary>
[MemoryDiagnoser]
public class TokenCountingBenchmarks
{
    private List<ChatMessage> _history = null!;
    private ITokenCounter _guarded = null!;
    private Tokenizer _mlTokenizers = null!;
    private GptEncoding _sharpToken = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        string[] words = ["order", "refund", "shipping", "the", "customer", "invoice", "please", "status", "account", "delivery", "we", "will"];
        _history = Enumerable.Range(0, 40).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant,
            string.Join(' ', Enumerable.Range(0, 120).Select(_ => words[random.Next(words.Length)])))).ToList();
        _guarded = new TokenCounterRegistry().ForModel("gpt-4o");
        _mlTokenizers = TiktokenTokenizer.CreateForModel("gpt-4o");
        _sharpToken = GptEncoding.GetEncoding("o200k_base");
        _guarded.CountMessages(_history); // a chat re-sends its history: earlier turns were counted before
    }

    [Benchmark(Baseline = true, Description = "Microsoft.ML.Tokenizers, every message")]
    public int MlTokenizers()
    {
        var total = 3;
        foreach (var m in _history) total += 3 + _mlTokenizers.CountTokens(m.Role.Value) + _mlTokenizers.CountTokens(m.Text);
        return total;
    }

    [Benchmark(Description = "SharpToken, every message")]
    public int SharpToken()
    {
        var total = 3;
        foreach (var m in _history) total += 3 + _sharpToken.CountTokens(m.Role.Value) + _sharpToken.CountTokens(m.Text);
        return total;
    }

    [Benchmark(Description = "GuardedAI CountMessages (per-message cache)")]
    public int GuardedAI() => _guarded.CountMessages(_history);
}
