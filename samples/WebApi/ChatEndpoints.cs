using System.Text.Json;
using GuardedAI.AspNetCore;
using Microsoft.Extensions.AI;

namespace GuardedAI.Samples.WebApi;

/// <summary>The guarded chat API: one answer, or the answer streamed as server-sent events.</summary>
internal static class ChatEndpoints
{
    public static void Map(WebApplication app)
    {
        // Every call inside these endpoints counts against the "chat" budget and the calling user's tenant budget; a
        // denial becomes 429 with Retry-After and rate-limit fields, and every answer carries the fields too.
        var chat = app.MapGroup("/chat").RequireAuthorization().RequireBudget("chat").WithTags("Chat");

        chat.MapPost("/", async (ChatRequest request, IChatClient client, CancellationToken ct) =>
            {
                if (Invalid(request) is { } problem) return problem;
                var response = await client.GetResponseAsync(request.Message!, request.Options(), ct);
                return Results.Ok(new ChatAnswer(response.Text, response.Usage?.InputTokenCount ?? 0, response.Usage?.OutputTokenCount ?? 0));
            })
            .WithName("Chat").WithSummary("Answers a message under the chat budget.");

        chat.MapPost("/stream", async (ChatRequest request, IChatClient client, HttpContext http, CancellationToken ct) =>
            {
                if (Invalid(request) is { } problem) return problem;
                // The stream is written here, inside the handler, so the user's tenant is still ambient and a denial (which
                // comes with the first update, before anything is sent) still becomes a 429.
                await using var updates = client.GetStreamingResponseAsync(request.Message!, request.Options(), ct).GetAsyncEnumerator(ct);
                var more = await updates.MoveNextAsync();
                http.Response.ContentType = "text/event-stream";
                http.Response.Headers.CacheControl = "no-store";
                while (more)
                {
                    if (updates.Current.Text is { Length: > 0 } text)
                    {
                        await http.Response.WriteAsync($"event: delta\ndata: {JsonSerializer.Serialize(new { text })}\n\n", ct);
                        await http.Response.Body.FlushAsync(ct);
                    }
                    more = await updates.MoveNextAsync();
                }
                await http.Response.WriteAsync("event: done\ndata: {}\n\n", ct);
                return Results.Empty;
            })
            .WithName("ChatStream").WithSummary("Streams the answer as server-sent events under the chat budget.");
    }

    private static IResult? Invalid(ChatRequest request) =>
        string.IsNullOrWhiteSpace(request.Message) ? Results.Problem("message is required.", statusCode: StatusCodes.Status400BadRequest) : null;
}

/// <summary>A message, and optionally the conversation it belongs to (the dashboard shows the costliest conversations).</summary>
internal sealed record ChatRequest(string? Message, string? ConversationId = null)
{
    public ChatOptions? Options() => string.IsNullOrWhiteSpace(ConversationId) ? null : new ChatOptions { ConversationId = ConversationId };
}

internal sealed record ChatAnswer(string Answer, long InputTokens, long OutputTokens);
