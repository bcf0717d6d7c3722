namespace GuardedAI;

/// <summary>
/// The reservation contexts one guard hands to the engine. A context is immutable, so calls that say the same about
/// themselves share one: a call with nothing of its own gets the guard's plain context (only its provider), and a call
/// for a tenant or in a conversation, with no tags, run or downgrade, gets the context it got last time for the same
/// tenant and conversation. A team that bills its customers makes every call for a tenant, and a chat makes every turn
/// in a conversation: building the same context on each call was one of a tenant's call's two objects
/// (docs/benchmarks-history.md, nineteenth round). Bounded (<see cref="BoundedCache{TKey, TValue}"/>, <see cref="Capacity"/>
/// contexts for tenants alone and as many in conversations); a table is made with its first addition, so a guard that
/// never sees such a call holds none.
/// </summary>
internal sealed class CallContexts(string? provider)
{
    public const int Capacity = 4096;

    private readonly ReservationContext _plain = new() { Provider = provider };

    // A tenant alone (a team billing its customers: nearly every call) is looked up by its string, which the
    // dictionary hashes faster than a pair; a call in a conversation by the pair.
    private readonly BoundedCache<string, ReservationContext> _tenants = new(Capacity);
    private readonly BoundedCache<Key, ReservationContext> _conversations = new(Capacity);

    /// <summary>The context of a call (see <see cref="GuardCallContext.Reservation(string?, IReadOnlyDictionary{string, string}?, string?, string?, string?)"/>).</summary>
    public ReservationContext For(string? tenant, IReadOnlyDictionary<string, string>? tags, string? conversationId, string? degradedFrom)
    {
        // Tags are a dictionary the caller may change, a run's headroom is read from its guard at this moment, and a
        // downgrade is rare: those contexts are the call's own.
        if (tags is not null || degradedFrom is not null || BudgetScope.CurrentRun is not null || BudgetScope.CurrentRunState is not null)
            return GuardCallContext.Reservation(tenant, tags, provider, conversationId, degradedFrom);

        var conversation = string.IsNullOrEmpty(conversationId) ? BudgetScope.CurrentConversation : conversationId;
        if (conversation is null)
        {
            if (tenant is null) return _plain;
            if (_tenants.TryGetValue(tenant, out var forTenant)) return forTenant;
            forTenant = new ReservationContext { Tenant = tenant, Provider = provider };
            _tenants.Add(tenant, forTenant);
            return forTenant;
        }

        var key = new Key(tenant, conversation);
        if (_conversations.TryGetValue(key, out var context)) return context;
        context = new ReservationContext { Tenant = tenant, Provider = provider, ConversationId = conversation };
        _conversations.Add(key, context);
        return context;
    }

    /// <summary>How many shared contexts are held (tests).</summary>
    internal int Count => _tenants.Count + _conversations.Count;

    /// <summary>A tenant and a conversation, compared by their text.</summary>
    private readonly record struct Key(string? Tenant, string? Conversation);
}
