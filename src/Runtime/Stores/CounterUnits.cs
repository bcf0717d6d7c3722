namespace GuardedAI;

/// <summary>
/// A reservation's amounts as its counters take them: one number of counter units per dimension (cost already in
/// nano-dollars, see <see cref="BudgetUnits"/>). What a <see cref="CounterReservation"/> keeps of a
/// <see cref="UsageAmounts"/> (<see cref="UsageAmounts.Counters"/>): the store asks for units only, so the decimal cost is
/// not carried twice per call.
/// </summary>
internal readonly struct CounterUnits
{
    private readonly long _requests;
    private readonly long _inputTokens;
    private readonly long _outputTokens;
    private readonly long _costUnits;
    private readonly long _turns;

    public CounterUnits(long requests, long inputTokens, long outputTokens, long costUnits, long turns)
    {
        _requests = requests;
        _inputTokens = inputTokens;
        _outputTokens = outputTokens;
        _costUnits = costUnits;
        _turns = turns;
    }

    /// <summary>The amount of <paramref name="dimension"/> in counter units (what <see cref="UsageAmounts.Units"/> answers with).</summary>
    // Inlined into the stores' loops (a reservation asks for each of its counters' amounts when it is reserved and again
    // when it is settled); the throw lives in a method of its own so that it does not stop the inlining.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public long Units(BudgetDimension dimension) => dimension switch
    {
        BudgetDimension.Requests => _requests,
        BudgetDimension.InputTokens => _inputTokens,
        BudgetDimension.OutputTokens => _outputTokens,
        BudgetDimension.TotalTokens => _inputTokens + _outputTokens,
        BudgetDimension.CostUsd => _costUnits,
        BudgetDimension.Turns => _turns,
        _ => Unknown(dimension),
    };

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long Unknown(BudgetDimension dimension) => throw new ArgumentOutOfRangeException(nameof(dimension), dimension, null);
}
