using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace GuardedAI;

/// <summary>
/// What the split patterns ask of a character, as bits, and the runs they repeat: shared by the hand-written splits
/// (<see cref="O200kPieces"/>, <see cref="Cl100kPieces"/>). Each class follows the regular expression's own
/// definition: <c>\p{..}</c> by <see cref="char.GetUnicodeCategory(char)"/>, <c>\s</c> by
/// <see cref="char.IsWhiteSpace(char)"/>, one UTF-16 unit at a time (so each half of a surrogate pair is a sign, as
/// the patterns see it).
/// </summary>
internal static class PieceClasses
{
    /// <summary>A run this long may meet one of the patterns' bounds (<see cref="BoundedBpeCounter.MaxRunLength"/>): its
    /// piece is the regular expression's to find.</summary>
    public const int Bound = BoundedBpeCounter.MaxRunLength - 1;

    public const byte Upper = 1;      // [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: a word's leading part (o200k)
    public const byte Lower = 2;      // [\p{Ll}\p{Lm}\p{Lo}\p{M}]: a word's trailing part (o200k)
    public const byte Letter = 4;     // \p{L}
    public const byte Number = 8;     // \p{N}
    public const byte Space = 16;     // \s
    public const byte LineBreak = 32; // [\r\n]

    /// <summary>What a part of a pattern found instead of an end: no match, or a run that reaches the bound.</summary>
    public const int Fail = -1, LongRun = -2;

    private static readonly byte[] s_ascii = ClassifyAscii();

    public static byte Classify(char c) => c < 128 ? s_ascii[c] : ClassifyAny(c);

    /// <summary>[^\r\n\p{L}\p{N}]: what may lead a word.</summary>
    public static bool MayLead(byte c) => (c & (LineBreak | Letter | Number)) == 0;

    /// <summary>[^\s\p{L}\p{N}]</summary>
    public static bool IsSign(byte c) => (c & (Space | Letter | Number)) == 0;

    /// <summary>The length of a piece from <paramref name="start"/> to <paramref name="end"/>, or 0 (the pattern's to
    /// find) when the end is <see cref="LongRun"/>.</summary>
    public static int LengthOf(int end, int start) => end == LongRun ? 0 : end - start;

    /// <summary>Where a run of characters begun at <paramref name="runStart"/> ends when continued from
    /// <paramref name="from"/>: characters that have one of <paramref name="classes"/> (or, when not
    /// <paramref name="inClass"/>, none of them); <see cref="LongRun"/> when it reaches <see cref="Bound"/> characters.</summary>
    public static int RunEnd(ReadOnlySpan<char> text, int from, int runStart, byte classes, bool inClass = true)
    {
        var end = from;
        while (end < text.Length && ((Classify(text[end]) & classes) != 0) == inClass)
        {
            if (++end - runStart >= Bound) return LongRun;
        }
        return end;
    }

    /// <summary><c>\p{N}{1,3}</c> from <paramref name="start"/>, which holds a number: where it ends.</summary>
    public static int NumbersEnd(ReadOnlySpan<char> text, int start)
    {
        var end = start + 1;
        while (end < text.Length && end - start < 3 && (Classify(text[end]) & Number) != 0) end++;
        return end;
    }

    /// <summary><c> ?[^\s\p{L}\p{N}]+</c> and then <c>[\r\n]*</c> (or <c>[\r\n/]*</c> when <paramref name="slashes"/>)
    /// from <paramref name="start"/>: where it ends, <see cref="Fail"/>, or <see cref="LongRun"/>. The space is never given
    /// back (a sign cannot start at a space), so it is as good as atomic in both patterns.</summary>
    public static int SignsEnd(ReadOnlySpan<char> text, int start, bool slashes)
    {
        var signs = text[start] == ' ' ? start + 1 : start;
        if (signs >= text.Length || !IsSign(Classify(text[signs]))) return Fail;
        var end = RunEnd(text, signs + 1, signs, Space | Letter | Number, inClass: false);
        if (end == LongRun) return LongRun;
        var breaks = end;
        while (end < text.Length && (text[end] is '\r' or '\n' || (slashes && text[end] == '/')))
        {
            if (++end - breaks >= Bound) return LongRun;
        }
        return end;
    }

    /// <summary>A run of whitespace from <paramref name="start"/>: where it ends and its last line break (−1 when none);
    /// false when it reaches <see cref="Bound"/> characters.</summary>
    public static bool WhiteSpaceRun(ReadOnlySpan<char> text, int start, out int end, out int lastBreak)
    {
        lastBreak = -1;
        end = start;
        while (end < text.Length)
        {
            var c = Classify(text[end]);
            if ((c & Space) == 0) break;
            if ((c & LineBreak) != 0) lastBreak = end;
            if (++end - start >= Bound) return false;
        }
        return true;
    }

    /// <summary>The length of the piece the regular expression finds at <paramref name="start"/> (every character starts
    /// a piece of either pattern, so its first match from there starts there).</summary>
    public static int PatternLength(ReadOnlySpan<char> text, int start, Regex pattern)
    {
        foreach (var match in pattern.EnumerateMatches(text, start))
        {
            Debug.Assert(match.Index == start);
            return match.Length;
        }
        throw new UnreachableException($"The split pattern found no piece at {start} of {text.Length} characters.");
    }

    private static byte ClassifyAny(char c)
    {
        var classes = char.GetUnicodeCategory(c) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter => Upper | Letter,
            UnicodeCategory.LowercaseLetter => Lower | Letter,
            UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Upper | Lower | Letter,
            UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => Upper | Lower,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Number,
            _ => 0,
        };
        if (char.IsWhiteSpace(c)) classes |= Space;
        if (c is '\r' or '\n') classes |= LineBreak;
        return (byte)classes;
    }

    private static byte[] ClassifyAscii()
    {
        var table = new byte[128];
        for (var c = 0; c < table.Length; c++) table[c] = ClassifyAny((char)c);
        return table;
    }
}
