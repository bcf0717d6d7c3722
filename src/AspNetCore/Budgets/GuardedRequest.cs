using Microsoft.AspNetCore.Http;

namespace GuardedAI.AspNetCore;

/// <summary>The budget and tenant <c>RequireBudget(...)</c> put a request under.</summary>
public sealed class GuardedRequest
{
    internal GuardedRequest(string budget, string? tenant)
    {
        Budget = budget;
        Tenant = tenant;
    }

    /// <summary>The budget's name.</summary>
    public string Budget { get; }

    /// <summary>The tenant, or null when the request has none.</summary>
    public string? Tenant { get; }
}

/// <summary>Reads the <see cref="GuardedRequest"/> of a request.</summary>
public static class GuardedRequestHttpContextExtensions
{
    /// <summary>
    /// The budget and tenant of a request to an endpoint under <c>RequireBudget(...)</c>, or null. Inside the handler the
    /// tenant is also ambient (<see cref="BudgetScope.CurrentTenant"/>); a result that runs after the handler returns
    /// (an <see cref="IAsyncEnumerable{T}"/>) runs outside that scope and must pass the tenant itself.
    /// </summary>
    public static GuardedRequest? GetGuardedRequest(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<GuardedRequest>();
    }
}
