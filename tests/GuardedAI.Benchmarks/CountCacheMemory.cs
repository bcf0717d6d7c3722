using System.Globalization;
using System.Text;

namespace GuardedAI.Benchmarks;

/// <summary>
/// What the token counter's caches keep alive (<c>countmemory length count</c>): <c>count</c> distinct texts of
/// <c>length</c> characters counted once each through the public counter, as a service counts prompts it sees once
/// (documents sent for summaries), then a full collection and the managed heap that is still reachable. The o200k
/// vocabulary (~60 MiB) is in every figure.
/// </summary>
internal static class CountCacheMemory
{
    public static async Task RunAsync(int length, int count)
    {
        await TokenCounterRegistry.LoadAsync();
        var counter = new TokenCounterRegistry().ForModel("gpt-4o-mini");
        var words = "the order shipped yesterday and should arrive within three business days according to tracking".Split(' ');
        var random = new Random(1);
        var text = new StringBuilder(length + 16);
        for (var i = 0; i < count; i++)
        {
            text.Clear().Append(i).Append(' ');
            while (text.Length < length) text.Append(words[random.Next(words.Length)]).Append(' ');
            counter.CountText(text.ToString(0, length));
        }
        var reachable = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(counter);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{count} texts of {length} characters: {reachable / 1048576.0:0.0} MiB reachable after counting"));
    }
}
