namespace GuardedAI;

/// <summary>What a call is expected to use at most; this is what is reserved.</summary>
/// <param name="Model">The model the call goes to.</param>
/// <param name="InputTokens">Prompt tokens, counted with the model's tokenizer (chat overhead included).</param>
/// <param name="OutputTokens">The output cap of the call (its <c>MaxOutputTokens</c>).</param>
/// <param name="CostUsd">The price of those tokens.</param>
public readonly record struct UsageEstimate(string? Model, long InputTokens, long OutputTokens, decimal CostUsd)
{
    internal UsageAmounts Amounts => new(1, InputTokens, OutputTokens, CostUsd);
}

/// <summary>Who a call is for and how to label it: the tenant checked besides the budget, the provider, and tags for reports.</summary>
public sealed record ReservationContext
{
    /// <summary>No tenant, no tags.</summary>
    public static ReservationContext Empty { get; } = new();

    /// <summary>The tenant (customer) key; its budget is checked too.</summary>
    public string? Tenant { get; init; }

    /// <summary>The provider name, for records.</summary>
    public string? Provider { get; init; }

    /// <summary>Free-form tags for reports (e.g. <c>category</c> → <c>billing</c>).</summary>
    public IReadOnlyDictionary<string, string>? Tags { get; init; }
}
