namespace GuardedAI;

/// <summary>
/// What a run guard (<see cref="RunBudgetChatClient"/>) tells the per-request guards beneath it for one run: the budget
/// the run is counted under, how much of each run limit to hold back from the loop, how to end when the budget runs out,
/// and — once it has — why it stopped.
/// </summary>
internal sealed class RunState(BudgetEngine engine, BudgetPolicy policy, RunBudgetChatClient guard)
{
    private string? _stopReason;

    public BudgetEngine Engine { get; } = engine;

    public BudgetPolicy Policy { get; } = policy;

    public RunEnding Ending => guard.Ending;

    public int FinalAnswerMaxOutputTokens => guard.FinalAnswerMaxOutputTokens;

    public string FinalAnswerInstruction => guard.FinalAnswerInstruction;

    /// <summary>The fraction of each run limit the loop may not use: kept for the final answer.</summary>
    public double Headroom => Ending == RunEnding.FinalAnswer && !IsStopped ? guard.FinalAnswerHeadroom : 0;

    public bool IsStopped => Volatile.Read(ref _stopReason) is not null;

    public string? StopReason => Volatile.Read(ref _stopReason);

    public void Stop(string reason) => Interlocked.CompareExchange(ref _stopReason, reason, null);
}

/// <summary>How a run ends when its budget would be exceeded by the next request of its tool loop.</summary>
public enum RunEnding
{
    /// <summary>One last request without tools asks the model for its final answer (within the part of the run budget held
    /// back for it, <see cref="RunBudgetChatClient.FinalAnswerHeadroom"/>); the response says the budget stopped the run.</summary>
    FinalAnswer,

    /// <summary>No further request: the run returns a response whose finish reason and
    /// <see cref="BudgetChatClient.StopReasonKey"/> say the budget stopped it.</summary>
    StopResponse,

    /// <summary>The denial is thrown as <see cref="BudgetExceededException"/>, as outside a run.</summary>
    Throw,
}
