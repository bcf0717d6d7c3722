using System.Diagnostics;
using static GuardedAI.PieceClasses;

namespace GuardedAI;

/// <summary>
/// Splits text into the pieces of cl100k's split pattern (<see cref="TokenizerEncodings.Cl100kPattern"/>) by hand, as
/// <see cref="O200kPieces"/> does for o200k: cl100k counts embeddings, GPT-4 and GPT-3.5, and (with a margin) every
/// model without a tokenizer of its own. Each of the pattern's eight alternatives is written out below, in its order.
/// </summary>
/// <remarks>
/// Only runs shorter than the pattern's bound are split here; a piece that reaches a run of <see cref="Bound"/>
/// characters is left to the regular expression. <c>Cl100kPiecesTests</c> compares the two on random text of every
/// character class.
/// </remarks>
internal static class Cl100kPieces
{
    /// <summary>The length of the piece that starts at <paramref name="start"/>, or 0 when it meets a run of
    /// <see cref="Bound"/> characters (the regular expression decides those).</summary>
    public static int NextLength(ReadOnlySpan<char> text, int start)
    {
        Debug.Assert(start < text.Length);
        var first = Classify(text[start]);
        int end;

        // 1. '(?i:[sdmt]|ll|ve|re)
        if (text[start] == '\'' && (end = Contraction(text, start)) != Fail) return end - start;

        // 2. (?>[^\r\n\p{L}\p{N}]?)(?>\p{L}+)   the leading character is atomic: once taken, a letter must follow it
        if (MayLead(first))
        {
            if (start + 1 < text.Length && (Classify(text[start + 1]) & Letter) != 0)
            {
                end = RunEnd(text, start + 2, start + 1, Letter);
                return LengthOf(end, start);
            }
        }
        else if ((first & Letter) != 0)
        {
            end = RunEnd(text, start + 1, start, Letter);
            return LengthOf(end, start);
        }

        // 3. (?>\p{N}{1,3})
        if ((first & Number) != 0) return NumbersEnd(text, start) - start;

        // 4.  ?(?>[^\s\p{L}\p{N}]+)(?>[\r\n]*)   (a sign cannot start at a space, so the space is never given back)
        if ((end = SignsEnd(text, start, slashes: false)) != Fail) return LengthOf(end, start);

        // Only whitespace is left.
        Debug.Assert((first & Space) != 0);
        if (!WhiteSpaceRun(text, start, out end, out var lastBreak)) return 0;
        // 5. (?>\s+)$   the run reaches the end of the text ($ also matches before a final line break, which the run holds)
        if (end == text.Length) return end - start;
        // 6. \s*[\r\n]   \s* gives characters back until a line break follows: the run's last one ends the piece.
        if (lastBreak >= 0) return lastBreak + 1 - start;
        // 7. \s+(?!\S)   all but the run's last character, which then starts the next piece
        if (end - start >= 2) return end - 1 - start;
        // 8. \s
        return 1;
    }

    /// <summary><c>'(?i:[sdmt]|ll|ve|re)</c> at <paramref name="at"/> (which holds the apostrophe): where it ends, or
    /// <see cref="Fail"/>. ASCII letters of either case only, as the culture-invariant pattern has it.</summary>
    private static int Contraction(ReadOnlySpan<char> text, int at)
    {
        if (at + 1 >= text.Length) return Fail;
        // Setting bit 5 lowers an ASCII capital and changes no other character into a lowercase ASCII letter.
        switch (text[at + 1] | 0x20)
        {
            case 's' or 'd' or 'm' or 't':
                return at + 2;
            case 'l':
                return at + 2 < text.Length && (text[at + 2] | 0x20) == 'l' ? at + 3 : Fail;
            case 'v' or 'r':
                return at + 2 < text.Length && (text[at + 2] | 0x20) == 'e' ? at + 3 : Fail;
            default:
                return Fail;
        }
    }
}
