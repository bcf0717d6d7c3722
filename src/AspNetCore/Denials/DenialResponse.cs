using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Writes a denial as HTTP: 429 (503 when the counter store is down in fail-closed mode, or the host is under pressure)
/// <c>application/problem+json</c> through <see cref="IProblemDetailsService"/>, with the reason, the limit, the usage
/// and <c>retryAfter</c>, and the <c>Retry-After</c> and rate-limit fields.
/// </summary>
internal static class DenialResponse
{
    /// <summary>The <see cref="HttpContext.Items"/> key that marks a response as a written denial (usage fields then stay off).</summary>
    public static readonly object WrittenKey = new();

    public static int StatusCodeOf(BudgetDenial denial) => denial.Kind is DenialKind.StoreUnavailable or DenialKind.HostPressure
        ? StatusCodes.Status503ServiceUnavailable
        : StatusCodes.Status429TooManyRequests;

    /// <summary>The first <see cref="BudgetExceededException"/> in <paramref name="exception"/> or its inner exceptions.</summary>
    public static BudgetExceededException? Find(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; depth++)
        {
            if (exception is BudgetExceededException budget) return budget;
            if (exception is AggregateException { InnerExceptions.Count: 1 } aggregate) exception = aggregate.InnerExceptions[0];
            else exception = exception.InnerException;
        }
        return null;
    }

    public static async ValueTask WriteAsync(HttpContext context, BudgetDenial denial, Exception? exception)
    {
        var engine = context.RequestServices.GetService<BudgetEngine>();
        var now = engine?.TimeProvider.GetUtcNow() ?? DateTimeOffset.UtcNow;
        var response = context.Response;
        context.Items[WrittenKey] = true;
        response.StatusCode = StatusCodeOf(denial);
        RateLimitFields.WriteDenial(response.Headers, denial, WindowOf(engine, denial, now), now);

        var problem = new ProblemDetails
        {
            Status = response.StatusCode,
            Type = "urn:guardedai:denial:" + Kebab(denial.Kind.ToString()),
            Title = response.StatusCode == StatusCodes.Status503ServiceUnavailable ? "The budget cannot be checked right now" : "Budget exceeded",
            Detail = denial.Reason,
            Instance = context.Request.Path,
        };
        problem.Extensions["reason"] = denial.Reason;
        problem.Extensions["kind"] = denial.Kind.ToString();
        problem.Extensions["scope"] = denial.Scope;
        problem.Extensions["dimension"] = denial.Dimension?.ToString();
        problem.Extensions["window"] = denial.Window?.ToString();
        problem.Extensions["limit"] = denial.Limit;
        problem.Extensions["usage"] = denial.Used;
        problem.Extensions["requested"] = denial.Requested;
        problem.Extensions["retryAfter"] = denial.RetryAfter is { } after ? RateLimitFields.Seconds(after) : null;
        problem.Extensions["retryAt"] = denial.RetryAt(now)?.ToString("O", CultureInfo.InvariantCulture);

        var service = context.RequestServices.GetService<IProblemDetailsService>();
        var written = service is not null && await service.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = problem,
            Exception = exception,
        }).ConfigureAwait(false);
        // A caller whose Accept excludes JSON still gets the problem: the status alone would not say when to retry.
        if (!written) await response.WriteAsJsonAsync(problem, options: null, contentType: "application/problem+json").ConfigureAwait(false);
    }

    private static (DateTimeOffset, DateTimeOffset)? WindowOf(BudgetEngine? engine, BudgetDenial denial, DateTimeOffset now)
    {
        if (engine is null || denial.Window is not { } window || window is BudgetWindow.Conversation or BudgetWindow.Run) return null;
        const string tenantPrefix = "tenant:";
        var policy = denial.Scope.StartsWith(tenantPrefix, StringComparison.Ordinal)
            ? engine.GetTenantPolicy(denial.Scope[tenantPrefix.Length..])
            : engine.GetPolicy(denial.Scope);
        return policy?.GetWindowBounds(window, now);
    }

    private static string Kebab(string pascal)
    {
        var builder = new System.Text.StringBuilder(pascal.Length + 4);
        foreach (var c in pascal)
        {
            if (char.IsUpper(c) && builder.Length > 0) builder.Append('-');
            builder.Append(char.ToLowerInvariant(c));
        }
        return builder.ToString();
    }
}
