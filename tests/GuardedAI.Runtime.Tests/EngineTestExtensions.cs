using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.Tests;

/// <summary>
/// Shorthands for tests that exercise the engine as the middleware does: reserve or throw the denial as
/// <see cref="BudgetExceededException"/>, then settle the lease with a status. The engine's internal parts (alerts, the
/// counter store) are reached through <see cref="BudgetEngine"/>'s internal <c>Parts</c>.
/// </summary>
internal static class EngineTestExtensions
{
    extension(BudgetEngine engine)
    {
        public AlertDispatcher Alerts => engine.Parts.Alerts;

        public IBudgetCounterStore Store => engine.Parts.Store.Primary;

        public TokenCounterRegistry Tokenizers => engine.Parts.Tokenizers;

        /// <summary>Reserves, or throws the denial as the middleware does.</summary>
        public async ValueTask<BudgetLease> ReserveAsync(BudgetPolicy policy, UsageEstimate estimate, ReservationContext? context = null, CancellationToken cancellationToken = default)
        {
            var lease = await engine.TryReserveAsync(policy, estimate, context, cancellationToken);
            return lease.IsAcquired ? lease : throw new BudgetExceededException(lease.Denial!);
        }

        /// <summary>Settles with a status: Success commits, Cancelled cancels, Failed fails.</summary>
        public async ValueTask<LeaseSettlement> CommitAsync(BudgetLease lease, TokenUsage usage, bool reportedByProvider = true, UsageStatus status = UsageStatus.Success, string? reason = null) =>
            status switch
            {
                UsageStatus.Success => await lease.CommitAsync(usage, reportedByProvider),
                UsageStatus.Failed => await lease.FailAsync(reason ?? "failed", usage, reportedByProvider),
                _ => await lease.CancelAsync(reason ?? "cancelled", usage, reportedByProvider),
            };

        /// <summary>The record the engine's ledger keeps for <paramref name="lease"/>'s call.</summary>
        public UsageRecord RecordOf(BudgetLease lease) => engine.Ledger.Snapshot().Single(r => r.Id == lease.Id);

        /// <summary>Settles a call that did not complete.</summary>
        public ValueTask<LeaseSettlement> ReleaseAsync(BudgetLease lease, UsageStatus status, string? reason, TokenUsage consumed = default) =>
            engine.CommitAsync(lease, consumed, reportedByProvider: false, status, reason);
    }

    extension(BudgetEngine engine)
    {
        /// <summary>The middleware's estimate of a chat call; a prompt too large to count throws its denial, as the middleware does.</summary>
        public UsageEstimate Estimate(BudgetPolicy policy, IEnumerable<ChatMessage> messages, ChatOptions? options, ITokenCounter? counter = null, string? model = null)
        {
            var (estimate, denial) = ChatEstimator.Estimate(engine, policy, messages, options, counter, model);
            return denial is null ? estimate : throw new BudgetExceededException(denial);
        }
    }

    extension(IGuardedAIBuilder builder)
    {
        /// <summary>For tests that build a provider straight from AddGuardedAI(...).</summary>
        public ServiceProvider BuildServiceProvider() => builder.Services.BuildServiceProvider();
    }
}
