using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// How a per-request guard ends a run whose budget its next request would exceed, as the run guard above it asks: one
/// last request without tools for a final answer, or a response that says the budget stopped the run. Either way the
/// response carries no tool call, so a function-invoking loop ends with it, and nothing is silently truncated: its
/// <see cref="BudgetChatClient.StopReasonKey"/> says why.
/// </summary>
internal static class RunEnd
{
    /// <summary>The run state when <paramref name="denial"/> is a run-budget denial inside a run guard that ends runs gracefully.</summary>
    public static RunState? Applies(BudgetDenial denial) =>
        denial is { Kind: DenialKind.WindowLimit, Window: BudgetWindow.Run } && BudgetScope.CurrentRunState is { Ending: not RunEnding.Throw } state ? state : null;

    public static async Task<ChatResponse> EndAsync(BudgetChatClient guard, RunState run, IList<ChatMessage> messages, ChatOptions options,
        ReservationContext context, BudgetDenial denial, CancellationToken cancellationToken)
    {
        run.Stop(denial.Reason);
        if (run.Ending == RunEnding.FinalAnswer)
        {
            var final = new List<ChatMessage>(messages) { new(ChatRole.User, run.FinalAnswerInstruction) };
            var finalOptions = options.Clone();
            finalOptions.Tools = null;
            finalOptions.ToolMode = ChatToolMode.None;
            finalOptions.MaxOutputTokens = Math.Min(finalOptions.MaxOutputTokens ?? int.MaxValue, run.FinalAnswerMaxOutputTokens);
            // The headroom the loop could not use is the final answer's.
            var response = await guard.TryFinalAnswerAsync(final, finalOptions, context with { RunHeadroom = 0 }, cancellationToken).ConfigureAwait(false);
            if (response is not null)
            {
                (response.AdditionalProperties ??= new())[BudgetChatClient.StopReasonKey] = denial.Reason;
                return response;
            }
        }
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "The run stopped before it finished: its budget is spent. " + denial.Reason))
        {
            FinishReason = RunBudgetChatClient.BudgetExhausted,
            AdditionalProperties = new() { [BudgetChatClient.StopReasonKey] = denial.Reason },
        };
    }
}
