using GuardedAI.Engine;

namespace GuardedAI;

/// <summary>
/// The one reserve → call → settle sequence the chat and embedding guards share for a call that returns a single
/// response: a denial becomes <see cref="BudgetExceededException"/>; a caller's cancellation counts the prompt (it may
/// have been sent and billed); a provider failure counts the request and tells the breaker; a response settles with
/// the usage it reports.
/// </summary>
internal static class GuardedCall
{
    /// <summary>Reserves or fails with the denial (<see cref="BudgetExceededException"/>).</summary>
    public static ValueTask<HeldReservation> AcquireAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, CancellationToken cancellationToken)
    {
        if (!TryDecideAtOnce(engine, policy, estimate, estimateDenial, context, out var decision)) return AcquireLaterAsync(engine, policy, estimate, context, cancellationToken);
        return decision.Held is { } held ? new(held) : ValueTask.FromException<HeldReservation>(new BudgetExceededException(decision.Denied!.Denial!));
    }

    private static async ValueTask<HeldReservation> AcquireLaterAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate,
        ReservationContext context, CancellationToken cancellationToken)
    {
        var decision = await engine.Parts.Reserver.DecideAsync(policy, estimate, context, cancellationToken).ConfigureAwait(false);
        return decision.Held ?? throw new BudgetExceededException(decision.Denied!.Denial!);
    }

    /// <summary>Decides the call at once when nothing on the way can wait (the estimate's own denial, or the engine's
    /// <see cref="Reserver.TryDecideAtOnce"/>); false, deciding nothing, when <see cref="DecideAsync"/> must.</summary>
    public static bool TryDecideAtOnce(BudgetEngine engine, BudgetPolicy policy, in UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, out LeaseDecision decision)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (estimateDenial is null) return engine.Parts.Reserver.TryDecideAtOnce(policy, estimate, context, out decision);
        decision = engine.Parts.Reserver.Deny(estimateDenial, policy, estimate, context);
        return true;
    }

    /// <summary>Decides the call: the reservation, or the denied lease (the estimate's own denial, or the engine's).</summary>
    public static ValueTask<LeaseDecision> DecideAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return estimateDenial is null
            ? engine.Parts.Reserver.DecideAsync(policy, estimate, context, cancellationToken)
            : new(engine.Parts.Reserver.Deny(estimateDenial, policy, estimate, context));
    }

    /// <summary>Acquires a lease; a denial (the estimate's own, or the engine's) is on the lease.</summary>
    public static ValueTask<BudgetLease> TryAcquireAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return estimateDenial is null
            ? engine.Parts.Reserver.TryReserveAsync(policy, estimate, context, cancellationToken)
            : new(engine.Parts.Reserver.Deny(estimateDenial, policy, estimate, context));
    }

    /// <summary>Calls the provider under <paramref name="held"/> and settles it with what the call used; the settled
    /// reservation is then kept for the thread's next call (<see cref="HeldReservation.Recycle"/>), as nothing else holds it.</summary>
    /// <remarks>A <see cref="Task{TResult}"/>, so the chat guard can return it as its own: a provider that answers later
    /// then costs one state machine on the heap (<see cref="CompleteAsync"/>'s), where a value task here under the
    /// guard's own async method cost two. A provider that answers at once (a cache, a replay, a test double) is settled
    /// without one, and its own task is returned. The settlement reads its own state (<c>settle</c>), apart from the call's
    /// (<c>state</c>): a call that waits for its provider keeps only that, and the reservation, in its state machine (the chat
    /// guard's prepared call, ~100 B, is the call's, not the settlement's).</remarks>
    public static Task<TResult> RunAsync<TState, TSettle, TResult>(
        HeldReservation held, TState state, Func<TState, CancellationToken, Task<TResult>> call,
        TSettle settle, Func<TSettle, HeldReservation, TResult, CallUsage> reconcile, CancellationToken cancellationToken)
    {
        Task<TResult> calling;
        try
        {
            // A client that breaks the contract and returns no task fails the call as any other failure does.
            calling = call(state, cancellationToken) ?? Task.FromException<TResult>(new InvalidOperationException(
                $"The inner client returned null instead of a task; the call is counted as failed (budget '{held.Policy.Name}')."));
        }
        catch (Exception ex)
        {
            // Thrown rather than returned: handled by the same steps as a failed task.
            calling = Task.FromException<TResult>(ex);
        }
        if (!calling.IsCompletedSuccessfully) return CompleteAsync(held, settle, calling, reconcile, cancellationToken);
        try
        {
            var settling = Settle(held, settle, calling.Result, reconcile);
            if (!settling.IsCompletedSuccessfully) return SettledLaterAsync(held, settling, calling.Result);
            settling.GetAwaiter().GetResult();
            held.Recycle();
            return calling;
        }
        catch (Exception ex)
        {
            return Task.FromException<TResult>(ex);
        }
    }

    private static async Task<TResult> CompleteAsync<TSettle, TResult>(
        HeldReservation held, TSettle settle, Task<TResult> calling, Func<TSettle, HeldReservation, TResult, CallUsage> reconcile, CancellationToken cancellationToken)
    {
        TResult result;
        try
        {
            result = await calling.ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            held.ErrorType = ex.GetType().FullName;
            await held.SettleAsync(new LeaseOutcome(UsageStatus.Cancelled, new TokenUsage(held.Estimate.InputTokens, 0), false, "cancelled by the caller")).ConfigureAwait(false);
            held.Recycle();
            throw;
        }
        catch (Exception ex)
        {
            await held.SettleAsync(held.Failed(ex, default, false)).ConfigureAwait(false);
            held.Recycle();
            throw;
        }
        await Settle(held, settle, result, reconcile).ConfigureAwait(false);
        held.Recycle();
        return result;
    }

    private static async Task<TResult> SettledLaterAsync<TResult>(HeldReservation held, ValueTask settling, TResult result)
    {
        await settling.ConfigureAwait(false);
        held.Recycle();
        return result;
    }

    /// <summary>Settles a call that returned <paramref name="result"/> with the usage it reports.</summary>
    private static ValueTask Settle<TSettle, TResult>(HeldReservation held, TSettle settle, TResult result, Func<TSettle, HeldReservation, TResult, CallUsage> reconcile)
    {
        var response = result as Microsoft.Extensions.AI.ChatResponse;
        if (response is not null) held.ResponseModel = response.ModelId;
        TokenUsage usage;
        bool reported;
        try
        {
            (usage, reported) = reconcile(settle, held, result);
        }
        catch (Exception ex)
        {
            return SettleUnreadAsync(held, response?.Usage, ex);
        }
        return held.SettleAsync(new LeaseOutcome(UsageStatus.Success, usage, reported, null));
    }

    /// <summary>
    /// The provider answered, but what the call used could not be read (counting the answer failed). The call is settled
    /// with <see cref="UnreadUsage"/> before the caller gets the error.
    /// </summary>
    private static async ValueTask SettleUnreadAsync(HeldReservation held, Microsoft.Extensions.AI.UsageDetails? reported, Exception error)
    {
        await held.SettleAsync(new LeaseOutcome(UsageStatus.Success, UnreadUsage.Of(held.Estimate, reported), false, UnreadUsage.Reason(error))).ConfigureAwait(false);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
    }

    public static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";
}
