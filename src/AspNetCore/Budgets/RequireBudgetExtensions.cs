using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace GuardedAI.AspNetCore;

/// <summary>Puts minimal-API endpoints under a GuardedAI budget.</summary>
public static class RequireBudgetExtensions
{
    /// <summary>
    /// Puts the endpoints of <paramref name="builder"/> (one endpoint or a group) under the budget
    /// <paramref name="budgetName"/>: the request's tenant (by default the authenticated user; see
    /// <see cref="BudgetEndpointOptions"/>) is ambient in the handler, so every guarded call inside counts against the
    /// budget and the tenant's budget; a denial becomes a 429 (503 when the store is down) problem response with
    /// <c>Retry-After</c> and rate-limit fields; an allowed response carries the rate-limit fields too.
    /// </summary>
    public static TBuilder RequireBudget<TBuilder>(this TBuilder builder, string budgetName, Action<BudgetEndpointOptions>? configure = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(budgetName);
        var options = new BudgetEndpointOptions();
        configure?.Invoke(options);
        var filter = new BudgetEndpointFilter(budgetName, new TenantResolver(options.Sources.ToArray()), options.TenantRequired);
        builder.AddEndpointFilter(filter);
        builder.WithMetadata(
            new RequiredBudgetMetadata(budgetName),
            new ProducesResponseTypeMetadata(StatusCodes.Status429TooManyRequests, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]),
            new ProducesResponseTypeMetadata(StatusCodes.Status503ServiceUnavailable, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
        return builder;
    }
}

/// <summary>Endpoint metadata: the budget an endpoint is under.</summary>
public sealed class RequiredBudgetMetadata
{
    internal RequiredBudgetMetadata(string budget) => Budget = budget;

    /// <summary>The budget's name.</summary>
    public string Budget { get; }
}
