namespace GuardedAI;

/// <summary>Amounts of each dimension for one request: what is reserved, or what was actually used.</summary>
/// <param name="Requests">Requests (normally 1).</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="CostUsd">Cost in US dollars.</param>
/// <param name="Turns">User turns (see <see cref="UsageKind.Turn"/>).</param>
internal readonly record struct UsageAmounts(long Requests, long InputTokens, long OutputTokens, decimal CostUsd, long Turns = 0)
{
    // Decimal arithmetic is the dearest step of turning a cost into counter units, and every cost limit of a reservation
    // and of its settlement asks for it: done once. (Nothing builds a UsageAmounts with `with`, which would keep it stale.)
    private readonly long _costUnits = BudgetUnits.ToUnits(BudgetDimension.CostUsd, CostUsd);

    /// <summary>The amounts of one reservation of <paramref name="kind"/>: a provider request counts one request and its
    /// tokens and cost; a user turn counts one turn and nothing else.</summary>
    public static UsageAmounts Of(UsageKind kind, long inputTokens, long outputTokens, decimal costUsd) => kind switch
    {
        UsageKind.Turn => new UsageAmounts(0, 0, 0, 0m, Turns: 1),
        UsageKind.ToolCall => new UsageAmounts(0, 0, 0, costUsd),
        _ => new UsageAmounts(1, inputTokens, outputTokens, costUsd),
    };

    /// <summary>Input plus output tokens.</summary>
    public long TotalTokens => InputTokens + OutputTokens;

    /// <summary>The amounts in counter units, one number per dimension.</summary>
    public CounterUnits Counters => new(Requests, InputTokens, OutputTokens, _costUnits, Turns);

    /// <summary>The amount of <paramref name="dimension"/>, in counter units (see <see cref="BudgetUnits"/>).</summary>
    public long Units(BudgetDimension dimension) => Counters.Units(dimension);

    /// <summary>The amount of <paramref name="dimension"/> in its natural unit.</summary>
    public decimal Amount(BudgetDimension dimension) => dimension == BudgetDimension.CostUsd ? CostUsd : Units(dimension);
}
