namespace GuardedAI.Tests.Rollout;

/// <summary>A reproducible sequence of calls: when each starts, what it reserves, what it really used, and whether the
/// provider failed it. The same sequence is sent through engines that differ only in a budget's mode.</summary>
internal sealed record ShadowCall(int Index, TimeSpan Gap, long Input, long Output, TokenUsage Actual, bool ProviderFails, string? Tenant, string? Conversation);

internal static class ShadowSequence
{
    public static IReadOnlyList<ShadowCall> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var calls = new List<ShadowCall>(count);
        for (var i = 0; i < count; i++)
        {
            // Bursts and pauses, so that minute and hour windows both fill up and roll over.
            var gap = random.Next(10) switch
            {
                0 => TimeSpan.FromMinutes(random.Next(5, 50)),
                < 4 => TimeSpan.FromSeconds(random.Next(1, 30)),
                _ => TimeSpan.FromMilliseconds(random.Next(0, 900)),
            };
            var input = random.Next(50, 1_500);
            var output = random.Next(1, 10) == 1 ? random.Next(900, 1_200) : random.Next(50, 800); // a few above the output cap
            var actual = new TokenUsage(input, Math.Max(1, output - random.Next(0, output / 2)));
            calls.Add(new ShadowCall(i, gap, input, output, actual, random.Next(8) == 0,
                random.Next(3) == 0 ? "acme" : null, random.Next(4) == 0 ? "c" + random.Next(5) : null));
        }
        return calls;
    }
}
