using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GuardedAI.AspNetCore;

/// <summary><c>/health</c>: the checks tagged <c>guardedai</c>, run by ASP.NET Core's <see cref="HealthCheckService"/>;
/// 200 when healthy or degraded, 503 when unhealthy, with the status and why.</summary>
internal static class HealthEndpoint
{
    public static RouteHandlerBuilder Map(RouteGroupBuilder group) =>
        group.MapGet("/health", async (HttpContext http, CancellationToken ct) =>
            {
                var service = http.RequestServices.GetRequiredService<HealthCheckService>();
                var report = await service.CheckHealthAsync(r => r.Tags.Contains(GuardedAIHealthCheck.Tag), ct).ConfigureAwait(false);
                var body = new HealthDto(report.Status.ToString(),
                    report.Entries.Select(e => new HealthEntryDto(e.Key, e.Value.Status.ToString(), e.Value.Description)).ToArray());
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.Json(body, GuardedAIEndpointRouteBuilderExtensions.Json,
                    statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);
            })
            .WithName("GuardedAI.Health").WithSummary("The GuardedAI health check: 200 healthy or degraded, 503 unhealthy.")
            .Produces<HealthDto>().Produces<HealthDto>(StatusCodes.Status503ServiceUnavailable);
}

internal sealed record HealthDto(string Status, IReadOnlyList<HealthEntryDto> Checks);

internal sealed record HealthEntryDto(string Name, string Status, string? Description);
