namespace GuardedAI;

/// <summary>
/// An ambient tenant and tags for the calls made inside a <c>using</c> block, for code that cannot pass
/// <see cref="Microsoft.Extensions.AI.ChatOptions"/> down (e.g. set once per HTTP request in middleware).
/// A tenant in the call's options wins over the ambient one.
/// </summary>
public static class BudgetScope
{
    private static readonly AsyncLocal<Frame?> s_current = new();

    /// <summary>The ambient tenant, if any.</summary>
    public static string? CurrentTenant => s_current.Value?.Tenant;

    /// <summary>The ambient tags, if any.</summary>
    public static IReadOnlyDictionary<string, string>? CurrentTags => s_current.Value?.Tags;

    /// <summary>Makes <paramref name="tenant"/> (and <paramref name="tags"/>) ambient until the result is disposed.</summary>
    public static IDisposable Begin(string? tenant, IReadOnlyDictionary<string, string>? tags = null)
    {
        var previous = s_current.Value;
        s_current.Value = new Frame(tenant ?? previous?.Tenant, tags ?? previous?.Tags);
        return new Restore(previous);
    }

    private sealed record Frame(string? Tenant, IReadOnlyDictionary<string, string>? Tags);

    private sealed class Restore(Frame? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) s_current.Value = previous;
        }
    }
}
