using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Puts a route handler under a budget: resolves the tenant, makes it ambient for the handler (so every guarded call
/// inside counts against the tenant's budget too), turns a denial into a 429/503 problem, and adds the rate-limit
/// fields of the budget and tenant to the response when it starts.
/// </summary>
internal sealed class BudgetEndpointFilter(string budget, TenantResolver tenants, bool tenantRequired) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var http = invocation.HttpContext;
        var engine = http.RequestServices.GetRequiredService<BudgetEngine>();
        var policy = engine.GetPolicy(budget) ?? throw new InvalidOperationException(
            $"RequireBudget(\"{budget}\") on {http.Request.Path}: no budget named '{budget}' is registered. " +
            $"Budgets: {string.Join(", ", engine.Policies.Select(p => p.Name).DefaultIfEmpty("(none)"))}.");

        var (tenant, error) = tenants.Resolve(http);
        if (error is not null) return TypedResults.Problem(error, statusCode: StatusCodes.Status400BadRequest, title: "Invalid tenant");
        if (tenant is null && tenantRequired)
        {
            return TypedResults.Problem($"The endpoint {http.Request.Path} is under the budget '{budget}' per tenant, and this request names no tenant.",
                statusCode: StatusCodes.Status400BadRequest, title: "Tenant required");
        }

        http.Features.Set(new GuardedRequest(budget, tenant));
        http.Response.OnStarting(UsageFieldsAsync, new UsageFieldsState(http, engine, policy, tenant));
        using var scope = BudgetScope.Begin(tenant);
        try
        {
            return await next(invocation).ConfigureAwait(false);
        }
        catch (Exception ex) when (DenialResponse.Find(ex) is not null && !http.Response.HasStarted)
        {
            return new DenialResult(DenialResponse.Find(ex)!);
        }
    }

    private static async Task UsageFieldsAsync(object state)
    {
        var (http, engine, policy, tenant) = (UsageFieldsState)state;
        if (http.Items.ContainsKey(DenialResponse.WrittenKey)) return;
        List<LimitUsage> usages;
        try
        {
            usages = new List<LimitUsage>(await engine.GetUsageAsync(policy).ConfigureAwait(false));
            if (tenant is not null && engine.GetTenantPolicy(tenant) is { } tenantPolicy)
            {
                usages.AddRange(await engine.GetUsageAsync(tenantPolicy).ConfigureAwait(false));
            }
        }
        catch (Exception) when (!http.RequestAborted.IsCancellationRequested)
        {
            // The counters cannot be read (the store is down and the engine runs on its fallback): the answer the caller
            // paid for goes out without the fields rather than fail for want of them.
            return;
        }
        RateLimitFields.Write(http.Response.Headers, usages, engine.TimeProvider.GetUtcNow());
    }

    private sealed record UsageFieldsState(HttpContext Http, BudgetEngine Engine, BudgetPolicy Policy, string? Tenant);

    private sealed class DenialResult(BudgetExceededException denied) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext) => DenialResponse.WriteAsync(httpContext, denied.Denial, denied).AsTask();
    }
}
