namespace GuardedAI.Tests;

/// <summary>The bound shared by the engine's caches: it forgets everything past its capacity of additions, and an
/// addition with a keep rule leaves the entry the rule picks.</summary>
public class BoundedCacheTests
{
    [Fact]
    public void It_holds_at_most_its_capacity_and_keeps_what_was_added_since_it_started_again()
    {
        var cache = new BoundedCache<string, int>(100, StringComparer.Ordinal);
        for (var i = 0; i < 250; i++)
        {
            cache.Add("k" + i, i);
            // After every addition, not only at the end: the addition that starts a new table is that table's first.
            Assert.True(cache.Count <= 100, $"{cache.Count} entries held after {i + 1} additions");
        }

        Assert.InRange(cache.Count, 1, 100);
        Assert.True(cache.TryGetValue("k249", out var last));
        Assert.Equal(249, last);
        Assert.False(cache.TryGetValue("k0", out _));
    }

    [Fact]
    public void An_addition_keeps_the_first_value_unless_a_keep_rule_picks_another()
    {
        var cache = new BoundedCache<string, int>(100);
        cache.Add("a", 1);
        cache.Add("a", 2);
        Assert.True(cache.TryGetValue("a", out var first));
        Assert.Equal(1, first);

        cache.Add("a", 5, static (held, fresh) => Math.Max(held, fresh));
        cache.Add("a", 3, static (held, fresh) => Math.Max(held, fresh));
        Assert.True(cache.TryGetValue("a", out var kept));
        Assert.Equal(5, kept);
    }
}
