using System.Text;
using GuardedAI.Integrity;

namespace GuardedAI.Runtime.Tests;

/// <summary>
/// The segment ranges both SQL verifiers check in parallel: every segment in exactly one range, in the UTF-8 byte order
/// the databases keep text in — which differs from .NET's ordinal order for text past U+FFFF.
/// </summary>
public class ChainPartitionTests
{
    // U+E000 sorts before U+1F600 by UTF-8 bytes (EE… < F0…) but after it by UTF-16 code units (E000 > D83D).
    private static readonly string[] Segments =
    [
        "host-a/2030-01-01", "host-a/2030-01-02", "host-b/2030-01-01", "\uE000-writer/2030-01-01", "\U0001F600-writer/2030-01-01", "zeta/2030-01-01",
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(6)]
    public void Every_segment_falls_in_exactly_one_range(int workers)
    {
        var heads = Segments.Select((s, i) => new ChainHead(s, 10 + i, new byte[32])).ToList();

        var ranges = ChainPartition.Split(heads, workers, minEntriesPerWorker: 1);

        Assert.InRange(ranges.Count, 1, workers);
        foreach (var segment in Segments) Assert.Single(ranges, r => ChainPartition.InRange(segment, r.From, r.To));
    }

    [Fact]
    public void Range_bounds_follow_the_bytes_of_the_text_not_its_UTF16_code_units()
    {
        var heads = Segments.Select(s => new ChainHead(s, 100, new byte[32])).ToList();
        var ranges = ChainPartition.Split(heads, 6, minEntriesPerWorker: 1);
        var bounds = ranges.Skip(1).Select(r => r.From!).ToList();

        var byBytes = bounds.OrderBy(b => Encoding.UTF8.GetBytes(b), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).ToList();
        Assert.Equal(byBytes, bounds);
        // The private-use writer comes before the emoji writer, as SQLite and PostgreSQL ("C") order them.
        var privateUse = ranges.FindIndex(r => ChainPartition.InRange("\uE000-writer/2030-01-01", r.From, r.To));
        var emoji = ranges.FindIndex(r => ChainPartition.InRange("\U0001F600-writer/2030-01-01", r.From, r.To));
        Assert.True(privateUse < emoji, $"range {privateUse} should come before range {emoji}");
    }
}
