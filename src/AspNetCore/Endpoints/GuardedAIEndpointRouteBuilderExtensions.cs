using System.Text.Json;
using GuardedAI.Reports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore;

/// <summary>Maps the GuardedAI endpoints and dashboard.</summary>
public static class GuardedAIEndpointRouteBuilderExtensions
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Maps, under <paramref name="prefix"/>: the dashboard page (the prefix itself) and its assets; JSON at
    /// <c>/status</c>, <c>/summary</c>, <c>/limits</c>, <c>/alerts</c>, <c>/denials</c>, <c>/usage/tenants</c>,
    /// <c>/usage/models</c>, <c>/usage/conversations</c>, <c>/usage/timeline</c>, <c>/forecast</c>, <c>/breakers</c>;
    /// the breaker actions (POST <c>/breakers/{scope}/trip</c>, <c>/breakers/{scope}/reset</c>,
    /// <c>/breakers/emergency-stop</c>, <c>/breakers/reset-all</c>); server-sent events at <c>/events</c>; and the health
    /// check at <c>/health</c> (200 healthy or degraded, 503 unhealthy). By default only local callers are answered
    /// (see <see cref="GuardedAIEndpointOptions.AuthorizationPolicy"/>). Needs <c>AddGuardedAI(...).AddAspNetCore()</c>.
    /// </summary>
    /// <returns>The group of the protected endpoints, for further conventions.</returns>
    public static RouteGroupBuilder MapGuardedAI(this IEndpointRouteBuilder endpoints, string prefix = "/guardedai", Action<GuardedAIEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        if (endpoints.ServiceProvider.GetService<RecentAlerts>() is null)
        {
            throw new InvalidOperationException("MapGuardedAI needs the web integration registered: services.AddGuardedAI(...).AddAspNetCore().");
        }
        var options = new GuardedAIEndpointOptions();
        configure?.Invoke(options);
        ArgumentNullException.ThrowIfNull(options.TimeZone);
        if (options.Heartbeat <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(configure), options.Heartbeat, "GuardedAIEndpointOptions.Heartbeat must be positive.");

        var group = endpoints.MapGroup(prefix).WithTags("GuardedAI");
        Protect(group, options);
        if (options.HealthRequiresAuthorization)
        {
            HealthEndpoint.Map(group);
        }
        else
        {
            HealthEndpoint.Map(endpoints.MapGroup(prefix).WithTags("GuardedAI")).AllowAnonymous();
        }

        DashboardAssets.Map(group);
        MapReads(group, options);
        BreakerEndpoints.Map(group, options);
        EventStream.Map(group, options);
        return group;
    }

    private static void Protect(RouteGroupBuilder group, GuardedAIEndpointOptions options)
    {
        if (options.AuthorizationPolicy is { } policy) group.RequireAuthorization(policy);
        else group.AddEndpointFilter(new LocalCallersOnlyFilter()).AllowAnonymous();
    }

    private static void MapReads(RouteGroupBuilder group, GuardedAIEndpointOptions options)
    {
        group.MapGet("/status", async (HttpContext http, CancellationToken ct) =>
                Ok(await Views(http, options).StatusAsync(http.RequestServices.GetRequiredService<UsageChangeSignal>().Version, ct)))
            .WithName("GuardedAI.Status").WithSummary("Whether budgets are enforced, the ledger, breakers and prices at a glance.").Produces<StatusDto>();

        group.MapGet("/summary", async (HttpContext http, CancellationToken ct) => Ok(await Views(http, options).SummaryAsync(ct)))
            .WithName("GuardedAI.Summary").WithSummary("Totals of today and this month, and today's per budget.").Produces<SummaryDto>();

        group.MapGet("/limits", async (HttpContext http, CancellationToken ct) => Ok(await Views(http, options).LimitsAsync(ct)))
            .WithName("GuardedAI.Limits").WithSummary("Every budget's limits in their current windows, thresholds and breaker.").Produces<LimitsDto>();

        group.MapGet("/alerts", (HttpContext http, int? count) =>
                Bounded(count, 50, 1, RecentAlerts.Capacity, "count") is { } error ? error : Ok(Views(http, options).Alerts(count ?? 50)))
            .WithName("GuardedAI.Alerts").WithSummary("The latest alerts of this process, newest first.").Produces<AlertsDto>().ProducesProblem(400);

        group.MapGet("/denials", async (HttpContext http, int? count, CancellationToken ct) =>
                Bounded(count, 50, 1, 500, "count") is { } error ? error : Ok(await Views(http, options).DenialsAsync(count ?? 50, ct)))
            .WithName("GuardedAI.Denials").WithSummary("The latest denied calls of the last 24 hours, newest first.").Produces<DenialsDto>().ProducesProblem(400);

        MapGroups(group, options, "tenants", UsageGrouping.Tenant, "Usage per tenant, largest cost first, with each tenant's limits.");
        MapGroups(group, options, "models", UsageGrouping.Model, "Usage per model, largest cost first.");
        MapGroups(group, options, "conversations", UsageGrouping.Conversation, "Usage per conversation, largest cost first.");

        group.MapGet("/usage/timeline", async (HttpContext http, string? bucket, CancellationToken ct) =>
            {
                UsageBucket? kind = (bucket ?? "hour").ToLowerInvariant() switch { "hour" => UsageBucket.Hour, "day" => UsageBucket.Day, _ => null };
                if (kind is null) return BadRequest($"bucket must be 'hour' (the last 24 hours) or 'day' (the last 30 days), not '{bucket}'.");
                return Ok(await Views(http, options).TimelineAsync(kind.Value, ct));
            })
            .WithName("GuardedAI.Timeline").WithSummary("Spend, tokens, requests and denials per hour (last 24 hours) or per day (last 30 days).")
            .Produces<TimelineDto>().ProducesProblem(400);

        group.MapGet("/forecast", async (HttpContext http, CancellationToken ct) => Ok(await Views(http, options).ForecastAsync(ct)))
            .WithName("GuardedAI.Forecast").WithSummary("Each budget's month-end projection and when its limits will be reached.").Produces<ForecastDto>();
    }

    private static void MapGroups(RouteGroupBuilder group, GuardedAIEndpointOptions options, string name, UsageGrouping grouping, string summary)
    {
        group.MapGet("/usage/" + name, async (HttpContext http, string? period, int? top, CancellationToken ct) =>
            {
                var p = (period ?? "day").ToLowerInvariant();
                if (p is not ("day" or "month")) return BadRequest($"period must be 'day' or 'month', not '{period}'.");
                if (Bounded(top, 10, 1, 100, "top") is { } error) return error;
                return Ok(await Views(http, options).GroupsAsync(grouping, p, top ?? 10, ct));
            })
            .WithName("GuardedAI.Usage." + name).WithSummary(summary).Produces<UsageGroupsDto>().ProducesProblem(400);
    }

    internal static UsageViews Views(HttpContext http, GuardedAIEndpointOptions options)
    {
        var services = http.RequestServices;
        var engine = services.GetRequiredService<BudgetEngine>();
        return new UsageViews(engine, services.GetRequiredService<LedgerQueries>().For(engine), services.GetRequiredService<RecentAlerts>(), options.TimeZone);
    }

    internal static IResult Ok<T>(T value) => TypedResults.Json(value, Json);

    internal static IResult BadRequest(string detail) => TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");

    private static IResult? Bounded(int? value, int fallback, int min, int max, string name) =>
        (value ?? fallback) is var v && (v < min || v > max) ? BadRequest($"{name} must be between {min} and {max}, not {v}.") : null;
}
