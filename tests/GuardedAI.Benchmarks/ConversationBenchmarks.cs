using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.ML.Tokenizers;

namespace GuardedAI.Benchmarks;

/// <summary>
/// A 40-message, 100 KB conversation plus one new message, estimated before the call as every turn of a chat does:
/// GuardedAI's counter (the history's counts cached from earlier turns, the new message counted) beside counting the
/// whole conversation again with Microsoft.ML.Tokenizers.
/// </summary>
[MemoryDiagnoser]
public class ConversationBenchmarks
{
    private List<ChatMessage> _history = null!;
    private ChatMessage[] _fresh = null!;
    private ITokenCounter _guarded = null!;
    private Tokenizer _tokenizer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _history = Enumerable.Range(0, 40).Select(i => new ChatMessage(i % 2 == 0 ? ChatRole.User : ChatRole.Assistant, Fixtures.VariedText(2560, 100 + i))).ToList();
        _fresh = Enumerable.Range(0, BenchmarkScale.Pick(20_000, 20)).Select(i => new ChatMessage(ChatRole.User, Fixtures.VariedText(60, 50_000 + i))).ToArray();
        _guarded = new TokenCounterRegistry().ForModel("gpt-4o");
        TokenCounterRegistry.LoadAsync().GetAwaiter().GetResult();
        _tokenizer = Fixtures.MlTokenizersO200k.Value;
        _guarded.CountMessages(_history); // the earlier turns were estimated before
    }

    [Benchmark(Baseline = true, Description = "full recount (Microsoft.ML.Tokenizers)")]
    public int FullRecount()
    {
        var total = 3;
        foreach (var m in _history) total += 3 + _tokenizer.CountTokens(m.Role.Value) + _tokenizer.CountTokens(m.Text);
        var fresh = _fresh[Next()];
        return total + 3 + _tokenizer.CountTokens(fresh.Role.Value) + _tokenizer.CountTokens(fresh.Text);
    }

    [Benchmark(Description = "GuardedAI CountMessages (history cached)")]
    public int GuardedAI()
    {
        _history.Add(_fresh[Next()]);
        var count = _guarded.CountMessages(_history);
        _history.RemoveAt(_history.Count - 1);
        return count;
    }

    private int Next()
    {
        var i = _next + 1;
        _next = i == _fresh.Length ? 0 : i;
        return _next;
    }
}
