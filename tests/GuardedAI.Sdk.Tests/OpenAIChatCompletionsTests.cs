using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace GuardedAI.Sdk.Tests;

/// <summary>
/// The OpenAI .NET SDK's chat-completions client, as Microsoft.Extensions.AI.OpenAI exposes it, under a budget. The
/// loopback server answers as OpenAI documents; the tokens and cost the guard settles are the ones the SDK parsed.
/// </summary>
public class OpenAIChatCompletionsTests
{
    private const string Model = "gpt-4o-mini";

    internal static IChatClient Client(ProviderServer server, string model = Model, TimeSpan? timeout = null) => Client(server.BaseAddress, model, timeout);

    internal static IChatClient Client(DroppingStreamServer server) => Client(server.BaseAddress, Model, null);

    private static IChatClient Client(Uri server, string model, TimeSpan? timeout) =>
        new OpenAIClient(new ApiKeyCredential("test-key"), new OpenAIClientOptions
        {
            Endpoint = new Uri(server, "v1"),
            RetryPolicy = new ClientRetryPolicy(0),
            NetworkTimeout = timeout ?? TimeSpan.FromSeconds(30),
        }).GetChatClient(model).AsIChatClient();

    [Fact]
    public async Task Cached_input_and_reasoning_tokens_are_settled_and_priced_as_the_sdk_parsed_them()
    {
        await using var server = new ProviderServer(ProviderReply.Json(OpenAIWire.Completion("o4-mini-2025-04-16", "42.", 1200, 300, cached: 1000, reasoning: 200)));
        var guard = new Guarded("o4-mini");

        var response = await guard.Wrap(Client(server, "o4-mini")).GetResponseAsync("What is six times seven?");

        Assert.Equal("42.", response.Text);
        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, true), (record.Status, record.UsageReported));
        Assert.Equal((1200L, 300L, 1000L, 200L), (record.InputTokens, record.OutputTokens, record.CachedInputTokens, record.ReasoningTokens));
        Assert.Equal(guard.CostByHand("o4-mini", input: 1200, cached: 1000, cacheWrite: 0, output: 300), record.CostUsd);
        Assert.Equal(1500m, await guard.UsedAsync(BudgetDimension.TotalTokens));
        // The request the SDK sent carries the output cap the guard reserved.
        Assert.True(server.Requests[0].Json.TryGetProperty("max_completion_tokens", out var cap) && cap.GetInt32() == record.ReservedOutputTokens);
    }

    [Fact]
    public async Task A_stream_is_settled_with_the_final_usage_chunk_that_include_usage_asks_for()
    {
        await using var server = new ProviderServer(ProviderReply.Sse(OpenAIWire.Stream(Model, ["Your order ", "ships ", "tomorrow."], (40, 5, 0))));
        var guard = new Guarded(Model);

        var text = string.Concat(await guard.Wrap(Client(server)).GetStreamingResponseAsync("Where is my order?").Select(u => u.Text).ToListAsync());

        Assert.Equal("Your order ships tomorrow.", text);
        var sent = server.Requests[0].Json;
        Assert.True(sent.GetProperty("stream").GetBoolean());
        Assert.True(sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, true, 40L, 5L), (record.Status, record.UsageReported, record.InputTokens, record.OutputTokens));
        Assert.Equal(guard.CostByHand(Model, 40, 0, 0, 5), record.CostUsd);
    }

    [Fact]
    public async Task A_stream_without_a_usage_chunk_is_settled_with_the_tokens_counted_in_what_arrived()
    {
        string[] pieces = ["A fairly long answer ", "that the provider streamed ", "without reporting its usage."];
        await using var server = new ProviderServer(ProviderReply.Sse(OpenAIWire.Stream(Model, pieces, usage: null)));
        var guard = new Guarded(Model);

        await foreach (var _ in guard.Wrap(Client(server)).GetStreamingResponseAsync("Tell me something.")) { }

        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, false), (record.Status, record.UsageReported));
        Assert.Equal(guard.Engine.CountTokens(Model, string.Concat(pieces)), record.OutputTokens);
        Assert.Equal(record.ReservedInputTokens, record.InputTokens);
    }

    [Fact]
    public async Task Each_provider_request_of_a_tool_loop_is_reserved_and_settled_with_its_own_usage()
    {
        var replies = new Queue<string>([
            OpenAIWire.ToolCall(Model, "call_1", "GetOrderStatus", """{"orderId":"A-17"}""", 80, 18),
            OpenAIWire.Completion(Model, "Order A-17 ships tomorrow.", 120, 9),
        ]);
        await using var server = new ProviderServer(_ => ProviderReply.Json(replies.Dequeue()));
        var guard = new Guarded(Model);
        var calls = 0;
        var tool = AIFunctionFactory.Create((string orderId) => { calls++; return $"{orderId}: ships tomorrow"; }, "GetOrderStatus");

        var response = await guard.Wrap(Client(server), invokeFunctions: true)
            .GetResponseAsync("Where is order A-17?", new ChatOptions { Tools = [tool] });

        Assert.Equal("Order A-17 ships tomorrow.", response.Text);
        Assert.Equal(1, calls);
        var requests = guard.Records.Where(r => r.Kind == UsageKind.ProviderRequest).ToList();
        Assert.Equal([(80L, 18L), (120L, 9L)], requests.Select(r => (r.InputTokens, r.OutputTokens)).ToArray());
        Assert.All(requests, r => Assert.Equal(UsageStatus.Success, r.Status));
        // The second request carried the tool's result back to the provider.
        Assert.Contains("A-17: ships tomorrow", server.Requests[1].Body);
        Assert.Equal(227m, await guard.UsedAsync(BudgetDimension.TotalTokens));
    }

    [Theory]
    [InlineData(429, "rate_limit_exceeded", "Rate limit reached for gpt-4o-mini")]
    [InlineData(500, "server_error", "The server had an error while processing your request.")]
    public async Task A_provider_error_fails_the_call_and_releases_its_tokens(int status, string type, string message)
    {
        await using var server = new ProviderServer(new ProviderReply
        {
            Status = status, Body = OpenAIWire.Error(type, message), Headers = new Dictionary<string, string> { ["retry-after"] = "7" },
        });
        var guard = new Guarded(Model);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => guard.Wrap(Client(server)).GetResponseAsync("hello"));

        Assert.Equal(status, error.Status);
        var record = guard.Single();
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), record.Reason);
        Assert.Equal(0m, await guard.UsedAsync(BudgetDimension.TotalTokens));
        Assert.Equal(1m, await guard.UsedAsync(BudgetDimension.Requests));
    }

    [Fact]
    public async Task A_request_that_times_out_fails_and_releases_its_reservation()
    {
        await using var server = new ProviderServer(new ProviderReply { Hang = true });
        var guard = new Guarded(Model);

        await Assert.ThrowsAnyAsync<Exception>(() => guard.Wrap(Client(server, timeout: TimeSpan.FromMilliseconds(300))).GetResponseAsync("hello"));

        var record = guard.Single();
        Assert.NotEqual(UsageStatus.Success, record.Status);
        Assert.Equal(0m, await guard.UsedAsync(BudgetDimension.TotalTokens));
    }

    [Fact]
    public async Task A_stream_cut_half_way_settles_what_arrived()
    {
        string[] pieces = ["The first half of the answer ", "arrived before the connection dropped"];
        await using var server = new DroppingStreamServer(OpenAIWire.Stream(Model, pieces, usage: null, done: false));
        var guard = new Guarded(Model);
        var received = new List<string>();

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in guard.Wrap(Client(server)).GetStreamingResponseAsync("Tell me a story.")) received.Add(update.Text);
        });

        Assert.Equal(string.Concat(pieces), string.Concat(received));
        var record = guard.Single();
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Equal(guard.Engine.CountTokens(Model, string.Concat(pieces)), record.OutputTokens);
        Assert.Equal(record.InputTokens + record.OutputTokens, await guard.UsedAsync(BudgetDimension.TotalTokens));
    }
}
