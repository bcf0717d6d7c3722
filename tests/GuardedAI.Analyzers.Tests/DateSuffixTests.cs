using System;
using System.Collections.Generic;
using System.Text;
using System.Text.RegularExpressions;
using GuardedAI.Schema;
using Xunit;

namespace GuardedAI.Analyzers.Tests;

/// <summary>
/// <see cref="ModelIdNormalizer.WithoutDateSuffix"/> is written out by hand in place of the regular expression it replaced
/// (issue 16): it must remove exactly what that expression removed, for any id (without a trailing newline: the ids are
/// trimmed first).
/// </summary>
public class DateSuffixTests
{
    private static readonly Regex s_replaced = new(@"([-@](\d{4}-\d{2}-\d{2}|\d{8}))(-v\d+(:\d+)?)?$", RegexOptions.CultureInvariant);

    [Theory]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("claude-3-5-sonnet@20241022", "claude-3-5-sonnet")]
    [InlineData("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku")]
    [InlineData("model-20240307-v12", "model")]
    [InlineData("gpt-4o-2024-08", "gpt-4o-2024-08")]
    [InlineData("x-2024080", "x-2024080")]
    [InlineData("x-v1", "x-v1")]
    [InlineData("-20240101", "")]
    [InlineData("x-20240101-v:1", "x-20240101-v:1")]
    [InlineData("x-20240101-v1:", "x-20240101-v1:")]
    [InlineData("x-٢٠٢٤٠١٠١", "x")] // Arabic-Indic digits are \d too
    [InlineData("", "")]
    public void Known_shapes(string id, string expected)
    {
        Assert.Equal(expected, ModelIdNormalizer.WithoutDateSuffix(id));
        Assert.Equal(expected, s_replaced.Replace(id, string.Empty));
    }

    [Fact]
    public void Agrees_with_the_regular_expression_on_random_ids()
    {
        // Pieces that make dates, versions and near misses likely, and single characters around them.
        string[] pieces = ["-", "@", "v", ":", "1", "2024", "08", "06", "20241022", "2024-08-06", "-v1", "-v2:0", "x", "٣", "0-0", "9"];
        var random = new Random(16);
        var disagreements = new List<string>();
        for (var i = 0; i < 200_000; i++)
        {
            var id = new StringBuilder();
            var count = random.Next(0, 9);
            for (var p = 0; p < count; p++) id.Append(pieces[random.Next(pieces.Length)]);
            var text = id.ToString();
            var expected = s_replaced.Replace(text, string.Empty);
            var actual = ModelIdNormalizer.WithoutDateSuffix(text);
            if (expected != actual && disagreements.Count < 10) disagreements.Add($"'{text}': expected '{expected}', got '{actual}'");
        }
        Assert.True(disagreements.Count == 0, string.Join("\n", disagreements));
    }
}
