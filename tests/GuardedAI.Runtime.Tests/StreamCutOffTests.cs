namespace GuardedAI.Tests;

/// <summary>A provider that ignores max_tokens is stopped within one chunk of the reservation.</summary>
public class StreamCutOffTests
{
    [Fact]
    public async Task A_stream_ten_times_the_requested_output_is_cut_at_the_reservation_and_the_request_cancelled()
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient
        {
            // Ten times the 50 output tokens the guard asks for, one short word (one token) a chunk.
            Stream = (_, options) => Enumerable.Range(0, 10 * options!.MaxOutputTokens!.Value).Select(i => new ChatResponseUpdate(ChatRole.Assistant, " word")),
        };
        var policy = BudgetPolicy.Create("stream").ForModel("gpt-4o-mini").WithMaxOutputTokens(50).WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).Build();
        var client = new BudgetChatClient(inner, engine, policy);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Tell me everything.")) updates.Add(update);

        // 51 word chunks reached the caller (the one that crossed the reservation included), then the guard's own end.
        Assert.Equal(51, updates.Count(u => u.Text == " word"));
        var last = updates[^1];
        Assert.Equal(ChatFinishReason.Length, last.FinishReason);
        Assert.Contains("past the 50 reserved", (string)last.AdditionalProperties![BudgetChatClient.StopReasonKey]!);
        // The provider was told to stop: its token was cancelled and it produced no more than the guard read.
        Assert.True(inner.StreamSawCancellation);
        Assert.Equal(51, inner.StreamedUpdates);

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Equal(51, record.OutputTokens);                       // what arrived: one chunk past the reservation
        Assert.Contains("GuardedAI stopped the stream", record.Reason);
        Assert.Equal(51m, (await engine.GetUsageAsync(policy)).Single().Used - record.InputTokens);
    }

    [Fact]
    public async Task A_stream_within_its_reservation_is_not_touched()
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient { Stream = (_, _) => Enumerable.Range(0, 20).Select(_ => new ChatResponseUpdate(ChatRole.Assistant, " word")) };
        var policy = BudgetPolicy.Create("stream").ForModel("gpt-4o-mini").WithMaxOutputTokens(50).Build();
        var client = new BudgetChatClient(inner, engine, policy);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("Short, please.")) updates.Add(update);

        Assert.Equal(20, updates.Count);
        Assert.DoesNotContain(updates, u => u.AdditionalProperties?.ContainsKey(BudgetChatClient.StopReasonKey) == true);
        Assert.False(inner.StreamSawCancellation);
        Assert.Equal((UsageStatus.Success, 20L), (Assert.Single(engine.Ledger.Snapshot()).Status, Assert.Single(engine.Ledger.Snapshot()).OutputTokens));
    }

    [Fact]
    public async Task A_provider_usage_report_past_the_reservation_cuts_the_stream_too()
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient
        {
            Stream = (_, _) => new[]
            {
                new ChatResponseUpdate(ChatRole.Assistant, "Hello"),
                new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 12, OutputTokenCount = 400 })] },
                new ChatResponseUpdate(ChatRole.Assistant, " never read"),
            },
        };
        var policy = BudgetPolicy.Create("stream").ForModel("gpt-4o-mini").WithMaxOutputTokens(50).Build();

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in new BudgetChatClient(inner, engine, policy).GetStreamingResponseAsync("hi")) updates.Add(update);

        Assert.DoesNotContain(updates, u => u.Text == " never read");
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((12L, 400L), (record.InputTokens, record.OutputTokens)); // the provider's own report is what it bills
    }
}
