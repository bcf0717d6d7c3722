using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Turns a <see cref="BudgetExceededException"/> thrown anywhere in a request (a handler, a streamed result, a service)
/// into a 429 or 503 problem response. Registered by <c>AddAspNetCore()</c>; runs inside <c>app.UseExceptionHandler()</c>.
/// </summary>
internal sealed class BudgetExceededExceptionHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (DenialResponse.Find(exception) is not { } denied) return false;
        // A response already under way (a stream that had sent its first part) cannot change its status.
        if (httpContext.Response.HasStarted) return false;
        await DenialResponse.WriteAsync(httpContext, denied.Denial, exception).ConfigureAwait(false);
        return true;
    }
}
