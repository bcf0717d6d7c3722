namespace GuardedAI;

/// <summary>
/// The reservation contexts one guard hands to the engine. A context is immutable, so calls that say the same about
/// themselves share one: a call with nothing of its own gets the guard's plain context (only its provider), and a call
/// for a tenant or in a conversation, with no tags, run or downgrade, gets the context it got last time for the same
/// tenant and conversation. A team that bills its customers makes every call for a tenant, and a chat makes every turn
/// in a conversation: building the same context on each call was one of a tenant's call's two objects
/// (docs/benchmarks.md, nineteenth round). Bounded (<see cref="BoundedCache{TKey, TValue}"/>, <see cref="Capacity"/>
/// contexts), and built with the guard's first such call, so a guard that never sees one holds nothing.
/// </summary>
internal sealed class CallContexts(string? provider)
{
    public const int Capacity = 4096;

    private readonly ReservationContext _plain = new() { Provider = provider };
    private BoundedCache<Key, ReservationContext>? _shared;

    /// <summary>The context of a call (see <see cref="GuardCallContext.Reservation(string?, IReadOnlyDictionary{string, string}?, string?, string?, string?)"/>).</summary>
    public ReservationContext For(string? tenant, IReadOnlyDictionary<string, string>? tags, string? conversationId, string? degradedFrom)
    {
        // Tags are a dictionary the caller may change, a run's headroom is read from its guard at this moment, and a
        // downgrade is rare: those contexts are the call's own.
        if (tags is not null || degradedFrom is not null || BudgetScope.CurrentRun is not null || BudgetScope.CurrentRunState is not null)
            return GuardCallContext.Reservation(tenant, tags, provider, conversationId, degradedFrom);

        var conversation = string.IsNullOrEmpty(conversationId) ? BudgetScope.CurrentConversation : conversationId;
        if (tenant is null && conversation is null) return _plain;

        var key = new Key(tenant, conversation);
        var shared = Volatile.Read(ref _shared) ?? First();
        if (shared.TryGetValue(key, out var context)) return context;
        context = new ReservationContext { Tenant = tenant, Provider = provider, ConversationId = conversation };
        shared.Add(key, context);
        return context;
    }

    /// <summary>How many shared contexts are held (tests).</summary>
    internal int Count => Volatile.Read(ref _shared)?.Count ?? 0;

    private BoundedCache<Key, ReservationContext> First()
    {
        var made = new BoundedCache<Key, ReservationContext>(Capacity);
        return Interlocked.CompareExchange(ref _shared, made, null) ?? made;
    }

    /// <summary>A tenant and a conversation, compared by their text.</summary>
    private readonly record struct Key(string? Tenant, string? Conversation);
}
