using System.Diagnostics;
using System.Globalization;

namespace GuardedAI;

/// <summary>
/// The guarded call's span (<c>guardedai.call</c>, source <see cref="GuardedAITelemetry.ActivitySourceName"/>): it
/// starts when the reservation is made, carries the budget, tenant and reserved amounts, and ends at settlement with
/// the actual amounts and cost; a denied call's span ends at once with the denial. Its parent is the caller's current
/// span (e.g. the chat span of an OpenTelemetry chat client outside the guard).
/// </summary>
internal static class CallTracing
{
    public static readonly ActivitySource Source = new(GuardedAITelemetry.ActivitySourceName, typeof(CallTracing).Assembly.GetName().Version?.ToString());

    /// <summary>The span of a call whose id is the engine's own: its text is written only when somebody listens.</summary>
    public static Activity? Start(BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, DateTimeOffset startedAt, GuardedAI.Engine.ReservationId leaseKey) =>
        Source.HasListeners() ? Start(policy, estimate, context, startedAt, leaseKey.ToString()) : null;

    public static Activity? Start(BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, DateTimeOffset startedAt, string leaseId)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("guardedai.call", ActivityKind.Internal, parentContext: default, startTime: startedAt);
        if (activity is null) return null;
        activity.SetTag("guardedai.budget", policy.Name);
        if (context.Tenant is not null) activity.SetTag("guardedai.tenant", context.Tenant);
        if (context.Provider is not null) activity.SetTag("gen_ai.provider.name", context.Provider);
        if (estimate.Model is not null) activity.SetTag("gen_ai.request.model", estimate.Model);
        activity.SetTag("guardedai.lease.id", leaseId);
        activity.SetTag("guardedai.reserved.input_tokens", estimate.InputTokens);
        activity.SetTag("guardedai.reserved.output_tokens", estimate.OutputTokens);
        activity.SetTag("guardedai.reserved.cost_usd", (double)estimate.CostUsd);
        return activity;
    }

    public static void Denied(BudgetPolicy policy, in UsageEstimate estimate, ReservationContext context, DateTimeOffset at, string leaseId, BudgetDenial denial)
    {
        using var activity = Start(policy, estimate, context, at, leaseId);
        if (activity is null) return;
        activity.SetTag("guardedai.denial.kind", GuardedAIMetrics.Name(denial.Kind));
        activity.SetTag("guardedai.denial.scope", denial.Scope);
        activity.SetTag("error.type", "guardedai.budget_exceeded");
        activity.SetStatus(ActivityStatusCode.Error, denial.Reason);
        activity.SetEndTime(at.UtcDateTime);
    }

    public static void Settled(Activity? activity, in UsageValues record, string? responseModel, string? errorType, string operation, DateTimeOffset at)
    {
        if (activity is null) return;
        activity.SetTag("gen_ai.operation.name", operation);
        if (responseModel is not null) activity.SetTag("gen_ai.response.model", responseModel);
        activity.SetTag("gen_ai.usage.input_tokens", record.InputTokens);
        activity.SetTag("gen_ai.usage.output_tokens", record.OutputTokens);
        activity.SetTag("guardedai.actual.input_tokens", record.InputTokens);
        activity.SetTag("guardedai.actual.output_tokens", record.OutputTokens);
        activity.SetTag("guardedai.actual.cost_usd", (double)record.CostUsd);
        // The cost attributes upstream proposes (provisional): the amount, its currency, and that GuardedAI priced it.
        activity.SetTag("gen_ai.usage.cost.amount", (double)record.CostUsd);
        activity.SetTag("gen_ai.usage.cost.currency", "USD");
        activity.SetTag("gen_ai.usage.cost.source", "local");
        activity.SetTag("guardedai.status", record.Status.ToString().ToLower(CultureInfo.InvariantCulture));
        if (errorType is not null)
        {
            activity.SetTag("error.type", errorType);
            activity.SetStatus(ActivityStatusCode.Error, record.Reason);
        }
        activity.SetEndTime(at.UtcDateTime);
        activity.Stop();
    }
}
