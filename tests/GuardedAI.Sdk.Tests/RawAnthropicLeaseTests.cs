using Anthropic;
using Anthropic.Models.Messages;

namespace GuardedAI.Sdk.Tests;

/// <summary>
/// The README's lease pattern for a caller of the raw Anthropic SDK (<c>Messages.Create</c>, no
/// Microsoft.Extensions.AI): estimate, reserve, call, settle with the usage the SDK parsed.
/// </summary>
public class RawAnthropicLeaseTests
{
    private const string Model = "claude-sonnet-4-5";

    [Fact]
    public async Task A_raw_messages_call_is_reserved_before_and_settled_with_cache_reads_and_writes()
    {
        await using var server = new ProviderServer(ProviderReply.Json(AnthropicWire.Message(Model, "Tomorrow.", input: 30, output: 4, cacheRead: 2000, cacheWrite: 100)));
        var guard = new Guarded(Model, b => b.WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 1));
        var client = AnthropicChatClientTests.Sdk(server.BaseAddress);

        var answer = await AskAsync(guard.Engine, guard.Policy, client, "When does my order ship?");

        Assert.Equal("Tomorrow.", answer);
        var record = guard.Single();
        Assert.Equal((2130L, 4L, 2000L, 100L), (record.InputTokens, record.OutputTokens, record.CachedInputTokens, record.CacheWriteInputTokens));
        Assert.Equal(guard.CostByHand(Model, input: 2130, cached: 2000, cacheWrite: 100, output: 4), record.CostUsd);
        Assert.Equal(256, server.Requests[0].Json.GetProperty("max_tokens").GetInt32());

        // The hourly request limit is spent: the next call is denied before it reaches the provider.
        var denied = await AskAsync(guard.Engine, guard.Policy, client, "And my refund?");
        Assert.StartsWith("Budget 'sdk' denied the call: the hourly requests limit is 1", denied);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task A_raw_call_the_provider_rate_limits_fails_the_lease_and_opens_the_breaker()
    {
        await using var server = new ProviderServer(new ProviderReply { Status = 429, Body = AnthropicWire.Error("rate_limit_error", "slow down") });
        var guard = new Guarded(Model);
        var client = AnthropicChatClientTests.Sdk(server.BaseAddress);

        await Assert.ThrowsAnyAsync<Exception>(() => AskAsync(guard.Engine, guard.Policy, client, "hello"));
        var denied = await AskAsync(guard.Engine, guard.Policy, client, "hello again");

        Assert.Equal(UsageStatus.Failed, guard.Records[0].Status);
        Assert.Contains("HTTP 429", denied);
        Assert.Single(server.Requests);
    }

    /// <summary>The pattern the README shows for the raw Anthropic SDK.</summary>
    private static async Task<string> AskAsync(BudgetEngine engine, BudgetPolicy budget, AnthropicClient client, string question)
    {
        const int maxOutput = 256;
        var estimate = engine.Estimate(Model, engine.CountTokens(Model, question) + 8, maxOutput);
        await using var lease = await engine.TryReserveAsync(budget, estimate);
        if (!lease.IsAcquired) return lease.Denial!.Reason;

        Message message;
        try
        {
            message = await client.Messages.Create(new MessageCreateParams
            {
                Model = Model,
                MaxTokens = maxOutput,
                Messages = [new UserMessageParam { Content = question }],
            });
        }
        catch (Exception ex)
        {
            await lease.FailAsync(ex); // a 429 opens the breaker for the provider's wait
            throw;
        }

        // Anthropic's input_tokens leaves out the tokens read from and written to the cache; all three are prompt tokens.
        var usage = message.Usage;
        long cacheRead = usage.CacheReadInputTokens ?? 0, cacheWrite = usage.CacheCreationInputTokens ?? 0;
        await lease.CommitAsync(new TokenUsage(usage.InputTokens + cacheRead + cacheWrite, usage.OutputTokens, cacheRead, cacheWrite));
        return string.Concat(message.Content.Select(block => block.TryPickText(out var text) ? text.Text : ""));
    }
}
