namespace GuardedAI.Tests;

/// <summary>The table that keeps short pieces inside its slots: a hit is always the piece asked for, whatever collides
/// or races, and only short, non-empty pieces are kept.</summary>
public class ShortPieceTableTests
{
    private static int CountOf(ReadOnlySpan<char> piece) => piece.Length * 31 + piece[0] % 7 + piece[^1] % 5;

    [Fact]
    public void A_piece_is_found_with_its_count_and_pieces_that_differ_anywhere_are_not_confused()
    {
        var table = new ShortPieceTable();
        // Pieces that differ only in length (a trailing NUL looks like the zero padding), only in their last character,
        // only in a character's high byte, or only in the third word.
        string[] pieces = ["a", "a\0", "a\0\0", "ab", "abcdefghijkl", "abcdefghijkm", "\u0161", "\u0061\u0100", "order", " order", "012345678901", "01234567890\u0131"];
        foreach (var piece in pieces) table.Add(piece, CountOf(piece));
        foreach (var piece in pieces)
        {
            if (table.TryGet(piece, out var count)) Assert.Equal(CountOf(piece), count);
        }
        var missing = pieces.Where(p => !table.TryGet(p, out _)).ToList();
        Assert.True(missing.Count <= 1, "missing: " + string.Join(", ", missing.Select(p => System.Text.Json.JsonSerializer.Serialize(p)))); // 16,384 slots: a collision among twelve is unlikely
        Assert.False(table.TryGet("never added", out _));
    }

    [Fact]
    public void Long_and_empty_pieces_are_not_kept()
    {
        var table = new ShortPieceTable();
        var longest = new string('x', ShortPieceTable.MaxLength);
        table.Add(longest, 3);
        table.Add(longest + "y", 4);
        table.Add("", 1);
        Assert.True(table.TryGet(longest, out var kept));
        Assert.Equal(3, kept);
        Assert.False(table.TryGet(longest + "y", out _));
        Assert.False(table.TryGet("", out _));
        Assert.Equal(1, table.Count());
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShortPieceTable(slots: 3));
    }

    [Fact]
    public void Pieces_that_share_a_slot_miss_and_never_read_each_others_count()
    {
        var table = new ShortPieceTable(slots: 2);
        var pieces = Enumerable.Range(0, 200).Select(i => "piece" + i).ToList();
        foreach (var piece in pieces) table.Add(piece, CountOf(piece));
        var hits = 0;
        foreach (var piece in pieces)
        {
            if (!table.TryGet(piece, out var count)) continue;
            hits++;
            Assert.Equal(CountOf(piece), count);
        }
        Assert.InRange(hits, 1, 2);
    }

    /// <summary>Eight threads write and read 64 pieces of every length through four slots, so writers keep replacing
    /// pieces while readers read them: a reader that saw half of one piece and half of another would report a count
    /// that is not its piece's.</summary>
    [Fact]
    public void Threads_racing_on_the_same_slots_only_ever_read_the_count_of_the_piece_they_asked_for()
    {
        var table = new ShortPieceTable(slots: 4);
        var pieces = Enumerable.Range(0, 64).Select(i => new string((char)('a' + i % 26), 1 + i % ShortPieceTable.MaxLength) + (char)(0x100 + i)).Select(p => p[..Math.Min(p.Length, ShortPieceTable.MaxLength)]).Distinct().ToArray();
        var (hits, wrong) = TableRace.Run(pieces, 400_000, (string piece, out int count) => table.TryGet(piece, out count), (piece, count) => table.Add(piece, count), piece => CountOf(piece));
        Assert.Equal(0, wrong);
        Assert.True(hits > 0);
    }

    /// <summary>Texts that differ only in their last character, only in length or only in a character's high byte
    /// spread over the slots as random numbers would: a slot index that ignored part of the piece would crowd them
    /// into a few slots, and the table would miss.</summary>
    [Theory]
    [InlineData("last character")]
    [InlineData("length")]
    [InlineData("high bytes")]
    [InlineData("numbers")]
    public void Pieces_that_differ_in_one_place_spread_over_the_slots(string differing)
    {
        const int slots = ShortPieceTable.Slots;
        IEnumerable<string> keys = differing switch
        {
            "last character" => Enumerable.Range(0, slots).Select(i => " order" + (char)(0x4E00 + i)),
            "length" => Enumerable.Range(1, 9).SelectMany(n => Enumerable.Range(0, slots / 9).Select(i => new string('a', n) + (char)('a' + i % 26) + (char)('a' + i / 26 % 26) + (char)('a' + i / 676))),
            "high bytes" => Enumerable.Range(0, slots).Select(i => new string([(char)((i & 0xFF) << 8), (char)(i & 0xFF00)])),
            _ => Enumerable.Range(0, slots).Select(i => " " + i),
        };
        var table = new ShortPieceTable();
        var distinct = keys.Distinct().ToList();
        foreach (var key in distinct) table.Add(key, 1);
        // n pieces thrown at m slots fill m(1 - e^(-n/m)) of them on average (63 % when n = m); allow a few per cent less.
        var expected = slots * (1 - Math.Exp(-(double)distinct.Count / slots));
        Assert.InRange(table.Count(), 0.95 * expected, slots);
    }
}
