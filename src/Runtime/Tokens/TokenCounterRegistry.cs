namespace GuardedAI;

/// <summary>
/// Chooses the token counter for a model id. OpenAI models use their exact encodings (o200k_base for the
/// gpt-4o, gpt-4.1, gpt-5 and o-series families; cl100k_base for gpt-4, gpt-3.5 and the text-embedding-3
/// models). Families without an offline tokenizer (Claude, Gemini, Llama, Mistral and unknown models) use
/// cl100k_base counts times <see cref="ApproximationMargin"/> — their tokenizers produce more tokens than
/// cl100k_base for the same text, and an estimate must err on the side of reserving too much.
/// </summary>
/// <remarks>
/// A vocabulary loads in the background the first time a model of its encoding is asked for (a guard asks when it is
/// built), starting once the process's first guarded call has settled or 100 ms after it was asked for, so a
/// process's first call neither waits most of a second for it nor runs beside the load. Until it is loaded, texts count as a safe
/// upper bound (their UTF-8 length), never less than the exact count: a call may be reserved for more than it uses,
/// never for less. <see cref="LoadAsync"/> waits for the vocabularies, e.g. before a test that compares exact counts.
/// </remarks>
public sealed class TokenCounterRegistry
{
    /// <summary>The safety factor applied to approximate counts (1.25: 25% over cl100k_base).</summary>
    public const double ApproximationMargin = 1.25;

    private readonly Lazy<ITokenCounter> _o200k = new(() => new ChatTokenCounter(TokenizerEncodings.O200kBase, true, 1.0));
    private readonly Lazy<ITokenCounter> _cl100k = new(() => new ChatTokenCounter(TokenizerEncodings.Cl100kBase, true, 1.0));
    private readonly Lazy<ITokenCounter> _approximate = new(() => new ChatTokenCounter(TokenizerEncodings.Cl100kBase, false, ApproximationMargin));

    /// <summary>Loads every vocabulary (started in the background if not already) and completes when they are loaded;
    /// from then on counts are exact (or the documented approximation), not an upper bound.</summary>
    public static Task LoadAsync(CancellationToken cancellationToken = default)
    {
        VocabularyLoadGate.Process.Open();
        return Task.WhenAll(TokenizerEncodings.GetAsync(TokenizerEncodings.O200kBase), TokenizerEncodings.GetAsync(TokenizerEncodings.Cl100kBase)).WaitAsync(cancellationToken);
    }

    /// <summary>The counter for <paramref name="model"/> (an approximate one when the model is null or unknown).</summary>
    public ITokenCounter ForModel(string? model) => EncodingFor(model) switch
    {
        TokenizerEncodings.O200kBase => _o200k.Value,
        TokenizerEncodings.Cl100kBase => _cl100k.Value,
        _ => _approximate.Value,
    };

    /// <summary>The exact encoding of <paramref name="model"/>, or null where only an approximation exists.</summary>
    public static string? EncodingFor(string? model)
    {
        if (string.IsNullOrWhiteSpace(model)) return null;
        var id = ModelIds.StripProvider(model).ToLowerInvariant();
        if (id.StartsWith("gpt-4o", StringComparison.Ordinal) || id.StartsWith("gpt-4.1", StringComparison.Ordinal) ||
            id.StartsWith("gpt-4.5", StringComparison.Ordinal) || id.StartsWith("gpt-5", StringComparison.Ordinal) ||
            id.StartsWith("chatgpt-4o", StringComparison.Ordinal) || id.StartsWith("gpt-oss", StringComparison.Ordinal) ||
            IsOSeries(id))
        {
            return TokenizerEncodings.O200kBase;
        }
        if (id.StartsWith("gpt-4", StringComparison.Ordinal) || id.StartsWith("gpt-3.5", StringComparison.Ordinal) ||
            id.StartsWith("gpt-35", StringComparison.Ordinal) || id.StartsWith("text-embedding-3", StringComparison.Ordinal) ||
            id.StartsWith("text-embedding-ada-002", StringComparison.Ordinal))
        {
            return TokenizerEncodings.Cl100kBase;
        }
        return null;
    }

    private static bool IsOSeries(string id) => id.Length >= 2 && id[0] == 'o' && char.IsAsciiDigit(id[1]);
}
