namespace GuardedAI;

/// <summary>What a call is expected to use at most; this is what is reserved.</summary>
/// <param name="Model">The model the call goes to.</param>
/// <param name="InputTokens">Prompt tokens, counted with the model's tokenizer (chat overhead included).</param>
/// <param name="OutputTokens">The output cap of the call (its <c>MaxOutputTokens</c>).</param>
/// <param name="CostUsd">The price of those tokens.</param>
public readonly record struct UsageEstimate(string? Model, long InputTokens, long OutputTokens, decimal CostUsd)
{
    /// <summary>What is reserved: a provider request (the default), or a user turn (<see cref="BudgetDimension.Turns"/>; no
    /// request, no tokens, no cost).</summary>
    public UsageKind Kind { get; init; }

    /// <summary>The estimate of one user turn, reserved by <c>UseRunBudget</c> against turn limits.</summary>
    public static UsageEstimate Turn(string? model) => new(model, 0, 0, 0) { Kind = UsageKind.Turn };

    internal UsageAmounts Amounts => UsageAmounts.Of(Kind, InputTokens, OutputTokens, CostUsd);
}

/// <summary>What one reservation stands for.</summary>
public enum UsageKind
{
    /// <summary>One request to a provider: counts towards <see cref="BudgetDimension.Requests"/>, tokens and cost.</summary>
    ProviderRequest = 0,
    /// <summary>One user turn through the run guard: counts towards <see cref="BudgetDimension.Turns"/> only.</summary>
    Turn,
    /// <summary>The cost a tool reported for itself (a paid search, a translation API): counts towards cost only.</summary>
    ToolCall,
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

    /// <summary>The conversation the call belongs to; its <see cref="BudgetWindow.Conversation"/> limits are checked too.</summary>
    public string? ConversationId { get; init; }

    /// <summary>The agent run the call belongs to; its <see cref="BudgetWindow.Run"/> limits are checked too.</summary>
    public string? RunId { get; init; }

    /// <summary>The fraction (0 to 1) of each <see cref="BudgetWindow.Run"/> limit held back from this call, so that a run
    /// guard can still afford a final answer when the loop's budget runs out (set by <c>UseRunBudget</c>).</summary>
    public double RunHeadroom { get; init; }

    /// <summary>The model the call asked for, when the budget's degradation sent it to a cheaper one.</summary>
    public string? DegradedFrom { get; init; }
}
