using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.AspNetCore;

/// <summary>
/// The default protection of the GuardedAI endpoints: only callers on this machine, asking for a loopback host name,
/// are answered. The host check stops DNS rebinding (a page on another site whose name resolves to 127.0.0.1).
/// </summary>
internal sealed class LocalCallersOnlyFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        if (IsLocal(http)) return next(invocation);
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("GuardedAI.AspNetCore");
        WebLog.RemoteCallerRefused(logger, http.Request.Path, http.Connection.RemoteIpAddress?.ToString() ?? "(unknown)", http.Request.Host.Value ?? "");
        return ValueTask.FromResult<object?>(TypedResults.Problem(
            "The GuardedAI endpoints answer callers on this machine only. To open them to others, pass an authorization policy: " +
            "app.MapGuardedAI(\"/guardedai\", o => o.AuthorizationPolicy = \"...\").",
            statusCode: StatusCodes.Status403Forbidden, title: "Local callers only"));
    }

    public static bool IsLocal(HttpContext http)
    {
        var remote = http.Connection.RemoteIpAddress;
        if (remote is null) return false;
        if (remote.IsIPv4MappedToIPv6) remote = remote.MapToIPv4();
        if (!IPAddress.IsLoopback(remote)) return false;
        var host = http.Request.Host.Host.Trim('[', ']');
        return string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address));
    }
}

/// <summary>
/// Breaker actions change what every caller may spend: they take a JSON body (a cross-site form cannot send one without
/// the browser asking first) and refuse a request whose <c>Origin</c> is another site.
/// </summary>
internal sealed class SameOriginJsonFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var request = invocation.HttpContext.Request;
        if (!request.HasJsonContentType())
        {
            return ValueTask.FromResult<object?>(TypedResults.Problem("A breaker action takes a JSON body (Content-Type: application/json), e.g. {\"reason\":\"...\"}.",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "JSON body required"));
        }
        var origin = request.Headers.Origin;
        if (origin.Count > 0 && !string.Equals(origin.ToString(), $"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase))
        {
            return ValueTask.FromResult<object?>(TypedResults.Problem($"A breaker action must come from this site's own pages, not from {origin}.",
                statusCode: StatusCodes.Status403Forbidden, title: "Cross-site request refused"));
        }
        return next(invocation);
    }
}
