using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI.Responses;

namespace GuardedAI.Sdk.Tests;

/// <summary>The OpenAI SDK's Responses API client, as Microsoft.Extensions.AI.OpenAI exposes it, under a budget.</summary>
public class OpenAIResponsesTests
{
    private const string Model = "o4-mini";

    private static IChatClient Client(ProviderServer server) =>
        new ResponsesClient(new ApiKeyCredential("test-key"), new ResponsesClientOptions
        {
            Endpoint = new Uri(server.BaseAddress, "v1"),
            RetryPolicy = new ClientRetryPolicy(0),
        }).AsIChatClient(Model);

    [Fact]
    public async Task A_response_is_settled_with_its_cached_and_reasoning_tokens()
    {
        await using var server = new ProviderServer(ProviderReply.Json(OpenAIResponsesWire.Response("o4-mini-2025-04-16", "42.", 1200, 300, cached: 1000, reasoning: 200)));
        var guard = new Guarded(Model);

        var response = await guard.Wrap(Client(server)).GetResponseAsync("What is six times seven?");

        Assert.Equal("42.", response.Text);
        Assert.Equal("/v1/responses", server.Requests[0].Path);
        var record = guard.Single();
        Assert.Equal((1200L, 300L, 1000L, 200L), (record.InputTokens, record.OutputTokens, record.CachedInputTokens, record.ReasoningTokens));
        Assert.Equal(guard.CostByHand(Model, input: 1200, cached: 1000, cacheWrite: 0, output: 300), record.CostUsd);
        // The output cap the guard reserved is the one the request carried.
        Assert.Equal(record.ReservedOutputTokens, server.Requests[0].Json.GetProperty("max_output_tokens").GetInt64());
    }

    [Fact]
    public async Task A_streamed_response_is_settled_with_the_usage_of_response_completed()
    {
        await using var server = new ProviderServer(ProviderReply.Sse(OpenAIResponsesWire.Stream(Model, ["Your order ", "ships ", "tomorrow."], 44, 7)));
        var guard = new Guarded(Model);

        var text = string.Concat(await guard.Wrap(Client(server)).GetStreamingResponseAsync("Where is my order?").Select(u => u.Text).ToListAsync());

        Assert.Equal("Your order ships tomorrow.", text);
        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, true, 44L, 7L), (record.Status, record.UsageReported, record.InputTokens, record.OutputTokens));
    }
}
