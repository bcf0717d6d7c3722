namespace GuardedAI.Reports;

/// <summary>Which records an aggregate or a read covers, besides its time range. Null fields do not filter.</summary>
public sealed record UsageFilter
{
    /// <summary>No filter.</summary>
    public static UsageFilter None { get; } = new();

    /// <summary>Only this budget.</summary>
    public string? Budget { get; init; }

    /// <summary>Only this tenant.</summary>
    public string? Tenant { get; init; }

    /// <summary>Only this provider.</summary>
    public string? Provider { get; init; }

    /// <summary>Only this model id (exactly as recorded).</summary>
    public string? Model { get; init; }

    /// <summary>Only this conversation.</summary>
    public string? ConversationId { get; init; }

    /// <summary>Only this run.</summary>
    public string? RunId { get; init; }

    /// <summary>Only records whose tag <see cref="TagKey"/> has the value <see cref="TagValue"/>.</summary>
    public string? TagKey { get; init; }

    /// <summary>See <see cref="TagKey"/>.</summary>
    public string? TagValue { get; init; }

    /// <summary>Only these outcomes (null: all).</summary>
    public IReadOnlyList<UsageStatus>? Statuses { get; init; }

    /// <summary>Whether an hourly rollup of budget, tenant, provider, model, status and price table can apply this filter.</summary>
    public bool IsRolledUp => ConversationId is null && RunId is null && TagKey is null;

    /// <summary>Whether <paramref name="record"/> passes (for stores that filter in memory).</summary>
    public bool Matches(UsageRecord record) =>
        (Budget is null || string.Equals(record.Budget, Budget, StringComparison.Ordinal)) &&
        (Tenant is null || string.Equals(record.Tenant, Tenant, StringComparison.Ordinal)) &&
        (Provider is null || string.Equals(record.Provider, Provider, StringComparison.Ordinal)) &&
        (Model is null || string.Equals(record.Model, Model, StringComparison.Ordinal)) &&
        (ConversationId is null || string.Equals(record.ConversationId, ConversationId, StringComparison.Ordinal)) &&
        (RunId is null || string.Equals(record.RunId, RunId, StringComparison.Ordinal)) &&
        (TagKey is null || (record.Tags.TryGetValue(TagKey, out var v) && string.Equals(v, TagValue, StringComparison.Ordinal))) &&
        (Statuses is null || Statuses.Contains(record.Status));
}
