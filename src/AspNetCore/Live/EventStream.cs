using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace GuardedAI.AspNetCore;

/// <summary>
/// <c>/events</c>: server-sent events that say "something changed, read the JSON again". An <c>update</c> event is sent
/// at once, after each change (bursts within a quarter second become one), and at the heartbeat when nothing changed;
/// it carries the change version and the time. The stream ends when the client leaves or the application stops.
/// </summary>
internal static class EventStream
{
    private static readonly TimeSpan s_coalesce = TimeSpan.FromMilliseconds(250);

    public static void Map(RouteGroupBuilder group, GuardedAIEndpointOptions options) =>
        group.MapGet("/events", (HttpContext http) =>
            {
                var signal = http.RequestServices.GetRequiredService<UsageChangeSignal>();
                var engine = http.RequestServices.GetRequiredService<BudgetEngine>();
                var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                http.Response.Headers.CacheControl = "no-store";
                return TypedResults.ServerSentEvents(Updates(signal, engine, options.Heartbeat, http.RequestAborted, stopping));
            })
            .WithName("GuardedAI.Events").WithSummary("Server-sent 'update' events when usage, breakers or alerts change.");

    private static async IAsyncEnumerable<SseItem<UpdateDto>> Updates(UsageChangeSignal signal, BudgetEngine engine, TimeSpan heartbeat,
        CancellationToken aborted, CancellationToken stopping, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping, cancellationToken);
        var token = linked.Token;
        while (!token.IsCancellationRequested)
        {
            var next = signal.NextChange(); // taken before the version is read, so no change falls between the two
            yield return new SseItem<UpdateDto>(new UpdateDto(signal.Version, engine.TimeProvider.GetUtcNow()), "update");
            await Task.WhenAny(next, Task.Delay(heartbeat, token)).ConfigureAwait(false);
            if (next.IsCompleted) await Task.WhenAny(Task.Delay(s_coalesce, token)).ConfigureAwait(false);
        }
    }
}

internal sealed record UpdateDto(long Version, DateTimeOffset Time);
