using GuardedAI.Engine;

namespace GuardedAI.Tests;

/// <summary>
/// A guard keeps the reservation it settled for its thread's next call (<see cref="HeldReservation.Recycle"/>), so a
/// guarded call on the default in-memory store leaves no object of the engine's on the heap. Reuse must never let one
/// call's numbers reach another: a lease from the public API is never reused, a reservation the sweep reclaimed
/// mid-call is counted once, and calls that hop threads with reservations of different sizes count exactly.
/// </summary>
public class ReservationRecyclingTests
{
    private static BudgetPolicy Policy(string name = "recycled", long dailyTokens = 1_000_000) => BudgetPolicy.Create(name).ForModel("gpt-4o-mini")
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, dailyTokens).WithMaxOutputTokens(50).Build();

    private static ChatResponse Answer(int input, int output) =>
        new(new ChatMessage(ChatRole.Assistant, "Shipped.")) { Usage = new() { InputTokenCount = input, OutputTokenCount = output } };

    private static decimal Used(IReadOnlyList<LimitUsage> usage, BudgetDimension dimension, BudgetWindow window) =>
        usage.Single(u => u.Limit.Dimension == dimension && u.Limit.Window == window).Used;

    [Fact]
    public async Task A_guarded_call_reuses_the_reservation_its_thread_settled_last_and_each_call_keeps_its_own_numbers()
    {
        var (engine, _, _) = TestEngine.Create();
        var answers = new Queue<ChatResponse>([Answer(12, 3), Answer(20, 7)]);
        var client = new BudgetChatClient(new FakeChatClient { Respond = (_, _) => answers.Dequeue() }, engine, Policy());

        await client.GetResponseAsync("Where is my order?");
        var settled = HeldReservation.Spare;
        Assert.NotNull(settled);
        await client.GetResponseAsync("And the second one?");

        // The same object served the second call and was kept again.
        Assert.Same(settled, HeldReservation.Spare);
        var records = engine.Ledger.Snapshot();
        Assert.Equal([(12L, 3L), (20L, 7L)], records.Select(r => (r.InputTokens, r.OutputTokens)));
        Assert.Equal(2, records.Select(r => r.Id).Distinct().Count());
        Assert.Equal(42m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    [Fact]
    public async Task A_kept_reservation_refers_to_nothing_of_its_call_or_its_engine()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new FakeChatClient { Respond = (_, _) => Answer(12, 3) }, engine, Policy());

        await client.GetResponseAsync("Where is my order?");

        // A thread's spare would otherwise keep a disposed engine (and its ledger) alive until the thread's next call.
        var spare = HeldReservation.Spare!;
        Assert.Null(spare.Policy);
        Assert.Null(spare.Context);
        Assert.Null(spare.Holder);
        Assert.Null(spare.StoreReservation);
        Assert.Null(spare.StoreState);
        Assert.Null(spare.Activity);
    }

    [Fact]
    public async Task A_lease_from_the_public_API_is_never_reused_even_when_it_took_the_spare()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new FakeChatClient { Respond = (_, _) => Answer(12, 3) }, engine, Policy());
        await client.GetResponseAsync("Where is my order?");
        var spare = HeldReservation.Spare;
        Assert.NotNull(spare);

        var lease = await engine.TryReserveAsync(client.Policy, TestEngine.Estimate(100, 50));
        Assert.Null(HeldReservation.Spare); // the lease's reservation is the spare, made new
        var id = lease.Id;
        var record = await lease.CommitAsync(new TokenUsage(90, 40));
        Assert.Null(HeldReservation.Spare); // settled through the lease: not kept for reuse

        await client.GetResponseAsync("Another call");
        Assert.NotSame(spare, HeldReservation.Spare);
        Assert.Equal(id, lease.Id);
        Assert.Equal((id, 90L, 40L), (record.Id, record.InputTokens, record.OutputTokens));
        Assert.Equal((100L, 50L), (lease.Estimate.InputTokens, lease.Estimate.OutputTokens));
        Assert.Equal(15m + 130m + 15m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_reservation_reclaimed_while_its_call_runs_is_counted_once_and_its_reuse_counts_right()
    {
        var (engine, clock, _) = TestEngine.Create(o => o.ReservationLease = TimeSpan.FromSeconds(30));
        var store = (InMemoryBudgetCounterStore)engine.Store;
        var (heldBefore, heldAfter) = (-1, -1);
        var first = true;
        var provider = new FakeChatClient
        {
            Respond = (_, _) =>
            {
                if (first)
                {
                    // The call outlives its lease: the sweep returns the reservation before the answer arrives.
                    // (The engine's own sweep may run on the clock's advance; the explicit one makes sure.)
                    first = false;
                    heldBefore = store.OutstandingReservations;
                    clock.Advance(TimeSpan.FromSeconds(31));
                    engine.ReclaimExpiredReservationsAsync().AsTask().GetAwaiter().GetResult();
                    heldAfter = store.OutstandingReservations;
                }
                return Answer(12, 3);
            },
        };
        var client = new BudgetChatClient(provider, engine, Policy());

        await client.GetResponseAsync("A slow call");
        var settled = HeldReservation.Spare;
        await client.GetResponseAsync("A quick call");

        Assert.Equal((1, 0), (heldBefore, heldAfter));
        Assert.Same(settled, HeldReservation.Spare);
        // Each call counted its actual usage once: nothing of the reclaimed reservation was returned twice.
        Assert.Equal(30m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
        Assert.Equal(0, store.OutstandingReservations);
    }

    [Fact]
    public async Task Calls_that_hop_threads_with_reservations_of_different_sizes_count_exactly_and_never_pass_a_limit()
    {
        var (engine, _, _) = TestEngine.Create();
        // Ten limits (more than a reservation keeps inline) against one, so reused objects change size both ways.
        var wide = BudgetPolicy.Create("wide").ForModel("gpt-4o-mini").WithMaxOutputTokens(50)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Minute, 1_000_000).WithLimit(BudgetDimension.Requests, BudgetWindow.Hour, 1_000_000)
            .WithLimit(BudgetDimension.Requests, BudgetWindow.Day, 1_000_000).WithLimit(BudgetDimension.InputTokens, BudgetWindow.Minute, 100_000_000)
            .WithLimit(BudgetDimension.InputTokens, BudgetWindow.Hour, 100_000_000).WithLimit(BudgetDimension.InputTokens, BudgetWindow.Day, 100_000_000)
            .WithLimit(BudgetDimension.OutputTokens, BudgetWindow.Hour, 100_000_000).WithLimit(BudgetDimension.OutputTokens, BudgetWindow.Day, 100_000_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Hour, 100_000_000).WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000_000).Build();
        // A small daily limit that the calls run into part-way.
        var narrow = Policy("narrow", dailyTokens: 3_000);
        var provider = new HoppingChatClient();
        var wideClient = new BudgetChatClient(provider, engine, wide);
        var narrowClient = new BudgetChatClient(provider, engine, narrow);
        var denied = 0;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var i = 0; i < 150; i++)
            {
                var client = (worker + i) % 2 == 0 ? wideClient : narrowClient;
                try { await client.GetResponseAsync($"call {i} of worker {worker}"); }
                catch (BudgetExceededException) { Interlocked.Increment(ref denied); }
            }
        })));

        var records = engine.Ledger.Snapshot();
        var settledRecords = records.Where(r => r.Status == UsageStatus.Success).ToArray();
        Assert.Equal(records.Count, records.Select(r => r.Id).Distinct().Count());
        var wideRecords = settledRecords.Where(r => r.Budget == "wide").ToArray();
        var narrowRecords = settledRecords.Where(r => r.Budget == "narrow").ToArray();
        Assert.Equal(600, wideRecords.Length);
        Assert.True(denied > 0, "the narrow budget's limit was never reached");
        Assert.Equal(600, narrowRecords.Length + denied);

        var wideUsage = await engine.GetUsageAsync(wide);
        Assert.Equal(600m, Used(wideUsage, BudgetDimension.Requests, BudgetWindow.Day));
        Assert.Equal(wideRecords.Sum(r => r.InputTokens), Used(wideUsage, BudgetDimension.InputTokens, BudgetWindow.Day));
        Assert.Equal(wideRecords.Sum(r => r.OutputTokens), Used(wideUsage, BudgetDimension.OutputTokens, BudgetWindow.Hour));
        Assert.Equal(wideRecords.Sum(r => r.InputTokens + r.OutputTokens), Used(wideUsage, BudgetDimension.TotalTokens, BudgetWindow.Day));
        var narrowUsed = (await engine.GetUsageAsync(narrow)).Single().Used;
        Assert.Equal(narrowRecords.Sum(r => r.InputTokens + r.OutputTokens), narrowUsed);
        Assert.True(narrowUsed <= 3_000, $"the narrow budget reached {narrowUsed} of 3,000");
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    /// <summary>Answers on another thread of the pool, so a reservation is settled (and kept) elsewhere than where it was made.</summary>
    private sealed class HoppingChatClient : IChatClient
    {
        private int _calls;

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            var n = Interlocked.Increment(ref _calls);
            return Answer(10 + n % 7, 1 + n % 5);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
