using System.Security.Claims;

namespace GuardedAI.AspNetCore;

/// <summary>
/// How <c>RequireBudget(...)</c> finds the tenant (customer) of a request. Sources are tried in the order they were
/// added; the first that has a value wins. With none added, the tenant is the authenticated user
/// (<see cref="ClaimTypes.NameIdentifier"/>, else the identity's name), and an anonymous request has no tenant: only the
/// budget's own limits apply to it.
/// </summary>
public sealed class BudgetEndpointOptions
{
    internal List<TenantSource> Sources { get; } = [];

    /// <summary>Whether a request without a tenant is refused (400 problem) instead of counted against the budget alone.</summary>
    public bool TenantRequired { get; set; }

    /// <summary>The tenant is the authenticated user's claim <paramref name="claimType"/> (default: name identifier, then name).</summary>
    public BudgetEndpointOptions TenantFromUser(string? claimType = null)
    {
        Sources.Add(new TenantSource(TenantSourceKind.User, claimType));
        return this;
    }

    /// <summary>The tenant is the route value <paramref name="name"/> (e.g. <c>/tenants/{tenant}/chat</c>). Authorize the
    /// route so a caller cannot name another customer.</summary>
    public BudgetEndpointOptions TenantFromRouteValue(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Sources.Add(new TenantSource(TenantSourceKind.RouteValue, name));
        return this;
    }

    /// <summary>The tenant is the request header <paramref name="name"/>. Only for callers you trust to set it (a gateway
    /// that authenticated the customer): anyone else could spend another tenant's budget, or a new tenant per request.</summary>
    public BudgetEndpointOptions TenantFromHeader(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Sources.Add(new TenantSource(TenantSourceKind.Header, name));
        return this;
    }
}

internal enum TenantSourceKind
{
    User,
    RouteValue,
    Header,
}

internal sealed record TenantSource(TenantSourceKind Kind, string? Name)
{
    public string Describe() => Kind switch
    {
        TenantSourceKind.User => Name is null ? "the user's identity" : $"the user's claim '{Name}'",
        TenantSourceKind.RouteValue => $"the route value '{Name}'",
        _ => $"the header '{Name}'",
    };
}
