namespace GuardedAI.Tests;

/// <summary>
/// The chat guard's call as a task: a provider that answers at once gets its own task back, settled; one that answers
/// later is settled when it does; whatever goes wrong — a bad call, a provider that throws instead of returning a task,
/// a ledger that fails, a denial that comes from a store that answers later — fails the returned task and is never
/// thrown at the caller.
/// </summary>
public class GuardedCallTests
{
    private static BudgetPolicy Policy(long dailyTokens = 100_000) => BudgetPolicy.Create("calls").ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, dailyTokens).WithMaxOutputTokens(50).Build();

    private static ChatResponse Answer(int input = 12, int output = 3) =>
        new(new ChatMessage(ChatRole.Assistant, "Shipped.")) { Usage = new() { InputTokenCount = input, OutputTokenCount = output } };

    [Fact]
    public async Task A_provider_that_answers_at_once_gets_its_own_task_back_and_the_call_is_settled()
    {
        var (engine, _, _) = TestEngine.Create();
        var answered = Task.FromResult(Answer());
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => answered), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");

        Assert.Same(answered, returned);
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((UsageStatus.Success, 12L, 3L), (record.Status, record.InputTokens, record.OutputTokens));
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
        Assert.Equal(15m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_call_whose_usage_cannot_be_read_is_settled_with_everything_it_reserved_before_the_caller_gets_the_error()
    {
        // Counting the answer can fail (a vocabulary that failed to load fails every count). The provider answered, so
        // the call must be counted: left unsettled, its lease would run out and give the usage back to the budget.
        var (engine, _, _) = TestEngine.Create();
        var policy = Policy();
        engine.AddPolicy(policy);
        foreach (var answersLater in new[] { false, true })
        {
            var held = await GuardedCall.AcquireAsync(engine, policy, TestEngine.Estimate(100, 50), null, ReservationContext.Empty, default);
            var provider = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!answersLater) provider.SetResult(Answer());
            var calling = GuardedCall.RunAsync<int, int, ChatResponse>(held, 0, (_, _) => provider.Task,
                0, (_, _, _) => throw new InvalidOperationException("the vocabulary failed to load"), default);
            if (answersLater) provider.SetResult(Answer());

            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => calling);
            Assert.Equal("the vocabulary failed to load", error.Message);
        }

        var records = engine.Ledger.Snapshot();
        Assert.Equal(2, records.Count);
        Assert.All(records, record =>
        {
            Assert.Equal((UsageStatus.Success, 100L, 50L, false), (record.Status, record.InputTokens, record.OutputTokens, record.UsageReported));
            Assert.Contains("could not read what the call used", record.Reason);
            Assert.Contains("the vocabulary failed to load", record.Reason);
        });
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
        Assert.Equal(300m, (await engine.GetUsageAsync(policy)).Single().Used);
    }

    [Fact]
    public async Task A_provider_that_answers_later_holds_the_reservation_until_it_does_and_is_then_settled()
    {
        var (engine, _, _) = TestEngine.Create();
        var provider = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => provider.Task), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");

        Assert.False(returned.IsCompleted);
        Assert.Equal(1, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
        Assert.Empty(engine.Ledger.Snapshot());
        provider.SetResult(Answer(input: 14, output: 4));
        var response = await returned;

        Assert.Equal("Shipped.", response.Text);
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal((UsageStatus.Success, 14L, 4L), (record.Status, record.InputTokens, record.OutputTokens));
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    [Fact]
    public async Task A_provider_that_fails_later_fails_the_call_and_the_lease_counts_the_request()
    {
        var (engine, _, _) = TestEngine.Create();
        var provider = new TaskCompletionSource<ChatResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => provider.Task), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");
        provider.SetException(new HttpRequestException("502 from the provider"));

        var thrown = await Assert.ThrowsAsync<HttpRequestException>(() => returned);
        Assert.Equal("502 from the provider", thrown.Message);
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Failed, record.Status);
        Assert.Contains("502 from the provider", record.Reason);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    [Fact]
    public async Task A_provider_that_throws_instead_of_returning_a_task_fails_the_returned_task_not_the_caller()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => throw new InvalidOperationException("no route to the model")), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");

        Assert.True(returned.IsFaulted);
        Assert.Equal("no route to the model", (await Assert.ThrowsAsync<InvalidOperationException>(() => returned)).Message);
        Assert.Equal(UsageStatus.Failed, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    [Fact]
    public async Task A_provider_that_returns_no_task_fails_the_call_and_the_lease()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => null!), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");

        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => returned);
        Assert.Contains("returned null instead of a task", thrown.Message);
        Assert.Contains("'calls'", thrown.Message);
        Assert.Equal(UsageStatus.Failed, Assert.Single(engine.Ledger.Snapshot()).Status);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    [Fact]
    public async Task A_caller_who_cancels_a_call_the_provider_has_not_answered_gets_a_cancelled_task_and_the_prompt_is_counted()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new ScriptedChatClient((_, ct) => Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => Answer(), ct)), engine, Policy());
        using var cancellation = new CancellationTokenSource();

        var returned = client.GetResponseAsync("Where is my order?", cancellationToken: cancellation.Token);
        cancellation.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => returned);
        Assert.True(returned.IsCanceled);
        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Equal(record.ReservedInputTokens, record.InputTokens);
        Assert.Equal(0, record.OutputTokens);
    }

    [Fact]
    public void A_bad_call_fails_the_returned_task_instead_of_throwing_at_the_caller()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => Task.FromResult(Answer())), engine, Policy());

        var returned = client.GetResponseAsync((IEnumerable<ChatMessage>)null!);

        Assert.True(returned.IsFaulted);
        Assert.IsType<ArgumentNullException>(returned.Exception!.InnerException);
        Assert.Empty(engine.Ledger.Snapshot());
    }

    [Fact]
    public async Task A_ledger_that_fails_at_once_fails_the_returned_task_and_the_usage_is_still_counted()
    {
        var (engine, _, _) = TestEngine.Create(o => o.Ledger = new RefusingLedger());
        var answered = Task.FromResult(Answer());
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => answered), engine, Policy());

        var returned = client.GetResponseAsync("Where is my order?");

        Assert.NotSame(answered, returned);
        Assert.Equal("disk full", (await Assert.ThrowsAsync<IOException>(() => returned)).Message);
        Assert.Equal(15m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_store_that_answers_later_grants_the_lease_then_and_denies_through_the_returned_task()
    {
        var store = new LateStore();
        var (engine, _, _) = TestEngine.Create(o => o.Store = store);
        var client = new BudgetChatClient(new ScriptedChatClient((_, _) => Task.FromResult(Answer(input: 30, output: 10))), engine, Policy(dailyTokens: 120));

        var first = client.GetResponseAsync("Where is my order?");
        Assert.False(first.IsCompleted);
        store.Answer();
        Assert.Equal("Shipped.", (await first).Text);
        Assert.Equal(UsageStatus.Success, Assert.Single(engine.Ledger.Snapshot()).Status);

        // 40 of 120 tokens used; the next call reserves its prompt and the 50-token cap, more than the 80 left.
        var second = client.GetResponseAsync(new string('x', 400));
        Assert.False(second.IsCompleted);
        store.Answer();
        var denied = await Assert.ThrowsAsync<BudgetExceededException>(() => second);
        Assert.Equal(BudgetDimension.TotalTokens, denied.Denial.Dimension);
    }

    /// <summary>A provider whose answer each test gives as a task (or a throw).</summary>
    private sealed class ScriptedChatClient(Func<IEnumerable<ChatMessage>, CancellationToken, Task<ChatResponse>> respond) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            respond(messages, cancellationToken);

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("scripted", null, "gpt-4o-mini") : null;

        public void Dispose() { }
    }

    /// <summary>A ledger whose every append fails at once.</summary>
    private sealed class RefusingLedger : IUsageLedger
    {
        public ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default) => ValueTask.FromException(new IOException("disk full"));

        public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask;
            yield break;
        }
    }

    /// <summary>In-memory counters behind a store that answers each reservation only when the test says so, as a remote one answers later.</summary>
    private sealed class LateStore : IBudgetCounterStore
    {
        private readonly InMemoryBudgetCounterStore _counters = new();
        private readonly SemaphoreSlim _answers = new(0);

        public void Answer() => _answers.Release();

        public async ValueTask<CounterReserveResult> TryReserveAsync(CounterReservation reservation, CancellationToken cancellationToken = default)
        {
            await _answers.WaitAsync(cancellationToken);
            return await _counters.TryReserveAsync(reservation, cancellationToken);
        }

        public ValueTask SettleAsync(CounterReservation reservation, CancellationToken cancellationToken = default) => _counters.SettleAsync(reservation, cancellationToken);

        public ValueTask<int> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) => _counters.ReclaimExpiredAsync(now, cancellationToken);

        public ValueTask<IReadOnlyList<long>> ReadAsync(IReadOnlyList<CounterKey> keys, CancellationToken cancellationToken = default) => _counters.ReadAsync(keys, cancellationToken);

        public ValueTask AddAsync(IReadOnlyList<CounterCharge> charges, CancellationToken cancellationToken = default) => _counters.AddAsync(charges, cancellationToken);
    }
}
