using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// Puts a whole agent run — every provider request a tool loop makes for one user call — under one budget. It sits
/// outside the loop (<c>UseRunBudget()</c> before <c>UseFunctionInvocation()</c>), while a <see cref="BudgetChatClient"/>
/// stays next to the provider and reserves each request: this guard starts a run (the ambient
/// <see cref="BudgetScope.CurrentRun"/>, or a new one), so each request also counts towards the policy's
/// <see cref="BudgetWindow.Run"/> limits, and counts one user turn towards its <see cref="BudgetDimension.Turns"/> limits.
/// When the next request of the loop would exceed the run's budget, the run ends as <see cref="Ending"/> says.
/// </summary>
public class RunBudgetChatClient : DelegatingChatClient
{
    /// <summary>The finish reason of a response that ends a run because its budget is spent, with no further request.</summary>
    public static ChatFinishReason BudgetExhausted { get; } = new("budget_exhausted");

    /// <summary>Creates the run guard.</summary>
    /// <param name="innerClient">The tool loop (a <see cref="FunctionInvokingChatClient"/> over a pipeline that ends in a <see cref="BudgetChatClient"/>).</param>
    /// <param name="engine">The engine.</param>
    /// <param name="policy">The budget whose run and turn limits apply (normally the one the per-request guard uses).</param>
    /// <exception cref="InvalidOperationException">No <see cref="BudgetChatClient"/> sits beneath: nothing would reserve the run's requests.</exception>
    public RunBudgetChatClient(IChatClient innerClient, BudgetEngine engine, BudgetPolicy policy)
        : base(innerClient)
    {
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        if (innerClient.GetService(typeof(BudgetChatClient)) is null)
        {
            throw new InvalidOperationException(
                $"UseRunBudget for budget '{policy.Name}' needs a per-request guard beneath it, next to the provider: " +
                "new ChatClientBuilder(provider).UseRunBudget(...).UseFunctionInvocation().UseBudget(...).Build().");
        }
    }

    /// <summary>The engine.</summary>
    public BudgetEngine Engine { get; }

    /// <summary>The budget whose run and turn limits apply.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>How a run ends when its budget is spent (default <see cref="RunEnding.FinalAnswer"/>).</summary>
    public RunEnding Ending { get; set; } = RunEnding.FinalAnswer;

    /// <summary>With <see cref="RunEnding.FinalAnswer"/>, the fraction of each run limit the loop may not use, kept for the
    /// final answer (default 0.2).</summary>
    public double FinalAnswerHeadroom
    {
        get;
        set => field = value is >= 0 and < 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "FinalAnswerHeadroom must be in [0, 1).");
    } = 0.2;

    /// <summary>The output cap of the final answer (default 512 tokens).</summary>
    public int FinalAnswerMaxOutputTokens
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "FinalAnswerMaxOutputTokens must be positive.");
    } = 512;

    /// <summary>The instruction added to the conversation for the final answer.</summary>
    public string FinalAnswerInstruction { get; set; } =
        "The budget for this task is spent. Do not call any tool. Give your best final answer now, with what you already know, and say what is left undone.";

    /// <inheritdoc/>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var state = new RunState(Engine, Policy, this);
        using var run = BudgetScope.BeginRun(BudgetScope.CurrentRun ?? NewRunId(), state);
        await using var turn = await ReserveTurnAsync(options, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        if (turn is not null) await turn.CommitAsync(default, reportedByProvider: false).ConfigureAwait(false);
        return Mark(response, state);
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = new RunState(Engine, Policy, this);
        using var run = BudgetScope.BeginRun(BudgetScope.CurrentRun ?? NewRunId(), state);
        await using var turn = await ReserveTurnAsync(options, cancellationToken).ConfigureAwait(false);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false)) yield return update;
        if (turn is not null) await turn.CommitAsync(default, reportedByProvider: false).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(RunBudgetChatClient) ? this : base.GetService(serviceType, serviceKey);

    /// <summary>One user turn, when the policy limits turns; a denial (e.g. a conversation's turn limit) is thrown.</summary>
    private async ValueTask<BudgetLease?> ReserveTurnAsync(ChatOptions? options, CancellationToken cancellationToken)
    {
        if (!Policy.Limits.Any(l => l.Dimension == BudgetDimension.Turns)) return null;
        var (tenant, tags, _) = GuardCallContext.Read(options?.AdditionalProperties, null, null);
        var context = GuardCallContext.Reservation(tenant, tags, null, options?.ConversationId) with { RunHeadroom = 0 };
        var turn = await Engine.TryReserveAsync(Policy, UsageEstimate.Turn(options?.ModelId ?? Policy.Model), context, cancellationToken).ConfigureAwait(false);
        return turn.IsAcquired ? turn : throw new BudgetExceededException(turn.Denial!);
    }

    private static ChatResponse Mark(ChatResponse response, RunState state)
    {
        if (state.StopReason is { } reason) (response.AdditionalProperties ??= new())[BudgetChatClient.StopReasonKey] = reason;
        return response;
    }

    private static string NewRunId() => Guid.CreateVersion7().ToString("N");
}
