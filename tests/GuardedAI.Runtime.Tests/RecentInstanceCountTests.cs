namespace GuardedAI.Tests;

/// <summary>A text passed again as the same string is found by its instance (<c>ChatTokenCounter</c>'s recent
/// instances), never mistaken for another text that shares its slot.</summary>
public class RecentInstanceCountTests
{
    [Fact]
    public async Task Texts_counted_again_as_the_same_instance_or_a_copy_on_many_threads_count_what_a_fresh_counter_counts()
    {
        var counter = new ChatTokenCounter(TokenizerEncodings.O200kBase, isExact: true, margin: 1.0);
        var reference = new ChatTokenCounter(TokenizerEncodings.O200kBase, isExact: true, margin: 1.0);
        await counter.WhenLoaded;
        var random = new Random(7);
        // Four times the table's 256 slots, lengths across the short texts it serves (32 to 511 characters).
        var texts = Enumerable.Range(0, 1024).Select(i => Text(random, 32 + random.Next(480), i)).ToArray();
        var expected = texts.Select(t => reference.CountText(new string(t.AsSpan()))).ToArray();
        foreach (var text in texts) counter.CountText(text);

        await Task.WhenAll(Enumerable.Range(0, 4).Select(thread => Task.Factory.StartNew(() =>
        {
            var order = new Random(thread);
            for (var n = 0; n < 20_000; n++)
            {
                var i = order.Next(texts.Length);
                // The instance itself, or the same characters in another string.
                var text = order.Next(3) == 0 ? new string(texts[i].AsSpan()) : texts[i];
                Assert.Equal(expected[i], counter.CountText(text));
            }
        }, TaskCreationOptions.LongRunning)));
    }

    private static string Text(Random random, int length, int seed)
    {
        const string words = "budget token guard lease settle window tenant model prompt reply cost ledger";
        var pieces = words.Split(' ');
        var builder = new System.Text.StringBuilder().Append(seed).Append(' ');
        while (builder.Length < length) builder.Append(pieces[random.Next(pieces.Length)]).Append(random.Next(10) == 0 ? ". " : " ");
        return builder.ToString(0, length);
    }
}
