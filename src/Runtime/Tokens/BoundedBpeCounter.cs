using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace GuardedAI;

/// <summary>
/// Counts Tiktoken tokens in time linear in the text read. Byte-pair encoding costs the square of a piece's length
/// (a 100,000-letter run with no space took 3.5 s), so no piece longer than <see cref="MaxPieceLength"/> characters
/// is ever encoded: the split pattern repeats at most <see cref="MaxRunLength"/> characters of a kind (see
/// <see cref="TokenizerEncodings"/>), and what is still longer is encoded in chunks. Cutting a piece can make the
/// chunks' counts add up to less than the whole piece's count (by at most 2 tokens per cut over hundreds of
/// thousands of random pieces), so every cut adds <see cref="TokensPerCut"/>: the count of a cut piece is an upper
/// bound, never an under-count. Text the pattern splits into short pieces (all ordinary prose and code) is counted
/// exactly. Counting stops as soon as the count passes the cap, having read little more than the capped part.
/// </summary>
internal sealed class BoundedBpeCounter
{
    /// <summary>The longest piece given to byte-pair encoding, in UTF-16 code units.</summary>
    public const int MaxPieceLength = 256;

    /// <summary>The longest run of one character class the split pattern takes into a piece; a piece at least this
    /// long may have been cut by the pattern.</summary>
    public const int MaxRunLength = MaxPieceLength;

    /// <summary>Tokens added for every place a long piece is, or may have been, cut (twice the largest shortfall observed).</summary>
    public const int TokensPerCut = 4;

    private readonly Tokenizer _tokenizer;
    private readonly Regex _split;
    private readonly Split _byHand;
    private readonly ShortPieceTable _shortPieces = new();
    private readonly CountTable _pieces = CountTable.ForPieces();

    /// <param name="tokenizer">The encoding's byte-pair encoder.</param>
    /// <param name="split">The encoding's bounded split pattern (<see cref="TokenizerEncodings"/>).</param>
    public BoundedBpeCounter(Tokenizer tokenizer, Regex split)
    {
        _tokenizer = tokenizer;
        _split = split;
        _byHand = split.ToString() switch
        {
            TokenizerEncodings.O200kPattern => Split.O200k,
            TokenizerEncodings.Cl100kPattern => Split.Cl100k,
            _ => Split.None,
        };
    }

    /// <summary>Counts <paramref name="text"/>, stopping once the count exceeds <paramref name="maxTokens"/>.</summary>
    public long Count(ReadOnlySpan<char> text, long maxTokens = long.MaxValue) => Count(text, maxTokens, out _);

    /// <summary>Counts, and reports how much was read and the longest piece encoded (tests prove linearity with these).</summary>
    public long Count(ReadOnlySpan<char> text, long maxTokens, out CountingWork work)
    {
        var counting = new Counting(maxTokens);
        if (_byHand != Split.None)
        {
            // The pieces are found by hand (O200kPieces, Cl100kPieces), and by the pattern where a piece meets a long run.
            for (var start = 0; start < text.Length;)
            {
                var end = start + PieceLength(text, start);
                if (AddPiece(text, start, end, ref counting))
                {
                    work = counting.Work();
                    return counting.Total;
                }
                start = end;
            }
        }
        else
        {
            foreach (var match in _split.EnumerateMatches(text))
            {
                if (AddPiece(text, match.Index, match.Index + match.Length, ref counting))
                {
                    work = counting.Work();
                    return counting.Total;
                }
            }
        }
        work = new CountingWork(text.Length, counting.Longest, counting.Cuts);
        return counting.Total;
    }

    /// <summary>The length of the piece that starts at <paramref name="start"/>: found by hand, or by the pattern when
    /// the piece meets a long run (or no split of this pattern is written by hand).</summary>
    internal int PieceLength(ReadOnlySpan<char> text, int start)
    {
        var length = _byHand switch
        {
            Split.O200k => O200kPieces.NextLength(text, start),
            Split.Cl100k => Cl100kPieces.NextLength(text, start),
            _ => 0,
        };
        return length != 0 ? length : PieceClasses.PatternLength(text, start, _split);
    }

    /// <summary>Counts the piece <c>text[start..end]</c>, in chunks when it is long; true when the count has passed the cap.</summary>
    private bool AddPiece(ReadOnlySpan<char> text, int start, int end, ref Counting counting)
    {
        if (end - start >= MaxRunLength || InLongWhiteSpaceRun(text, start, end - start))
        {
            // The pattern may have ended this piece inside a longer run.
            counting.Total += TokensPerCut;
            counting.Cuts++;
        }
        var offset = start;
        while (offset < end)
        {
            var length = end - offset;
            if (length > MaxPieceLength)
            {
                // Cut, but never inside a surrogate pair: each half would count as invalid bytes.
                length = char.IsHighSurrogate(text[offset + MaxPieceLength - 1]) ? MaxPieceLength - 1 : MaxPieceLength;
                counting.Total += TokensPerCut;
                counting.Cuts++;
            }
            counting.Longest = Math.Max(counting.Longest, length);
            counting.Total += CountPiece(text.Slice(offset, length));
            offset += length;
            if (counting.Total > counting.MaxTokens)
            {
                counting.Read = offset;
                return true;
            }
        }
        return false;
    }

    /// <summary>Which split of the pattern's pieces is written by hand.</summary>
    private enum Split : byte { None, O200k, Cl100k }

    /// <summary>A count in progress.</summary>
    private struct Counting(long maxTokens)
    {
        public readonly long MaxTokens = maxTokens;
        public long Total;
        public int Longest;
        public int Cuts;
        public int Read;

        public readonly CountingWork Work() => new(Read, Longest, Cuts);
    }

    /// <summary>
    /// Whether a piece that starts at <paramref name="start"/> with whitespace lies in a run of at least
    /// <see cref="MaxRunLength"/> whitespace characters. Such a piece may have been cut though it is shorter than the
    /// bound: <c>\s{0,256}[\r\n]{1,256}</c> backtracks to the last line break within its bound, where the published
    /// <c>\s*[\r\n]+</c> reaches the last line break of the whole run (331 × "\t\t\n" split into pieces of 255
    /// characters, none of them flagged, and counted one token under the exact count).
    /// </summary>
    private static bool InLongWhiteSpaceRun(ReadOnlySpan<char> text, int start, int length)
    {
        // A piece of a word or of signs ends with one (nearly every piece): one look decides it.
        if (text.Length - start < MaxRunLength || !char.IsWhiteSpace(text[start + length - 1])) return false;
        foreach (var c in text.Slice(start, MaxRunLength))
        {
            if (!char.IsWhiteSpace(c)) return false;
        }
        return true;
    }

    /// <summary>One piece's tokens: from a lock-free table when it is there (short pieces kept inside their slots, the
    /// rest as entries), else from the encoder (and kept).</summary>
    private int CountPiece(ReadOnlySpan<char> piece)
    {
        int count;
        if (piece.Length <= ShortPieceTable.MaxLength)
        {
            if (_shortPieces.TryGet(piece, out count)) return count;
            count = _tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
            _shortPieces.Add(piece, count);
            return count;
        }
        if (piece.Length > CountTable.MaxPieceLength)
            return _tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
        if (_pieces.TryGet(piece, out count)) return count;
        count = _tokenizer.CountTokens(piece, considerPreTokenization: false, considerNormalization: false);
        _pieces.Add(piece, count);
        return count;
    }
}

/// <summary>What a count looked at: characters read from the start of the text, the longest piece encoded, and how
/// many times a long piece was cut (0: the count is exact).</summary>
internal readonly record struct CountingWork(int CharactersRead, int LongestPiece, int Cuts);
