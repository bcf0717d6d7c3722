using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace GuardedAI.AspNetCore;

/// <summary>Reads a request's tenant from the sources of <see cref="BudgetEndpointOptions"/>, and checks it.</summary>
internal sealed class TenantResolver(IReadOnlyList<TenantSource> sources)
{
    /// <summary>The longest tenant accepted: a tenant is a key, not a document.</summary>
    public const int MaxLength = 128;

    private static readonly TenantSource s_defaultUser = new(TenantSourceKind.User, null);

    public (string? Tenant, string? Error) Resolve(HttpContext context)
    {
        foreach (var source in sources.Count == 0 ? [s_defaultUser] : sources)
        {
            var value = Read(context, source);
            if (value is null) continue;
            if (Problem(value) is { } problem) return (null, $"The tenant from {source.Describe()} is not valid: {problem}.");
            return (value, null);
        }
        return (null, null);
    }

    private static string? Read(HttpContext context, TenantSource source)
    {
        string? value;
        switch (source.Kind)
        {
            case TenantSourceKind.User:
                if (context.User.Identity?.IsAuthenticated != true) return null;
                value = source.Name is null
                    ? context.User.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? context.User.Identity.Name
                    : context.User.FindFirst(source.Name)?.Value;
                break;
            case TenantSourceKind.RouteValue:
                value = context.Request.RouteValues.TryGetValue(source.Name!, out var routeValue) ? Convert.ToString(routeValue, CultureInfo.InvariantCulture) : null;
                break;
            default:
                var header = context.Request.Headers[source.Name!];
                if (header.Count > 1) return "\u0000"; // several values: refused below, never guessed
                value = header.Count == 1 ? header[0] : null;
                break;
        }
        return string.IsNullOrEmpty(value) ? null : value;
    }

    private static string? Problem(string tenant)
    {
        if (tenant.Length > MaxLength) return $"it is {tenant.Length} characters long; at most {MaxLength} are allowed";
        if (tenant.Any(char.IsControl)) return "it holds a control character or several values";
        if (tenant.Trim().Length != tenant.Length) return "it starts or ends with white space";
        return null;
    }
}
