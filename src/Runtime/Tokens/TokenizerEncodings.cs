using System.IO.Compression;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GuardedAI;

/// <summary>
/// Builds Tiktoken tokenizers that have no special tokens. Microsoft.ML.Tokenizers' default tokenizers turn
/// strings such as <c>&lt;|endoftext|&gt;</c> inside user text into one special token, which under-counts what a
/// provider bills (it treats user text as ordinary text); an under-count is an overspend. So we load the same
/// vocabulary with no special tokens, and pre-tokenize with the encoding's split pattern ourselves
/// (<see cref="BoundedBpeCounter"/>), so that no piece longer than a bound ever reaches byte-pair encoding.
/// </summary>
internal static partial class TokenizerEncodings
{
    /// <summary><see cref="BoundedBpeCounter.MaxRunLength"/> as the patterns spell it (a constant pattern cannot format a
    /// number; <c>TokenizerEncodingsTests</c> checks the two agree).</summary>
    internal const string RunLength = "256";

    // The encodings' published pre-tokenization patterns, with every unbounded repetition bounded to RunLength
    // characters ({0,RunLength} and {1,RunLength} below). On shorter runs they split text exactly as the published ones;
    // a longer run is cut into pieces of at most about 2 × RunLength characters instead of one, so finding a piece never
    // scans more than that, and a cap stops the whole count early. BoundedBpeCounter counts such a cut like its own chunk
    // cuts. The regular expressions are generated at build time (and compiled ahead of time with the rest of the
    // assembly): built at run time with RegexOptions.Compiled, they were emitted and compiled just in time on the
    // vocabulary's loading thread, competing with the process's first call for the processor. Both encodings' pieces are
    // found by hand (O200kPieces, Cl100kPieces: several times faster), which leaves the patterns the pieces that meet a
    // long run.
    internal const string O200kPattern =
        @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]{0," + RunLength + @"}[\p{Ll}\p{Lm}\p{Lo}\p{M}]{1," + RunLength + @"}(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]{1," + RunLength + @"}[\p{Ll}\p{Lm}\p{Lo}\p{M}]{0," + RunLength + @"}(?i:'s|'t|'re|'ve|'m|'ll|'d)?" +
        @"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]{1," + RunLength + @"}[\r\n/]{0," + RunLength + @"}|\s{0," + RunLength + @"}[\r\n]{1," + RunLength + @"}|\s{1," + RunLength + @"}(?!\S)|\s{1," + RunLength + @"}";

    // tiktoken's cl100k pattern; its possessive quantifiers written as .NET atomic groups.
    internal const string Cl100kPattern =
        @"'(?i:[sdmt]|ll|ve|re)|(?>[^\r\n\p{L}\p{N}]?)(?>\p{L}{1," + RunLength + @"})|(?>\p{N}{1,3})| ?(?>[^\s\p{L}\p{N}]{1," + RunLength + @"})(?>[\r\n]{0," + RunLength + @"})|(?>\s{1," + RunLength + @"})$|\s{0," + RunLength + @"}[\r\n]|\s{1," + RunLength + @"}(?!\S)|\s";

    [GeneratedRegex(O200kPattern, RegexOptions.CultureInvariant)]
    internal static partial Regex O200kSplit();

    [GeneratedRegex(Cl100kPattern, RegexOptions.CultureInvariant)]
    internal static partial Regex Cl100kSplit();

    // Loaded on the thread pool the first time an encoding is asked for: a vocabulary takes most of a second to load,
    // and the counters estimate with a safe upper bound meanwhile (ChatTokenCounter.UpperBound).
    // The split is named by its encoding and made on the loading thread: a Func<Regex> here would load the regular
    // expressions' assembly on the thread that builds the first guard.
    private static readonly Lazy<Task<BoundedBpeCounter>> s_o200k = new(() => LoadInBackground("Microsoft.ML.Tokenizers.Data.O200kBase", "o200k_base.tiktoken.deflate", O200kBase));
    private static readonly Lazy<Task<BoundedBpeCounter>> s_cl100k = new(() => LoadInBackground("Microsoft.ML.Tokenizers.Data.Cl100kBase", "cl100k_base.tiktoken.deflate", Cl100kBase));

    public const string O200kBase = "o200k_base";
    public const string Cl100kBase = "cl100k_base";

    /// <summary>The encoding's counter, waiting for it to load (which then starts at once).</summary>
    public static BoundedBpeCounter Get(string encoding)
    {
        VocabularyLoadGate.Process.Open();
        return GetAsync(encoding).GetAwaiter().GetResult();
    }

    /// <summary>The encoding's counter as it loads; the first call starts loading it in the background, once the process's
    /// first guarded call has settled or after <see cref="VocabularyLoadGate.Deferral"/>.</summary>
    public static Task<BoundedBpeCounter> GetAsync(string encoding) => encoding switch
    {
        O200kBase => s_o200k.Value,
        Cl100kBase => s_cl100k.Value,
        _ => throw new ArgumentException($"Unknown encoding '{encoding}'.", nameof(encoding)),
    };

    /// <summary>Loads on a thread of its own, asking for below-normal priority where the system grants it, after the process's
    /// first call (<see cref="VocabularyLoadGate"/>; calls count with the upper bound meanwhile), and holding no thread-pool
    /// thread for most of a second.</summary>
    private static Task<BoundedBpeCounter> LoadInBackground(string assemblyName, string resource, string encoding)
    {
        var loaded = new TaskCompletionSource<BoundedBpeCounter>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            // Not beside the process's first call (see VocabularyLoadGate).
            VocabularyLoadGate.Process.WaitToLoad();
            try { loaded.SetResult(Load(assemblyName, resource, encoding)); }
            catch (Exception ex) { loaded.SetException(ex); }
        })
        {
            IsBackground = true,
            Name = "GuardedAI tokenizer load",
            Priority = ThreadPriority.BelowNormal,
        };
        thread.Start();
        return loaded.Task;
    }

    private static BoundedBpeCounter Load(string assemblyName, string resource, string encoding)
    {
        var split = encoding == O200kBase ? O200kSplit() : Cl100kSplit();
        var assembly = Assembly.Load(assemblyName);
        using var compressed = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The vocabulary '{resource}' is missing from {assemblyName}.");
        using var vocabulary = new DeflateStream(compressed, CompressionMode.Decompress);
        var tokenizer = TiktokenTokenizer.Create(vocabulary, new RegexPreTokenizer(split, specialTokens: null), normalizer: null, specialTokens: null);
        return new BoundedBpeCounter(tokenizer, split);
    }
}
