using Anthropic;
using Anthropic.Core;

namespace GuardedAI.Sdk.Tests;

/// <summary>
/// The Anthropic .NET SDK's own <see cref="IChatClient"/> under a budget, against a loopback server that answers as
/// Anthropic's Messages API documents. Cache reads and writes are priced at their own rates.
/// </summary>
public class AnthropicChatClientTests
{
    private const string Model = "claude-sonnet-4-5";

    internal static AnthropicClient Sdk(Uri server, TimeSpan? timeout = null) => new(new ClientOptions
    {
        ApiKey = "test-key",
        BaseUrl = server.ToString().TrimEnd('/'),
        MaxRetries = 0,
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
    });

    private static IChatClient Client(Uri server, TimeSpan? timeout = null) => Sdk(server, timeout).AsIChatClient(Model, 1024);

    [Fact]
    public async Task Cache_reads_and_cache_writes_are_counted_and_priced_at_their_own_rates()
    {
        await using var server = new ProviderServer(ProviderReply.Json(AnthropicWire.Message("claude-sonnet-4-5-20250929", "Hello!", input: 100, output: 50, cacheRead: 1000, cacheWrite: 500)));
        var guard = new Guarded(Model);

        var response = await guard.Wrap(Client(server.BaseAddress)).GetResponseAsync("Hi");

        Assert.Equal("Hello!", response.Text);
        Assert.Equal("/v1/messages", server.Requests[0].Path);
        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, true), (record.Status, record.UsageReported));
        // Anthropic's input_tokens excludes the cached and cache-written tokens; all of them are prompt tokens.
        Assert.Equal((1600L, 50L, 1000L), (record.InputTokens, record.OutputTokens, record.CachedInputTokens));
        Assert.Equal(guard.CostByHand(Model, input: 1600, cached: 1000, cacheWrite: 500, output: 50), record.CostUsd);
    }

    [Fact]
    public async Task A_stream_is_settled_with_message_start_input_and_message_delta_output()
    {
        await using var server = new ProviderServer(ProviderReply.Sse(AnthropicWire.Stream(Model, ["Your order ", "ships ", "tomorrow."], input: 25, output: 12)));
        var guard = new Guarded(Model);

        var text = string.Concat(await guard.Wrap(Client(server.BaseAddress)).GetStreamingResponseAsync("Where is my order?").Select(u => u.Text).ToListAsync());

        Assert.Equal("Your order ships tomorrow.", text);
        Assert.True(server.Requests[0].Json.GetProperty("stream").GetBoolean());
        var record = guard.Single();
        Assert.Equal((UsageStatus.Success, true, 25L, 12L), (record.Status, record.UsageReported, record.InputTokens, record.OutputTokens));
        Assert.Equal(guard.CostByHand(Model, 25, 0, 0, 12), record.CostUsd);
    }

    [Fact]
    public async Task Each_request_of_a_tool_use_loop_is_settled_with_its_own_usage()
    {
        var replies = new Queue<string>([
            AnthropicWire.ToolUse(Model, "toolu_01", "GetOrderStatus", """{"orderId":"A-17"}""", 300, 40),
            AnthropicWire.Message(Model, "Order A-17 ships tomorrow.", 380, 12),
        ]);
        await using var server = new ProviderServer(_ => ProviderReply.Json(replies.Dequeue()));
        var guard = new Guarded(Model);
        var tool = AIFunctionFactory.Create((string orderId) => $"{orderId}: ships tomorrow", "GetOrderStatus");

        var response = await guard.Wrap(Client(server.BaseAddress), invokeFunctions: true)
            .GetResponseAsync("Where is order A-17?", new ChatOptions { Tools = [tool] });

        Assert.Equal("Order A-17 ships tomorrow.", response.Text);
        var requests = guard.Records.Where(r => r.Kind == UsageKind.ProviderRequest).ToList();
        Assert.Equal([(300L, 40L), (380L, 12L)], requests.Select(r => (r.InputTokens, r.OutputTokens)).ToArray());
        Assert.Contains("A-17: ships tomorrow", server.Requests[1].Body);
    }

    [Theory]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "api_error")]
    [InlineData(529, "overloaded_error")]
    public async Task A_provider_error_fails_the_call_and_releases_its_tokens(int status, string type)
    {
        await using var server = new ProviderServer(new ProviderReply
        {
            Status = status, Body = AnthropicWire.Error(type, "try again later"), Headers = new Dictionary<string, string> { ["retry-after"] = "7" },
        });
        var guard = new Guarded(Model);

        await Assert.ThrowsAnyAsync<Exception>(() => guard.Wrap(Client(server.BaseAddress)).GetResponseAsync("hello"));

        Assert.Single(server.Requests);
        var record = guard.Single();
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Equal(0m, await guard.UsedAsync(BudgetDimension.TotalTokens));
        Assert.Equal(1m, await guard.UsedAsync(BudgetDimension.Requests));
    }

    [Fact]
    public async Task A_request_that_times_out_fails_and_releases_its_reservation()
    {
        await using var server = new ProviderServer(new ProviderReply { Hang = true });
        var guard = new Guarded(Model);

        await Assert.ThrowsAnyAsync<Exception>(() => guard.Wrap(Client(server.BaseAddress, TimeSpan.FromMilliseconds(300))).GetResponseAsync("hello"));

        Assert.NotEqual(UsageStatus.Success, guard.Single().Status);
        Assert.Equal(0m, await guard.UsedAsync(BudgetDimension.TotalTokens));
    }

    [Fact]
    public async Task A_stream_cut_half_way_settles_what_arrived()
    {
        var events = AnthropicWire.Stream(Model, ["The first half of the answer ", "arrived before the drop"], input: 25, output: 99);
        await using var server = new DroppingStreamServer(events[..^3]); // no content_block_stop, message_delta or message_stop
        var guard = new Guarded(Model);
        var received = new List<string>();

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in guard.Wrap(Client(server.BaseAddress)).GetStreamingResponseAsync("Tell me a story.")) received.Add(update.Text);
        });

        var arrived = string.Concat(received);
        Assert.Equal("The first half of the answer arrived before the drop", arrived);
        var record = guard.Single();
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.True(record.OutputTokens >= guard.Engine.CountTokens(Model, arrived), $"{record.OutputTokens} output tokens counted for what arrived");
        Assert.Equal(record.InputTokens + record.OutputTokens, await guard.UsedAsync(BudgetDimension.TotalTokens));
    }
}
