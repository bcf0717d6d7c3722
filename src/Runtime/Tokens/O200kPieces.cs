using System.Diagnostics;
using static GuardedAI.PieceClasses;

namespace GuardedAI;

/// <summary>
/// Splits text into the pieces of o200k's split pattern (<see cref="TokenizerEncodings.O200kPattern"/>) by hand:
/// the generated regular expression took ~11 % of a guarded call with a new message, most of it deciding among the
/// pattern's seven alternatives one character class at a time. Each alternative is written out below, in the
/// pattern's order and with its backtracking, over one classification of each character.
/// </summary>
/// <remarks>
/// Only runs shorter than the pattern's bound are split here: there the bounded pattern and the published one agree,
/// and the rules below are the published one's. A piece that reaches a run of <see cref="Bound"/> characters is left
/// to the regular expression, so long runs are cut exactly where <see cref="BoundedBpeCounter"/> expects.
/// <c>O200kPiecesTests</c> compares the two on random text of every character class.
/// </remarks>
internal static class O200kPieces
{
    /// <summary>The length of the piece that starts at <paramref name="start"/>, or 0 when it meets a run of
    /// <see cref="Bound"/> characters (the regular expression decides those).</summary>
    public static int NextLength(ReadOnlySpan<char> text, int start)
    {
        Debug.Assert(start < text.Length);
        var first = Classify(text[start]);
        // [^\r\n\p{L}\p{N}]?: a space or sign may lead a word; the optional character is tried taken, then not.
        var mayLead = MayLead(first);
        int end;

        // 1. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
        if (mayLead && (end = WordEndingLower(text, start + 1)) != Fail) return LengthOf(end, start);
        if ((first & (Upper | Lower)) != 0 && (end = WordEndingLower(text, start)) != Fail) return LengthOf(end, start);

        // 2. [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
        if (mayLead && (end = WordStartingUpper(text, start + 1)) != Fail) return LengthOf(end, start);
        if ((first & Upper) != 0 && (end = WordStartingUpper(text, start)) != Fail) return LengthOf(end, start);

        // 3. \p{N}{1,3}
        if ((first & Number) != 0) return NumbersEnd(text, start) - start;

        // 4. ' '?[^\s\p{L}\p{N}]+[\r\n/]*   (the space is atomic: a sign cannot start at a space)
        if ((end = SignsEnd(text, start, slashes: true)) != Fail) return LengthOf(end, start);

        // Only whitespace is left.
        Debug.Assert((first & Space) != 0);
        if (!WhiteSpaceRun(text, start, out end, out var lastBreak)) return 0;
        // 5. \s*[\r\n]+   \s* gives characters back until a line break follows: the run's last one ends the piece.
        if (lastBreak >= 0) return lastBreak + 1 - start;
        // 6. \s+(?!\S)    the whole run at the end of the text, else all but its last character (which then starts the next piece)
        if (end == text.Length) return end - start;
        if (end - start >= 2) return end - 1 - start;
        // 7. \s+
        return end - start;
    }

    /// <summary><c>[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+</c> and the optional contraction from
    /// <paramref name="at"/>: where it ends, <see cref="Fail"/>, or <see cref="LongRun"/> on a long run.</summary>
    private static int WordEndingLower(ReadOnlySpan<char> text, int at)
    {
        if (at >= text.Length) return Fail;
        var upperEnd = RunEnd(text, at, at, Upper);
        if (upperEnd == LongRun) return LongRun;
        if (upperEnd < text.Length && (Classify(text[upperEnd]) & (Upper | Lower)) == Lower)
        {
            // The leading part took all it could and a lowercase letter follows: the trailing part takes its run.
            var lowerEnd = RunEnd(text, upperEnd + 1, upperEnd, Lower);
            return lowerEnd == LongRun ? LongRun : AfterContraction(text, lowerEnd);
        }
        // Otherwise the leading part gives characters back until the trailing part can start: at the last character
        // of the run that belongs to both (\p{Lm}, \p{Lo}, \p{M}). The one after it (if any) belongs to the leading part
        // only, so the trailing part is that one character.
        for (var k = upperEnd - 1; k >= at; k--)
        {
            if ((Classify(text[k]) & Lower) != 0) return AfterContraction(text, k + 1);
        }
        return Fail;
    }

    /// <summary><c>[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*</c> and the optional contraction from <paramref name="at"/>.</summary>
    private static int WordStartingUpper(ReadOnlySpan<char> text, int at)
    {
        if (at >= text.Length || (Classify(text[at]) & Upper) == 0) return Fail;
        var upperEnd = RunEnd(text, at + 1, at, Upper);
        if (upperEnd == LongRun) return LongRun;
        var lowerEnd = RunEnd(text, upperEnd, upperEnd, Lower);
        return lowerEnd == LongRun ? LongRun : AfterContraction(text, lowerEnd);
    }

    /// <summary><c>(?i:'s|'t|'re|'ve|'m|'ll|'d)?</c> at <paramref name="at"/>: ASCII letters of either case only
    /// (the pattern is culture-invariant, and these letters have no other case equivalents there).</summary>
    private static int AfterContraction(ReadOnlySpan<char> text, int at)
    {
        if (at + 1 >= text.Length || text[at] != '\'') return at;
        // Setting bit 5 lowers an ASCII capital and changes no other character into a lowercase ASCII letter.
        switch (text[at + 1] | 0x20)
        {
            case 's' or 't' or 'm' or 'd':
                return at + 2;
            case 'r' or 'v':
                return at + 2 < text.Length && (text[at + 2] | 0x20) == 'e' ? at + 3 : at;
            case 'l':
                return at + 2 < text.Length && (text[at + 2] | 0x20) == 'l' ? at + 3 : at;
            default:
                return at;
        }
    }
}
