using System.Text.RegularExpressions;

namespace GuardedAI.Tests;

/// <summary>The split patterns, generated at build time: bounded where the counter says, and splitting every text as
/// the same pattern built at run time does.</summary>
public class TokenizerEncodingsTests
{
    [Fact]
    public void The_patterns_bound_runs_at_the_counters_run_length()
    {
        Assert.Equal(TokenizerEncodings.RunLength, BoundedBpeCounter.MaxRunLength.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Contains("{1," + TokenizerEncodings.RunLength + "}", TokenizerEncodings.O200kPattern, StringComparison.Ordinal);
        Assert.DoesNotContain(",Q}", TokenizerEncodings.O200kPattern, StringComparison.Ordinal);
        Assert.DoesNotContain(",Q}", TokenizerEncodings.Cl100kPattern, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("o200k")]
    [InlineData("cl100k")]
    public void The_generated_split_finds_the_same_pieces_as_the_pattern_interpreted_at_run_time(string encoding)
    {
        var (generated, pattern) = encoding == "o200k"
            ? (TokenizerEncodings.O200kSplit(), TokenizerEncodings.O200kPattern)
            : (TokenizerEncodings.Cl100kSplit(), TokenizerEncodings.Cl100kPattern);
        var interpreted = new Regex(pattern, RegexOptions.CultureInvariant);
        var random = new Random(16);
        var parts = new[]
        {
            "Where is my order #4711?", " It's", "  \t", "\r\n", "HTTPServer", "don'T", "12345678", "注文番号", "Заказ",
            "😀🚀", "\u0301", "   indented", "x" + new string('a', 300), new string(' ', 600), "/* code */", "ünïcödé", "\n\n\n",
        };
        for (var i = 0; i < 2_000; i++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 12)).Select(_ => parts[random.Next(parts.Length)]));
            var expected = interpreted.Matches(text).Select(m => (m.Index, m.Length)).ToList();
            var actual = new List<(int, int)>();
            foreach (var match in generated.EnumerateMatches(text)) actual.Add((match.Index, match.Length));
            Assert.Equal(expected, actual);
        }
    }
}
