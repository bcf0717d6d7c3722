using System.Text.Json;
using CsCheck;

namespace GuardedAI.Tests;

/// <summary>
/// The hand-written splits (<see cref="O200kPieces"/>, <see cref="Cl100kPieces"/>) against the generated regular
/// expressions of the same patterns, piece by piece, on text of every character class the patterns distinguish.
/// </summary>
public class HandSplitTests
{
    /// <summary>Characters and short strings from each class the pattern tells apart, and the ones it treats specially.</summary>
    private static readonly string[] Atoms =
    [
        // lowercase, uppercase, titlecase, modifier and other letters (ASCII and not; the Kelvin sign and long s have
        // case equivalents in some regular-expression engines)
        "a", "z", "s", "e", "é", "ß", "\u017F", "Q", "K", "S", "É", "Ω", "\u212A", "\u01C5", "\u02B0", "\u3005", "中", "\u05D0", "ｱ",
        // marks: non-spacing, spacing, enclosing
        "\u0301", "\u0903", "\u20DD",
        // numbers: decimal, letter, other
        "7", "0", "\u0661", "\u216B", "\u00BD",
        // whitespace, line breaks and separators
        " ", " ", " ", "\t", "\u000B", "\f", "\u00A0", "\u3000", "\u2028", "\u2029", "\u0085", "\r", "\n", "\r\n",
        // signs, format and control characters
        "!", ".", "'", "/", "-", "\"", "€", "©", "\u0000", "\u0001", "\u200B", "\uFEFF",
        // contractions in every case, and near misses
        "'s", "'S", "'t", "'re", "'RE", "'Ve", "'vE", "'m", "'ll", "'lL", "'d", "'x", "'r", "'v", "'l", "'\u017F",
        // surrogate pairs, and lone halves
        "😀", "\uD835\uDC00", "\uD800", "\uDC00",
        // words
        "hello", " world", "The", "HTTPServer", "iPhone", "don't", " I'M",
    ];

    private static readonly Gen<string> Atom = Gen.OneOf(Atoms);

    /// <summary>Mostly short runs of atoms; now and then one atom repeated past the pattern's bound.</summary>
    private static readonly Gen<string> Text = Gen.Frequency(
            (12, Atom.Array[1, 8].Select(string.Concat)),
            (1, Gen.Select(Atom, Gen.Int[200, 700]).Select(r => string.Concat(Enumerable.Repeat(r.Item1, r.Item2)))))
        .Array[0, 40].Select(string.Concat);

    /// <summary>Text too short to hold a run that meets the bound (no atom is longer than 10 characters): every piece
    /// must be found by hand.</summary>
    private static readonly Gen<string> ShortText = Atom.Array[0, 25].Select(string.Concat);

    private const string O200k = TokenizerEncodings.O200kBase, Cl100k = TokenizerEncodings.Cl100kBase;

    [Theory]
    [InlineData(O200k)]
    [InlineData(Cl100k)]
    public void Every_piece_is_the_regular_expressions_piece(string encoding) =>
        Text.Sample(text => AssertSameAsPattern(encoding, text), iter: 20_000, threads: 1);

    [Theory]
    [InlineData(O200k)]
    [InlineData(Cl100k)]
    public void Text_without_long_runs_is_split_by_hand_alone(string encoding) =>
        ShortText.Sample(text =>
        {
            if (text.Length >= PieceClasses.Bound) throw new Exception($"{Show(text)}: the generator made a text of {text.Length} characters");
            for (var start = 0; start < text.Length;)
            {
                var length = encoding == O200k ? O200kPieces.NextLength(text, start) : Cl100kPieces.NextLength(text, start);
                if (length == 0) throw new Exception($"{encoding}, {Show(text)}: the piece at {start} was left to the pattern");
                start += length;
            }
        }, iter: 5_000, threads: 1);

    [Theory]
    [InlineData("  \n  x", new[] { "  \n", " ", " x" })]
    [InlineData("HTTPServer's", new[] { "HTTPServer's" })]
    [InlineData("ABC's", new[] { "ABC's" })]
    [InlineData("\u0301ABC", new[] { "\u0301", "ABC" })]
    [InlineData(" \u0301ABC", new[] { " \u0301", "ABC" })]
    [InlineData("中文abc", new[] { "中文abc" })]
    [InlineData("12345", new[] { "123", "45" })]
    [InlineData(" 123", new[] { " ", "123" })]
    [InlineData("!!\n/\nabc", new[] { "!!\n/\n", "abc" })]
    [InlineData("a  ", new[] { "a", "  " })]
    [InlineData("x'Re'll", new[] { "x'Re", "'ll" })]
    [InlineData("\u017F's \u212A's", new[] { "\u017F's", " \u212A's" })]
    public void Tricky_places_split_as_the_o200k_pattern_does(string text, string[] pieces)
    {
        AssertSameAsPattern(O200k, text);
        Assert.Equal(pieces, Split(O200k, text));
    }

    [Theory]
    [InlineData("'sxyz", new[] { "'s", "xyz" })]
    [InlineData("'xyz", new[] { "'xyz" })]
    [InlineData("'LL'l", new[] { "'LL", "'l" })]
    [InlineData("don't", new[] { "don", "'t" })]
    [InlineData("  \n  x", new[] { "  \n", " ", " x" })]
    [InlineData("a  ", new[] { "a", "  " })]
    [InlineData("a \n", new[] { "a", " \n" })]
    [InlineData("e\u0301", new[] { "e", "\u0301" })]
    [InlineData("\u0301abc", new[] { "\u0301abc" })]
    [InlineData("12345", new[] { "123", "45" })]
    [InlineData("!!/\nabc", new[] { "!!/\n", "abc" })]
    [InlineData(" !!", new[] { " !!" })]
    [InlineData("\u017F's", new[] { "\u017F", "'s" })]
    public void Tricky_places_split_as_the_cl100k_pattern_does(string text, string[] pieces)
    {
        AssertSameAsPattern(Cl100k, text);
        Assert.Equal(pieces, Split(Cl100k, text));
    }

    [Theory]
    [InlineData("a", 600)]
    [InlineData("A", 600)]
    [InlineData("中", 300)]
    [InlineData("!", 600)]
    [InlineData(" ", 600)]
    [InlineData("\t\t\n", 331)]
    [InlineData("\n", 300)]
    [InlineData("7", 600)]
    [InlineData("\u0301", 600)]
    public void Long_runs_are_left_to_the_pattern_and_split_as_it_does(string unit, int repeats)
    {
        var text = "x " + string.Concat(Enumerable.Repeat(unit, repeats)) + " y";
        AssertSameAsPattern(O200k, text);
        AssertSameAsPattern(Cl100k, text);
        AssertSameAsPattern(O200k, text.TrimEnd('y', ' '));
        AssertSameAsPattern(Cl100k, text.TrimEnd('y', ' '));
    }

    private static void AssertSameAsPattern(string encoding, string text)
    {
        var pattern = encoding == O200k ? TokenizerEncodings.O200kSplit() : TokenizerEncodings.Cl100kSplit();
        var start = 0;
        foreach (var match in pattern.EnumerateMatches(text))
        {
            if (match.Index != start) throw new Exception($"{encoding}, {Show(text)}: the pattern skipped from {start} to {match.Index}");
            var length = NextLength(encoding, text, start);
            if (length != match.Length)
            {
                throw new Exception($"{encoding}, {Show(text)}: at {start} the pattern's piece is {Show(text.Substring(match.Index, match.Length))}, "
                    + $"the hand split's {Show(text.Substring(start, Math.Min(length, text.Length - start)))}");
            }
            start += length;
        }
        if (start != text.Length) throw new Exception($"{encoding}, {Show(text)}: the pattern's pieces end at {start} of {text.Length}");
    }

    /// <summary>The piece at <paramref name="start"/> as the encoding's counter finds it: by hand, else from the pattern.</summary>
    private static int NextLength(string encoding, string text, int start) => TokenizerEncodings.Get(encoding).PieceLength(text, start);

    private static List<string> Split(string encoding, string text)
    {
        var pieces = new List<string>();
        for (var start = 0; start < text.Length;)
        {
            var length = NextLength(encoding, text, start);
            pieces.Add(text.Substring(start, length));
            start += length;
        }
        return pieces;
    }

    private static string Show(string text) => JsonSerializer.Serialize(text);
}
