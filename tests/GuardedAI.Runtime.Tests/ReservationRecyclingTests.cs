using GuardedAI.Engine;

namespace GuardedAI.Tests;

/// <summary>
/// A guard keeps the reservation it settled for its thread's next call (<see cref="HeldReservation.Recycle"/>), so a
/// guarded call on the default in-memory store leaves no object of the engine's on the heap; a lease from the public API
/// hands its reservation back the same way once settled, and a conversation's call its charge set. Reuse must never let
/// one call's numbers reach another: a settled lease reads only its own call, a reservation the sweep reclaimed mid-call
/// is counted once, and calls that hop threads with reservations of different sizes count exactly.
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
    public async Task A_lease_hands_its_reservation_back_when_settled_and_reads_only_its_own_values_after()
    {
        var (engine, _, _) = TestEngine.Create();
        var client = new BudgetChatClient(new FakeChatClient { Respond = (_, _) => Answer(12, 3) }, engine, Policy());
        await client.GetResponseAsync("Where is my order?");
        var spare = HeldReservation.Spare;
        Assert.NotNull(spare);

        var lease = await engine.TryReserveAsync(client.Policy, TestEngine.Estimate(100, 50), new ReservationContext { Provider = "first" });
        Assert.Null(HeldReservation.Spare); // the lease's reservation is the spare, made new
        var (id, startedAt, expiresAt) = (lease.Id, lease.StartedAt, lease.ExpiresAt);
        var settled = await lease.CommitAsync(new TokenUsage(90, 40));
        Assert.Same(spare, HeldReservation.Spare); // settled: handed back for the thread's next call

        // A second lease takes the same object for its own call; the first one still shows its own call, and its
        // disposal (settled already) touches nothing of the second's.
        var other = await engine.TryReserveAsync(client.Policy, TestEngine.Estimate(7, 3), new ReservationContext { Provider = "second" });
        Assert.Null(HeldReservation.Spare);
        Assert.Equal((id, 100L, 50L, "first", startedAt, expiresAt, true),
            (lease.Id, lease.Estimate.InputTokens, lease.Estimate.OutputTokens, lease.Context.Provider, lease.StartedAt, lease.ExpiresAt, lease.IsSettled));
        await lease.DisposeAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.CommitAsync(new TokenUsage(1, 1)).AsTask());
        Assert.False(other.IsSettled);
        Assert.NotEqual(id, other.Id);
        await other.CommitAsync(new TokenUsage(5, 2));

        Assert.Equal((UsageStatus.Success, 90L, 40L), (settled.Status, settled.InputTokens, settled.OutputTokens));
        Assert.Equal((90L, 40L, 100L, "first"), (engine.RecordOf(lease).InputTokens, engine.RecordOf(lease).OutputTokens, engine.RecordOf(lease).ReservedInputTokens, engine.RecordOf(lease).Provider));
        Assert.Equal((5L, 2L, 7L, "second"), (engine.RecordOf(other).InputTokens, engine.RecordOf(other).OutputTokens, engine.RecordOf(other).ReservedInputTokens, engine.RecordOf(other).Provider));
        Assert.Equal(3, engine.Ledger.Snapshot().Count);
        Assert.Equal(15m + 130m + 7m, (await engine.GetUsageAsync(client.Policy)).Single().Used);
    }

    [Fact]
    public async Task A_conversation_call_fills_the_charge_set_its_thread_settled_last_and_each_conversation_counts_its_own()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("chats").ForModel("gpt-4o-mini").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 1_000_000)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, 10_000).WithMaxOutputTokens(50).Build();
        var answers = new Queue<ChatResponse>([Answer(12, 3), Answer(20, 7), Answer(5, 5)]);
        var client = new BudgetChatClient(new FakeChatClient { Respond = (_, _) => answers.Dequeue() }, engine, policy);

        await client.GetResponseAsync("Where is my order?", new ChatOptions { ConversationId = "a" });
        var set = ChargeSet.Spare;
        Assert.NotNull(set);
        Assert.Contains(set.Charges, c => c.Key.Scope == "conversation:chats:a");

        await client.GetResponseAsync("And the second one?", new ChatOptions { ConversationId = "b" });
        Assert.Same(set, ChargeSet.Spare); // filled for b's call, and handed back again
        Assert.Contains(set.Charges, c => c.Key.Scope == "conversation:chats:b");
        Assert.DoesNotContain(set.Charges, c => c.Key.Scope == "conversation:chats:a");

        // A call in no conversation shares its budget's set and leaves the spare as it is.
        await client.GetResponseAsync("Thanks", new ChatOptions { MaxOutputTokens = 50 });
        Assert.Same(set, ChargeSet.Spare);

        var a = await engine.GetUsageAsync(policy, new ReservationContext { ConversationId = "a" });
        var b = await engine.GetUsageAsync(policy, new ReservationContext { ConversationId = "b" });
        Assert.Equal((15m, 27m), (Used(a, BudgetDimension.TotalTokens, BudgetWindow.Conversation), Used(b, BudgetDimension.TotalTokens, BudgetWindow.Conversation)));
        Assert.Equal(52m, Used(a, BudgetDimension.TotalTokens, BudgetWindow.Day));
        Assert.Equal(0, ((InMemoryBudgetCounterStore)engine.Store).OutstandingReservations);
    }

    [Fact]
    public async Task Leases_settled_on_many_threads_at_once_each_keep_their_own_call_while_their_reservations_are_reused()
    {
        var (engine, _, _) = TestEngine.Create();
        var policy = BudgetPolicy.Create("many").WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, long.MaxValue / 4)
            .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Conversation, long.MaxValue / 4).Build();
        engine.AddPolicy(policy);
        const int Callers = 8, Calls = 500;

        // Each call asks for an amount no other call asks for, settles with a share of it, and checks its lease after.
        var wrong = await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            var mismatches = new List<string>();
            for (var i = 0; i < Calls; i++)
            {
                var input = 1_000L * (caller * Calls + i + 1);
                // Every other call in the caller's own conversation: those build a charge set of their own, reused in turn.
                var context = new ReservationContext { Provider = $"c{caller}", ConversationId = i % 2 == 0 ? $"conversation-{caller}" : null };
                var lease = await engine.TryReserveAsync(policy, TestEngine.Estimate(input, 10), context);
                var id = lease.Id;
                var settled = await lease.CommitAsync(new TokenUsage(input / 2, 5));
                await Task.Yield(); // let other callers take the reservation this one handed back
                if (lease.Estimate.InputTokens != input || lease.Id != id || lease.Context.Provider != $"c{caller}" || settled.InputTokens != input / 2)
                    mismatches.Add($"{caller}/{i}");
            }
            return mismatches;
        })));

        Assert.Empty(wrong.SelectMany(m => m));
        var records = engine.Ledger.Snapshot();
        Assert.Equal(Callers * Calls, records.Select(r => r.Id).Distinct().Count());
        Assert.All(records, r => Assert.Equal(r.ReservedInputTokens / 2, r.InputTokens));
        var expected = Enumerable.Range(1, Callers * Calls).Sum(n => 1_000L * n / 2 + 5);
        Assert.Equal(expected, Used(await engine.GetUsageAsync(policy), BudgetDimension.TotalTokens, BudgetWindow.Day));
        for (var caller = 0; caller < Callers; caller++)
        {
            var inConversation = Enumerable.Range(0, Calls).Where(i => i % 2 == 0).Sum(i => 1_000L * (caller * Calls + i + 1) / 2 + 5);
            var usage = await engine.GetUsageAsync(policy, new ReservationContext { ConversationId = $"conversation-{caller}" });
            Assert.Equal(inConversation, Used(usage, BudgetDimension.TotalTokens, BudgetWindow.Conversation));
        }
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
