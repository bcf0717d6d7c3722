namespace GuardedAI;

/// <summary>How a call ended.</summary>
public enum UsageStatus
{
    /// <summary>The provider answered.</summary>
    Success,
    /// <summary>The provider call failed (it still counts as a request).</summary>
    Failed,
    /// <summary>GuardedAI denied the call before it reached the provider.</summary>
    Denied,
    /// <summary>The caller cancelled, or abandoned a stream; what was consumed is counted.</summary>
    Cancelled,
}

/// <summary>One provider call as the ledger keeps it: allowed, failed or denied.</summary>
public sealed record UsageRecord
{
    /// <summary>A unique id (the reservation id for calls that reserved).</summary>
    public required string Id { get; init; }

    /// <summary>When the call started.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The budget name.</summary>
    public required string Budget { get; init; }

    /// <summary>The tenant (customer) key, if the call carried one.</summary>
    public string? Tenant { get; init; }

    /// <summary>The conversation the call belonged to, if any.</summary>
    public string? ConversationId { get; init; }

    /// <summary>The agent run the call belonged to, if any.</summary>
    public string? RunId { get; init; }

    /// <summary>What the record stands for: a provider request (the default) or a user turn of a run guard.</summary>
    public UsageKind Kind { get; init; }

    /// <summary>The model the call asked for, when the budget's degradation sent it to <see cref="Model"/> instead.</summary>
    public string? DegradedFrom { get; init; }

    /// <summary>The provider, e.g. <c>openai</c>.</summary>
    public string? Provider { get; init; }

    /// <summary>The model id.</summary>
    public string? Model { get; init; }

    /// <summary>Prompt tokens billed (cached included).</summary>
    public long InputTokens { get; init; }

    /// <summary>Completion tokens billed.</summary>
    public long OutputTokens { get; init; }

    /// <summary>Prompt tokens read from the provider's cache.</summary>
    public long CachedInputTokens { get; init; }

    /// <summary>Completion tokens spent on reasoning.</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's cache.</summary>
    public long CacheWriteInputTokens { get; init; }

    /// <summary>Input tokens as the provider reported them, before GuardedAI distrusted them (null: it reported none).</summary>
    public long? ReportedInputTokens { get; init; }

    /// <summary>Output tokens as the provider reported them (null: it reported none).</summary>
    public long? ReportedOutputTokens { get; init; }

    /// <summary>The total the provider reported, if it reported one.</summary>
    public long? ReportedTotalTokens { get; init; }

    /// <summary>Cached input tokens as the provider reported them (null: it reported no usage).</summary>
    public long? ReportedCachedInputTokens { get; init; }

    /// <summary>Reasoning tokens as the provider reported them (null: it reported no usage).</summary>
    public long? ReportedReasoningTokens { get; init; }

    /// <summary>What GuardedAI corrected in the reported usage, or that the call ran over its reservation; null when nothing was wrong.</summary>
    public string? Anomalies { get; init; }

    /// <summary>Input tokens GuardedAI estimated and reserved.</summary>
    public long ReservedInputTokens { get; init; }

    /// <summary>Output tokens GuardedAI reserved (the output cap).</summary>
    public long ReservedOutputTokens { get; init; }

    /// <summary>The reserved cost in USD.</summary>
    public decimal ReservedCostUsd { get; init; }

    /// <summary>The actual cost in USD.</summary>
    public decimal CostUsd { get; init; }

    /// <summary>Whether the token counts came from the provider (false: GuardedAI counted the text).</summary>
    public bool UsageReported { get; init; }

    /// <summary>How long the call took.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>How it ended.</summary>
    public required UsageStatus Status { get; init; }

    /// <summary>For denied or failed calls, why.</summary>
    public string? Reason { get; init; }

    /// <summary>The version of the price table that priced the call (e.g. <c>2025-11-20#3fa9c2d1</c>: the table's date
    /// and a hash of its entries), so a bill can be explained after prices change. Null for records written before
    /// GuardedAI recorded it.</summary>
    public string? PriceTableVersion { get; init; }

    /// <summary>The budgets evaluated in shadow (<see cref="EnforcementMode.Shadow"/>, or a shadow companion) that would
    /// have denied this call, comma-separated; null when none would. The call went ahead.</summary>
    public string? WouldBeDeniedBy { get; init; }

    /// <summary>Why they would have denied it: each denial's sentence, <c>" | "</c> between them; null when none would.</summary>
    public string? WouldBeDeniedReason { get; init; }

    /// <summary>Free-form tags (e.g. <c>category=billing</c>) that reports can group by.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = EmptyTags;

    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => Saturating.Add(InputTokens, OutputTokens);

    internal static readonly IReadOnlyDictionary<string, string> EmptyTags = new Dictionary<string, string>();
}
