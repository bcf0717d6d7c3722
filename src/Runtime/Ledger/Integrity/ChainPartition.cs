namespace GuardedAI.Integrity;

/// <summary>
/// Splits a ledger's chain segments into ranges verified in parallel. Segments are ordered by their UTF-8 bytes — the
/// order both SQL stores keep text in (SQLite's own, PostgreSQL's <c>COLLATE "C"</c>) — so a range read with
/// <c>segment &gt;= from AND segment &lt; to</c> in SQL holds exactly the segments <see cref="InRange"/> says, and the
/// ranges cover every segment, with or without a head, exactly once.
/// </summary>
internal static class ChainPartition
{
    /// <summary>Up to <paramref name="workers"/> ranges of about the same number of entries (by their heads); one range
    /// covering everything when the chain is too small to split (fewer than <paramref name="minEntriesPerWorker"/> each).</summary>
    public static List<(string? From, string? To)> Split(IReadOnlyCollection<ChainHead> heads, int workers, long minEntriesPerWorker)
    {
        var sorted = heads.Select(h => (h.Segment, Entries: Math.Max(0, h.Length - h.StartPosition) + 1)).OrderBy(h => h.Segment, Utf8Order.Instance).ToList();
        var total = sorted.Sum(h => h.Entries);
        var count = (int)Math.Min(workers, total / Math.Max(1, minEntriesPerWorker));
        var ranges = new List<(string?, string?)>();
        if (count <= 1)
        {
            ranges.Add((null, null));
            return ranges;
        }
        string? from = null;
        long sum = 0;
        var next = 1;
        for (var i = 0; i < sorted.Count - 1 && next < count; i++)
        {
            sum += sorted[i].Entries;
            if (sum * count < total * next) continue;
            ranges.Add((from, sorted[i + 1].Segment));
            from = sorted[i + 1].Segment;
            next++;
        }
        ranges.Add((from, null));
        return ranges;
    }

    /// <summary>Whether <paramref name="segment"/> lies in the range <c>[from, to)</c> (null: open at that end).</summary>
    public static bool InRange(string segment, string? from, string? to) =>
        (from is null || Utf8Order.Instance.Compare(segment, from) >= 0) && (to is null || Utf8Order.Instance.Compare(segment, to) < 0);

    /// <summary>Text compared by its UTF-8 bytes (differs from ordinal UTF-16 order only past U+FFFF).</summary>
    private sealed class Utf8Order : IComparer<string>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y)
        {
            if (ReferenceEquals(x, y)) return 0;
            if (x is null) return -1;
            if (y is null) return 1;
            return System.Text.Encoding.UTF8.GetBytes(x).AsSpan().SequenceCompareTo(System.Text.Encoding.UTF8.GetBytes(y));
        }
    }
}
