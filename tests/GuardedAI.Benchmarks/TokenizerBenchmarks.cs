using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;
using SharpToken;

namespace GuardedAI.Benchmarks;

/// <summary>
/// Counting varied text (prose, names, numbers, code, JSON, non-Latin script; see <see cref="Fixtures.VariedText"/>) of
/// 60 B, 4 KB and 100 KB with o200k_base: GuardedAI's bounded counter (no cache: each call counts), SharpToken, and
/// Microsoft.ML.Tokenizers' own Tiktoken tokenizer. npm <c>tiktoken</c> is measured on the same texts by Node
/// (<see cref="TiktokenReference"/>).
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    // Loaded once per process, not once per size: each load reads a 200,000-entry vocabulary (seconds, not measured),
    // and --quick runs every size in this one process (Microsoft.ML.Tokenizers': Fixtures.MlTokenizersO200k).
    private static readonly Lazy<GptEncoding> SharpTokenO200k = new(() => GptEncoding.GetEncoding("o200k_base"));

    private string _text = null!;
    private BoundedBpeCounter _guarded = null!;
    private GptEncoding _sharpToken = null!;
    private Tokenizer _mlTokenizers = null!;

    [Params(60, 4096, 102_400)]
    public int Bytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _text = Fixtures.VariedText(Bytes, 7);
        _guarded = TokenizerEncodings.Get(TokenizerEncodings.O200kBase);
        _sharpToken = SharpTokenO200k.Value;
        _mlTokenizers = Fixtures.MlTokenizersO200k.Value;
    }

    [Benchmark(Baseline = true, Description = "SharpToken")]
    public int SharpToken() => _sharpToken.CountTokens(_text);

    [Benchmark(Description = "GuardedAI (bounded, no whole-text cache)")]
    public long GuardedAI() => _guarded.Count(_text);

    [Benchmark(Description = "Microsoft.ML.Tokenizers")]
    public int MlTokenizers() => _mlTokenizers.CountTokens(_text);
}
