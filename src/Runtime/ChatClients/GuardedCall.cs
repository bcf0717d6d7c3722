namespace GuardedAI;

/// <summary>
/// The one reserve → call → settle sequence the chat and embedding guards share for a call that returns a single
/// response: a denial becomes <see cref="BudgetExceededException"/>; a caller's cancellation counts the prompt (it may
/// have been sent and billed); a provider failure counts the request and tells the breaker; a response settles with
/// the usage it reports.
/// </summary>
internal static class GuardedCall
{
    /// <summary>Acquires a lease or throws the denial.</summary>
    public static async ValueTask<BudgetLease> AcquireAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, CancellationToken cancellationToken)
    {
        var lease = await TryAcquireAsync(engine, policy, estimate, estimateDenial, context, cancellationToken).ConfigureAwait(false);
        return lease.IsAcquired ? lease : throw new BudgetExceededException(lease.Denial!);
    }

    /// <summary>Acquires a lease; a denial (the estimate's own, or the engine's) is on the lease.</summary>
    public static ValueTask<BudgetLease> TryAcquireAsync(BudgetEngine engine, BudgetPolicy policy, UsageEstimate estimate, BudgetDenial? estimateDenial,
        ReservationContext context, CancellationToken cancellationToken) =>
        estimateDenial is null
            ? engine.TryReserveAsync(policy, estimate, context, cancellationToken)
            : ValueTask.FromResult(engine.Parts.Reserver.Deny(estimateDenial, policy, estimate, context));

    /// <remarks>A <see cref="ValueTask{TResult}"/>: a call whose provider answers synchronously (a cache, a test double)
    /// allocates no task here; every caller awaits it once.</remarks>
    public static async ValueTask<TResult> RunAsync<TState, TResult>(
        BudgetLease lease, TState state, Func<TState, CancellationToken, Task<TResult>> call, Func<TState, TResult, (TokenUsage Usage, bool Reported)> reconcile,
        CancellationToken cancellationToken)
    {
        TResult result;
        try
        {
            result = await call(state, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (cancellationToken.IsCancellationRequested)
        {
            lease.ErrorType = ex.GetType().FullName;
            await lease.CancelAsync("cancelled by the caller", new TokenUsage(lease.Estimate.InputTokens, 0)).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await lease.FailAsync(ex).ConfigureAwait(false);
            throw;
        }
        if (result is Microsoft.Extensions.AI.ChatResponse response) lease.ResponseModel = response.ModelId;
        var (usage, reported) = reconcile(state, result);
        await lease.SettleWithoutRecordAsync(new LeaseOutcome(UsageStatus.Success, usage, reported, null)).ConfigureAwait(false);
        return result;
    }

    public static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";
}
