using Microsoft.ML.Tokenizers;

namespace GuardedAI.Tests;

/// <summary>The lock-free tables of counts (pieces in front of the encoder, whole message texts): never a wrong count,
/// whatever collides or races, and never more held than the table's bound.</summary>
public class CountTableTests
{
    private static int CountOf(string piece) => piece.Length * 31 + piece[0];

    [Fact]
    public void Pieces_that_share_a_slot_miss_and_never_read_each_others_count()
    {
        var cache = new CountTable(slots: 2, CountTable.MaxPieceLength);
        var pieces = Enumerable.Range(0, 200).Select(i => "piece" + i).ToList();
        foreach (var piece in pieces) cache.Add(piece, CountOf(piece));

        var hits = 0;
        foreach (var piece in pieces)
        {
            if (!cache.TryGet(piece, out var count)) continue;
            hits++;
            Assert.Equal(CountOf(piece), count);
        }
        Assert.InRange(hits, 1, 2); // two slots: the last piece written to each is found, the others miss
    }

    [Fact]
    public void Long_and_empty_pieces_are_not_kept()
    {
        var cache = CountTable.ForPieces();
        var longest = new string('x', CountTable.MaxPieceLength);
        cache.Add(longest, 3);
        cache.Add(longest + "y", 4);
        cache.Add("", 0);

        Assert.True(cache.TryGet(longest, out var kept));
        Assert.Equal(3, kept);
        Assert.False(cache.TryGet(longest + "y", out _));
        Assert.False(cache.TryGet("", out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountTable(slots: 3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountTable(slots: 4, 0));
    }

    [Fact]
    public void Threads_racing_on_the_same_slots_only_ever_read_the_count_of_the_piece_they_asked_for()
    {
        var cache = new CountTable(slots: 4, CountTable.MaxPieceLength);
        var pieces = Enumerable.Range(0, 64).Select(i => new string((char)('a' + i % 26), 1 + i % 20)).Distinct().ToArray();
        var (hits, wrong) = TableRace.Run(pieces, 200_000, (string piece, out int count) => cache.TryGet(piece, out count), (piece, count) => cache.Add(piece, count), piece => CountOf(piece));
        Assert.Equal(0, wrong);
        Assert.True(hits > 0);
    }

    [Fact]
    public void Texts_counted_again_from_the_table_and_on_many_threads_count_exactly_what_the_encoder_counts()
    {
        // Prose and code whose pieces recur: the second pass takes most pieces from the table.
        var texts = new[]
        {
            "Where is my order #4711? It was due on Monday, thanks. The order was placed on the 3rd of June.",
            "public static int Count(ReadOnlySpan<char> text) => text.Length > 0 ? Count(text[1..]) + 1 : 0;",
            "Les commandes passées avant midi partent le jour même ; après, le lendemain matin.",
            "Заказ №4711 должен был прийти в понедельник. Где он сейчас?",
            "注文番号4711はいつ届きますか？月曜日に届く予定でした。",
            "   indented\n\n\tlines\r\n  with   odd    spacing   and 'quotes' and \"more\" 12345678 😀🚀",
        };
        var reference = TiktokenTokenizer.CreateForModel("gpt-4o");
        var counter = TokenizerEncodings.Get(TokenizerEncodings.O200kBase);
        var exact = texts.Select(t => reference.CountTokens(t)).ToArray();

        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i < texts.Length; i++) Assert.Equal(exact[i], counter.Count(texts[i]));
        }
        var mismatches = 0;
        Parallel.For(0, 4_000, n =>
        {
            var i = n % texts.Length;
            if (counter.Count(texts[i]) != exact[i]) Interlocked.Increment(ref mismatches);
        });
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void A_text_table_keeps_the_instance_it_is_given_and_finds_it_from_another_instance_of_the_same_text()
    {
        var table = CountTable.ForShortTexts();
        var text = string.Concat(Enumerable.Repeat("Where is my order? ", 10));
        table.Add(text, 42);

        var rebuilt = new string(text.AsSpan()); // a history read back from storage: equal text, another string
        Assert.False(ReferenceEquals(text, rebuilt));
        Assert.True(table.TryGet(rebuilt, out var count));
        Assert.Equal(42, count);
        Assert.Same(text, Assert.Single(table.Entries()).Text);
    }

    [Fact]
    public void Full_text_tables_hold_no_more_than_their_slots_and_no_text_longer_than_they_keep()
    {
        // Ten times as many distinct texts as slots, of every length up to twice the longest kept.
        foreach (var (table, slots) in new[] { (CountTable.ForShortTexts(), CountTable.ShortTextSlots), (CountTable.ForMediumTexts(), CountTable.MediumTextSlots), (CountTable.ForLongTexts(), CountTable.LongTextSlots) })
        {
            var random = new Random(7);
            for (var i = 0; i < slots * 10; i++)
            {
                var text = new string((char)('a' + i % 26), 1 + random.Next(2 * table.MaxLength)) + i;
                table.Add(text, i);
            }
            var held = table.Entries().ToList();
            Assert.InRange(held.Count, 1, slots);
            Assert.All(held, e => Assert.InRange(e.Text.Length, 1, table.MaxLength));
            Assert.True(held.Sum(e => (long)e.Text.Length) <= (long)slots * table.MaxLength);
        }
        var longest = new string('x', CountTable.MaxLongTextLength + 1);
        var tooLong = CountTable.ForLongTexts();
        tooLong.Add(longest, 1);
        Assert.False(tooLong.TryGet(longest, out _));
    }
}
