using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GuardedAI;

/// <summary>
/// Builds Tiktoken tokenizers that have no special tokens. Microsoft.ML.Tokenizers' default tokenizers turn
/// strings such as <c>&lt;|endoftext|&gt;</c> inside user text into one special token, which under-counts what a
/// provider bills (it treats user text as ordinary text); an under-count is an overspend. So we load the same
/// vocabulary with the encoding's split pattern and no special tokens.
/// </summary>
internal static class TokenizerEncodings
{
    // The encodings' published pre-tokenization patterns.
    private const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // tiktoken's cl100k pattern; its possessive quantifiers written as .NET atomic groups.
    private const string Cl100kPattern =
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)|(?>\s+)$|\s*[\r\n]|\s+(?!\S)|\s";

    private static readonly Lazy<Tokenizer> s_o200k = new(() => Load("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", O200kPattern));
    private static readonly Lazy<Tokenizer> s_cl100k = new(() => Load("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kPattern));

    public const string O200kBase = "o200k_base";
    public const string Cl100kBase = "cl100k_base";

    public static Tokenizer Get(string encoding) => encoding switch
    {
        O200kBase => s_o200k.Value,
        Cl100kBase => s_cl100k.Value,
        _ => throw new ArgumentException($"Unknown encoding '{encoding}'.", nameof(encoding)),
    };

    private static Tokenizer Load(string assemblyName, string resource, string pattern)
    {
        var assembly = Assembly.Load(assemblyName);
        using var compressed = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The vocabulary '{resource}' is missing from {assemblyName}.");
        using var vocabulary = new DeflateStream(compressed, CompressionMode.Decompress);
        var preTokenizer = new RegexPreTokenizer(new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant), specialTokens: null);
        return TiktokenTokenizer.Create(vocabulary, preTokenizer, normalizer: null, specialTokens: null);
    }
}
