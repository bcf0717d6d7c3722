namespace GuardedAI.Tests;

/// <summary>
/// A provider answered, but GuardedAI could not count what it used (a vocabulary that failed to load fails every
/// count). The call is still settled — never left for its lease to run out and give the usage back — with everything it
/// reserved, or what the provider reported where that is more; then the caller gets the error. Through the chat guard,
/// called and streamed.
/// </summary>
public class UnreadUsageTests
{
    private const string Answer = "Shipped. It arrives tomorrow.";

    private static BudgetPolicy Policy() => BudgetPolicy.Create("unread").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).WithMaxOutputTokens(50).Build();

    [Theory]
    [InlineData(3, 50)]   // the provider reports less than was reserved: the reservation counts
    [InlineData(80, 80)]  // it reports more (it ignored the output cap): its report counts
    public async Task A_call_is_settled_with_the_larger_of_the_reservation_and_the_report_before_the_caller_gets_the_error(int reportedOutput, long counted)
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient
        {
            Respond = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, Answer)) { Usage = new() { InputTokenCount = 2, OutputTokenCount = reportedOutput } },
        };
        var client = Guard(inner, engine, failOn: Answer);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync("Where is my order?"));

        Assert.Equal("the vocabulary failed to load", error.Message);
        var record = Assert.Single(engine.Ledger.Snapshot());
        var reservedInput = record.ReservedInputTokens;
        Assert.True(reservedInput > 2);
        Assert.Equal((UsageStatus.Success, reservedInput, counted, false), (record.Status, record.InputTokens, record.OutputTokens, record.UsageReported));
        Assert.Contains("could not read what the call used", record.Reason);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
        Assert.Equal(reservedInput + counted, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_stream_that_ends_but_cannot_be_read_is_settled_and_its_reader_then_gets_the_error()
    {
        // Each chunk counts; the whole answer, read at the end, does not.
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient { Stream = (_, _) => Chunks(reportedOutput: 9) };
        var client = Guard(inner, engine, failOn: Answer);

        var read = new List<string>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Where is my order?")) read.Add(update.Text);
        });

        Assert.Equal("the vocabulary failed to load", error.Message);
        Assert.Equal(Answer, string.Concat(read)); // every update reached the reader before the error
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((UsageStatus.Success, record.ReservedInputTokens, 50L), (record.Status, record.InputTokens, record.OutputTokens));
        Assert.Contains("could not read what the call used", record.Reason);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
        Assert.Equal(record.ReservedInputTokens + 50, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_stream_whose_chunk_cannot_be_counted_is_stopped_and_counted_with_everything_reserved()
    {
        var (engine, _, _) = TestEngine.Create();
        var inner = new FakeChatClient { Stream = (_, _) => Chunks(reportedOutput: 9) };
        var client = Guard(inner, engine, failOn: " It arrives");

        var read = new List<string>();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Where is my order?")) read.Add(update.Text);
        });

        Assert.Equal("the vocabulary failed to load", error.Message);
        Assert.Equal(["Shipped."], read); // the chunk that could not be counted was not handed on
        Assert.True(inner.StreamedUpdates < 4, "the provider's stream was stopped");
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((UsageStatus.Cancelled, record.ReservedInputTokens, 50L), (record.Status, record.InputTokens, record.OutputTokens));
        Assert.Contains("could not read what the call used", record.Reason);
        Assert.Contains("could not count what arrived", record.Reason);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    private static BudgetChatClient Guard(FakeChatClient inner, BudgetEngine engine, string failOn)
    {
        var client = new BudgetChatClient(inner, engine, Policy());
        client.DefaultModelCounter = new FailingCounter(client.DefaultModelCounter, failOn);
        return client;
    }

    private static IEnumerable<ChatResponseUpdate> Chunks(int reportedOutput)
    {
        yield return new ChatResponseUpdate(ChatRole.Assistant, "Shipped.");
        yield return new ChatResponseUpdate(ChatRole.Assistant, " It arrives");
        yield return new ChatResponseUpdate(ChatRole.Assistant, " tomorrow.");
        yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 2, OutputTokenCount = reportedOutput })] };
    }

    /// <summary>The real counter, except that counting <c>failOn</c> fails as a count does when its vocabulary failed to load.</summary>
    private sealed class FailingCounter(ITokenCounter real, string failOn) : ITokenCounter
    {
        public string Encoding => real.Encoding;
        public bool IsExact => real.IsExact;

        public int CountText(string text, int maxTokens = int.MaxValue) =>
            text == failOn ? throw new InvalidOperationException("the vocabulary failed to load") : real.CountText(text, maxTokens);

        public int CountMessages(IEnumerable<ChatMessage> messages, int maxTokens = int.MaxValue) => real.CountMessages(messages, maxTokens);
    }
}
