namespace GuardedAI;

/// <summary>
/// Ambient context for the calls made inside a <c>using</c> block, for code that cannot pass
/// <see cref="Microsoft.Extensions.AI.ChatOptions"/> down: a tenant and tags (e.g. set once per HTTP request), a
/// conversation, and an agent run. It flows through async calls. A value in the call's options wins over the ambient one.
/// </summary>
public static class BudgetScope
{
    private static readonly AsyncLocal<Frame?> s_current = new();

    /// <summary>The ambient tenant, if any.</summary>
    public static string? CurrentTenant => s_current.Value?.Tenant;

    /// <summary>The ambient tags, if any.</summary>
    public static IReadOnlyDictionary<string, string>? CurrentTags => s_current.Value?.Tags;

    /// <summary>The ambient conversation id, if any.</summary>
    public static string? CurrentConversation => s_current.Value?.Conversation;

    /// <summary>The ambient agent run id, if any.</summary>
    public static string? CurrentRun => s_current.Value?.Run;

    /// <summary>The run guard's state for the ambient run (held-back headroom, graceful ending); null outside UseRunBudget.</summary>
    internal static RunState? CurrentRunState => s_current.Value?.RunState;

    /// <summary>Makes <paramref name="tenant"/> (and <paramref name="tags"/>) ambient until the result is disposed.</summary>
    public static IDisposable Begin(string? tenant, IReadOnlyDictionary<string, string>? tags = null) =>
        Push(previous => previous with { Tenant = tenant ?? previous.Tenant, Tags = tags ?? previous.Tags });

    /// <summary>Makes <paramref name="conversationId"/> the ambient conversation until the result is disposed: every guarded call
    /// inside counts towards its <see cref="BudgetWindow.Conversation"/> limits.</summary>
    public static IDisposable BeginConversation(string conversationId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(conversationId);
        return Push(previous => previous with { Conversation = conversationId });
    }

    /// <summary>Makes <paramref name="runId"/> the ambient agent run until the result is disposed: every guarded call inside —
    /// each request of a tool loop — counts towards its <see cref="BudgetWindow.Run"/> limits.</summary>
    public static IDisposable BeginRun(string runId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(runId);
        return Push(previous => previous with { Run = runId, RunState = null });
    }

    /// <summary>
    /// Counts a tool's own cost (a paid API it called) against the ambient run's budget and run limits. Call it from a tool
    /// that runs inside a run guard (<c>UseRunBudget</c>); the run's next request sees the cost.
    /// </summary>
    /// <exception cref="InvalidOperationException">No run guard is running: use <see cref="BudgetEngine.RecordToolCostAsync"/>.</exception>
    public static ValueTask<UsageRecord> ReportToolCostAsync(string tool, decimal costUsd)
    {
        var state = CurrentRunState ?? throw new InvalidOperationException(
            $"Tool '{tool}' reported a cost outside a run guard; report it inside UseRunBudget(...) or call BudgetEngine.RecordToolCostAsync.");
        var context = new ReservationContext
        {
            Tenant = CurrentTenant,
            Tags = CurrentTags,
            ConversationId = CurrentConversation,
            RunId = CurrentRun,
        };
        return state.Engine.RecordToolCostAsync(state.Policy, context, tool, costUsd);
    }

    internal static IDisposable BeginRun(string runId, RunState state) => Push(previous => previous with { Run = runId, RunState = state });

    private static IDisposable Push(Func<Frame, Frame> change)
    {
        var previous = s_current.Value;
        s_current.Value = change(previous ?? Frame.Empty);
        return new Restore(previous);
    }

    private sealed record Frame(string? Tenant, IReadOnlyDictionary<string, string>? Tags, string? Conversation, string? Run, RunState? RunState)
    {
        public static readonly Frame Empty = new(null, null, null, null, null);
    }

    private sealed class Restore(Frame? previous) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) s_current.Value = previous;
        }
    }
}
