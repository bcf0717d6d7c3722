using System.ClientModel;
using System.Text.Json;
using OpenAI;
using OpenAI.Chat;

namespace GuardedAI.Tests;

/// <summary>
/// The README's "without Microsoft.Extensions.AI" example: a raw OpenAI SDK call put under a budget with a lease
/// alone, against a loopback server that answers in OpenAI's chat-completions wire format.
/// </summary>
public class RawSdkLeaseTests
{
    private const string Completion = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1760000000,"model":"gpt-4o-mini-2024-07-18",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Your order ships tomorrow."},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":21,"completion_tokens":6,"total_tokens":27,"prompt_tokens_details":{"cached_tokens":0}}}
        """;

    [Fact]
    public async Task A_raw_sdk_call_is_reserved_before_and_settled_with_the_usage_the_sdk_parsed()
    {
        await using var server = new LoopbackHttpServer((_, _) => (200, Completion));
        var (engine, _, _) = TestEngine.Create();
        var budget = BudgetPolicy.Create("raw").ForModel("gpt-4o-mini")
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1)
            .WithLimit(BudgetDimension.CostUsd, BudgetWindow.Day, 1m).Build();
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential("test-key"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1") });

        var (answer, record) = await AskAsync(engine, budget, client, "Where is my order?");

        Assert.Equal("Your order ships tomorrow.", answer);
        Assert.Equal((21L, 6L, UsageStatus.Success, true), (record!.InputTokens, record.OutputTokens, record.Status, record.UsageReported));
        Assert.Equal(engine.Prices.ComputeCost("gpt-4o-mini", new TokenUsage(21, 6)), record.CostUsd);
        // The cap the lease reserved is the cap the request carried.
        using var sent = JsonDocument.Parse(Assert.Single(server.Requests));
        Assert.Equal(200, sent.RootElement.GetProperty("max_completion_tokens").GetInt32());

        // The daily request limit is spent: the second call is denied without reaching the server.
        var (denied, _) = await AskAsync(engine, budget, client, "And my refund?");
        Assert.StartsWith("Budget 'raw' denied the call: the daily requests limit is 1", denied);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_provider_error_fails_the_lease_and_counts_the_request()
    {
        await using var server = new LoopbackHttpServer((_, _) => (500, """{"error":{"message":"boom","type":"server_error"}}"""));
        var (engine, _, _) = TestEngine.Create();
        var budget = BudgetPolicy.Create("raw").ForModel("gpt-4o-mini").WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 10).Build();
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential("test-key"),
            new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "v1"), RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0) });

        await Assert.ThrowsAsync<ClientResultException>(() => AskAsync(engine, budget, client, "hello"));

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Contains("500", record.Reason);
        Assert.Equal(1m, (await engine.GetUsageAsync(budget)).Single().Used);
    }

    /// <summary>The pattern the README shows: estimate, reserve, call, settle; a denial is a value.</summary>
    private static async Task<(string Answer, UsageRecord? Record)> AskAsync(BudgetEngine engine, BudgetPolicy budget, ChatClient client, string question)
    {
        const int maxOutput = 200;
        var estimate = engine.Estimate("gpt-4o-mini", engine.CountTokens("gpt-4o-mini", question) + 8, maxOutput);
        await using var lease = await engine.TryReserveAsync(budget, estimate);
        if (!lease.IsAcquired) return (lease.Denial!.Reason, null);

        ChatCompletion completion;
        try
        {
            completion = await client.CompleteChatAsync([new UserChatMessage(question)], new ChatCompletionOptions { MaxOutputTokenCount = maxOutput });
        }
        catch (Exception ex)
        {
            await lease.FailAsync(ex.Message);
            throw;
        }
        var usage = new TokenUsage(completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount,
            completion.Usage.InputTokenDetails?.CachedTokenCount ?? 0, 0, completion.Usage.OutputTokenDetails?.ReasoningTokenCount ?? 0);
        var settled = await lease.CommitAsync(usage);
        var record = engine.RecordOf(lease);
        Assert.Equal((settled.InputTokens, settled.OutputTokens, settled.CostUsd), (record.InputTokens, record.OutputTokens, record.CostUsd));
        return (completion.Content[0].Text, record);
    }
}
