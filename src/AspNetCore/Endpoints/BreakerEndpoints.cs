using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GuardedAI.AspNetCore;

/// <summary>The breakers: their state (GET) and the actions an operator takes (POST, JSON body, logged with who took them).</summary>
internal static class BreakerEndpoints
{
    public const int MaxReasonLength = 500;
    public const int MaxTripMinutes = 7 * 24 * 60;

    public static void Map(RouteGroupBuilder group, GuardedAIEndpointOptions options)
    {
        group.MapGet("/breakers", (HttpContext http) => GuardedAIEndpointRouteBuilderExtensions.Ok(GuardedAIEndpointRouteBuilderExtensions.Views(http, options).Breakers()))
            .WithName("GuardedAI.Breakers").WithSummary("Every budget's circuit breaker and any emergency stop.").Produces<BreakersDto>();

        var actions = group.MapGroup("/breakers").AddEndpointFilter(new SameOriginJsonFilter());
        if (options.BreakerActionsPolicy is { } policy) actions.RequireAuthorization(policy);

        actions.MapPost("/{scope}/trip", (HttpContext http, string scope, TripBreakerRequest request) =>
            {
                var engine = http.RequestServices.GetRequiredService<BudgetEngine>();
                if (!IsKnown(engine, scope)) return UnknownScope(engine, scope);
                if (Reason(request.Reason, required: true) is { } error) return error;
                if (request.Minutes is < 1 or > MaxTripMinutes)
                {
                    return GuardedAIEndpointRouteBuilderExtensions.BadRequest($"minutes must be between 1 and {MaxTripMinutes} (a week), not {request.Minutes}.");
                }
                engine.Breakers.Get(scope).Trip(request.Reason!, TimeSpan.FromMinutes(request.Minutes));
                return Done(http, options, "trip", scope, request.Reason!);
            })
            .WithName("GuardedAI.Breakers.Trip").WithSummary("Opens a budget's breaker by hand for some minutes: its calls are denied.")
            .Produces<BreakerActionDto>().ProducesProblem(400).ProducesProblem(404);

        actions.MapPost("/{scope}/reset", (HttpContext http, string scope, BreakerActionRequest request) =>
            {
                var engine = http.RequestServices.GetRequiredService<BudgetEngine>();
                if (!IsKnown(engine, scope)) return UnknownScope(engine, scope);
                if (Reason(request.Reason, required: false) is { } error) return error;
                engine.Breakers.Get(scope).Reset();
                return Done(http, options, "reset", scope, request.Reason ?? "");
            })
            .WithName("GuardedAI.Breakers.Reset").WithSummary("Closes a budget's breaker.")
            .Produces<BreakerActionDto>().ProducesProblem(400).ProducesProblem(404);

        actions.MapPost("/emergency-stop", (HttpContext http, BreakerActionRequest request) =>
            {
                if (Reason(request.Reason, required: true) is { } error) return error;
                http.RequestServices.GetRequiredService<BudgetEngine>().Breakers.EmergencyStopAll(request.Reason!);
                return Done(http, options, "emergency-stop", "*", request.Reason!);
            })
            .WithName("GuardedAI.Breakers.EmergencyStop").WithSummary("Stops every budget, now and any created later, until reset-all.")
            .Produces<BreakerActionDto>().ProducesProblem(400);

        actions.MapPost("/reset-all", (HttpContext http, BreakerActionRequest request) =>
            {
                if (Reason(request.Reason, required: false) is { } error) return error;
                http.RequestServices.GetRequiredService<BudgetEngine>().Breakers.ResetAll();
                return Done(http, options, "reset-all", "*", request.Reason ?? "");
            })
            .WithName("GuardedAI.Breakers.ResetAll").WithSummary("Closes every breaker and lifts an emergency stop.")
            .Produces<BreakerActionDto>().ProducesProblem(400);
    }

    /// <summary>A budget, a tenant with a budget, or a scope whose breaker exists: never a breaker made up from a URL.</summary>
    private static bool IsKnown(BudgetEngine engine, string scope) =>
        engine.GetPolicy(scope) is not null
        || engine.Breakers.All.Any(b => string.Equals(b.Scope, scope, StringComparison.Ordinal))
        || (scope.StartsWith("tenant:", StringComparison.Ordinal) && engine.GetTenantPolicy(scope["tenant:".Length..]) is not null);

    private static IResult UnknownScope(BudgetEngine engine, string scope) => TypedResults.Problem(
        $"There is no budget or breaker '{scope}'. Budgets: {string.Join(", ", engine.Policies.Select(p => p.Name).Order(StringComparer.Ordinal).DefaultIfEmpty("(none)"))}.",
        statusCode: StatusCodes.Status404NotFound, title: "Unknown breaker");

    private static IResult? Reason(string? reason, bool required)
    {
        if (required && string.IsNullOrWhiteSpace(reason)) return GuardedAIEndpointRouteBuilderExtensions.BadRequest("reason is required: say why, it is logged and shown with the breaker.");
        if (reason is { Length: > MaxReasonLength }) return GuardedAIEndpointRouteBuilderExtensions.BadRequest($"reason is {reason.Length} characters long; at most {MaxReasonLength} are allowed.");
        if (reason is not null && reason.Any(char.IsControl)) return GuardedAIEndpointRouteBuilderExtensions.BadRequest("reason must be one line without control characters.");
        return null;
    }

    private static IResult Done(HttpContext http, GuardedAIEndpointOptions options, string action, string scope, string reason)
    {
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("GuardedAI.AspNetCore");
        WebLog.BreakerAction(logger, action, scope, http.User.Identity?.Name ?? "(anonymous)", http.Connection.RemoteIpAddress?.ToString() ?? "(unknown)", reason);
        var breakers = GuardedAIEndpointRouteBuilderExtensions.Views(http, options).Breakers();
        return GuardedAIEndpointRouteBuilderExtensions.Ok(new BreakerActionDto(action, breakers.EmergencyStop, breakers.Breakers));
    }
}
