using StackExchange.Redis;

namespace GuardedAI.Redis.Tests;

/// <summary>
/// Reservations and settlements that wait for a slot go together in one request, which must decide and count each
/// exactly as the calls would one by one, each in a request of its own: the same answers, the same counters, leases and
/// expiries. The answers are also checked against what the calls must get.
/// </summary>
[Collection("redis")]
public class ScriptBatcherTests(RedisFixture fixture)
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
    private static readonly DateTimeOffset HourStart = WindowCalendar.Start(BudgetWindow.Hour, Now, TimeZoneInfo.Utc);

    private async Task<GuardedAIRedis> ConnectFrozenAsync()
    {
        var redis = await fixture.ConnectAsync(testClockKey: "test:server-now");
        await redis.Connection.GetDatabase().StringSetAsync(redis.Options.KeyPrefix + "test:server-now", Now.ToUnixTimeMilliseconds());
        return redis;
    }

    private static CounterCharge Day(string scope, long amount, long limit, BudgetDimension dimension = BudgetDimension.TotalTokens) =>
        new(new CounterKey(scope, dimension, BudgetWindow.Day, WindowCalendar.Start(BudgetWindow.Day, Now, TimeZoneInfo.Utc)), amount, limit,
            WindowCalendar.End(BudgetWindow.Day, Now, TimeZoneInfo.Utc));

    /// <summary>A conversation's counter: its window's end moves, so every call sets its expiry.</summary>
    private static CounterCharge Conversation(string id, long amount, long limit) =>
        new(new CounterKey("conversation:b:" + id, BudgetDimension.TotalTokens, BudgetWindow.Conversation, HourStart), amount, limit, Now.AddMinutes(30));

    /// <summary>An hour's counter of two hours ago: the server's now is past its window.</summary>
    private static CounterCharge EndedHour(long amount) =>
        new(new CounterKey("s", BudgetDimension.Requests, BudgetWindow.Hour, HourStart.AddHours(-2)), amount, 10, HourStart.AddHours(-1));

    private static readonly (string Id, CounterCharge[] Charges)[] Reservations =
    [
        ("r1", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 300, 1000)]),
        ("r2", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 300, 1000)]),
        ("r3", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 500, 1000)]),   // denied: 630 + 500 > 1000
        ("r4", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 400, 1000)]),   // denied: 630 + 400 > 1000
        ("r5", [Day("s", 0, 1000)]),                                                // nothing asked: never denied
        ("r1", [Day("other", 50, 100)]),                                            // the same id again: its lease grows
        ("r6", []),                                                                 // no counter
        ("r7", [Day("x", 30, 50), Day("x", 30, 50)]),                               // one counter twice, each checked against 0
        ("r8", [EndedHour(1)]),                                                     // outside its window: nothing changes
        ("r9", [Day("bad", 1, 10)]),                                                // a corrupt counter: fails alone
        ("r10", [Conversation("c1", 70, 100), Day("s", 0, 1000)]),
        ("r11", [Conversation("c1", 40, 100)]),                                     // denied: 70 + 40 > 100
        ("r12", [Day("other", 60, 100)]),                                           // denied: 50 + 60 > 100
    ];

    private static readonly (string Id, CounterCharge[] Charges)[] Settlements =
    [
        ("r1", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 250, 1000)]),   // "other" was in its lease: 50 go back
        ("r2", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 350, 1000)]),
        ("r2", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 999, 1000)]),   // settled already: only read
        ("r4", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 0, 1000)]),     // denied, so no lease: counted as sent
        ("r5", [Day("s", 0, 1000)]),
        ("r6", []),
        ("r7", [Day("x", 10, 50)]),                                                 // 60 held: 50 go back
        ("never", [Day("fresh", 5, 100)]),                                          // no lease: counted, the key made with its expiry
        ("old", [Day("s", 20, 1000)]),                                              // a lease of the previous layout
        ("r10", [Conversation("c1", 90, 100), Day("s", 0, 1000)]),
        ("r3", [Day("s", 1, 5, BudgetDimension.Requests), Day("s", 0, 1000)]),     // denied, so no lease: counted as sent
    ];

    /// <summary>The keys whose values and expiries the two runs must agree on.</summary>
    private static readonly CounterKey[] Counters =
    [
        Day("s", 0, 0, BudgetDimension.Requests).Key, Day("s", 0, 0).Key, Day("other", 0, 0).Key, Day("x", 0, 0).Key,
        Day("fresh", 0, 0).Key, Conversation("c1", 0, 0).Key, EndedHour(0).Key,
    ];

    private static readonly string[] Ids = ["r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "never", "old"];

    [Fact]
    public async Task A_batch_decides_and_counts_each_call_as_the_calls_would_one_by_one()
    {
        await using var alone = await ConnectFrozenAsync();
        await using var batched = await ConnectFrozenAsync();
        foreach (var redis in new[] { alone, batched }) await PrepareAsync(redis);

        var aloneAnswers = new List<string>();
        foreach (var (id, charges) in Reservations) aloneAnswers.Add(await ReserveAsync(alone, id, charges));
        var batchedReserves = new List<Task<string>>();
        using (batched.Reserves.HoldSlots(batched.Connection.GetDatabase()))
        {
            foreach (var (id, charges) in Reservations) batchedReserves.Add(ReserveAsync(batched, id, charges));
        }
        Assert.Equal(aloneAnswers, await Task.WhenAll(batchedReserves));
        Assert.Equal((1L, Reservations.Length), batched.Reserves.Batched);
        Assert.Equal((0L, 0L), alone.Reserves.Batched);
        await AssertSameStateAsync(alone, batched);

        foreach (var (id, charges) in Settlements) aloneAnswers.Add(await SettleAsync(alone, id, charges));
        var batchedSettles = new List<Task<string>>();
        using (batched.Settlements.HoldSlots(batched.Connection.GetDatabase()))
        {
            foreach (var (id, charges) in Settlements) batchedSettles.Add(SettleAsync(batched, id, charges));
        }
        Assert.Equal(aloneAnswers[Reservations.Length..], await Task.WhenAll(batchedSettles));
        Assert.Equal((1L, Settlements.Length), batched.Settlements.Batched);
        await AssertSameStateAsync(alone, batched);

        // The answers themselves, so that two runs agreeing on something wrong cannot pass.
        // The tokens counter starts at 30, held by the previous layout's lease "old".
        Assert.Equal(
        [
            "reserved 1,330", "reserved 2,630", "denied 1 at 630", "denied 1 at 630", "reserved 630", "reserved 50", "reserved ",
            "reserved 30,60", "outside the window", "failed", "reserved 70,630", "denied 0 at 70", "denied 0 at 50",
            "settled 2,580", "settled 2,630", "settled 2,630", "settled 3,630", "settled 630", "settled ", "settled 10",
            "settled 5", "settled 620", "settled 90,620", "settled 4,620",
        ], aloneAnswers);
    }

    [Fact]
    public async Task A_batch_that_fills_up_leaves_the_rest_to_the_next_request_and_a_lone_call_goes_alone()
    {
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        var count = ScriptBatcher<ReserveCall>.MaxBatch + 3;
        Task<string>[] reserves;
        using (redis.Reserves.HoldSlots(db))
        {
            reserves = Enumerable.Range(0, count).Select(i => ReserveAsync(redis, "n" + i, [Day("s", 10, 10 * count - 5)])).ToArray();
        }
        var answers = await Task.WhenAll(reserves);
        Assert.Equal((2L, (long)count), redis.Reserves.Batched);
        // The two batches may run in either order (the first use of a script is sent again as EVAL, as each call's own
        // would be), but within each, in the calls' order: every call fits but one, which would pass the limit by 5.
        Assert.Equal(Enumerable.Range(1, count - 1).Select(i => $"reserved {10 * i}").Append($"denied 0 at {10 * (count - 1)}").Order(), answers.Order());
        Assert.Equal([10L * (count - 1)], await redis.Counters.ReadAsync([Day("s", 0, 0).Key]));

        Assert.Equal($"reserved {10 * count}", await ReserveAsync(redis, "alone", [Day("s", 10, 10 * count)]));
        Assert.Equal((2L, (long)count), redis.Reserves.Batched);
    }

    [Fact]
    public async Task A_batch_over_many_counters_charges_each_call_its_own()
    {
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        // 40 tenants, each charging its own counter and the shared one: past the number of counters found by a scan,
        // the request finds them by a dictionary.
        Task<string>[] reserves;
        using (redis.Reserves.HoldSlots(db))
        {
            reserves = Enumerable.Range(0, 40).Select(i => ReserveAsync(redis, "t" + i, [Day("tenant" + i, i + 1, 100), Day("s", 1, 1000)])).ToArray();
        }
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"reserved {i + 1},{i + 1}"), await Task.WhenAll(reserves));
        Assert.Equal((1L, 40L), redis.Reserves.Batched);

        Task<string>[] settles;
        using (redis.Settlements.HoldSlots(db))
        {
            settles = Enumerable.Range(0, 40).Select(i => SettleAsync(redis, "t" + i, [Day("tenant" + i, 2 * i, 100), Day("s", 2, 1000)])).ToArray();
        }
        // The shared counter goes from 40 to 80, one settlement at a time, in order.
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"settled {2 * i},{41 + i}"), await Task.WhenAll(settles));
        Assert.Equal(Enumerable.Range(0, 40).Select(i => 2L * i).Append(80L),
            await redis.Counters.ReadAsync([.. Enumerable.Range(0, 40).Select(i => Day("tenant" + i, 0, 0).Key), Day("s", 0, 0).Key]));
    }

    [Fact]
    public async Task A_call_on_a_corrupt_counter_fails_alone_in_its_batch_and_changes_nothing()
    {
        await using var redis = await ConnectFrozenAsync();
        var db = redis.Connection.GetDatabase();
        var bad = redis.Counters.CounterKeyName(Day("bad", 0, 0).Key);
        await db.StringSetAsync(bad, "12 tokens");

        Task<CounterReserveResult>[] reserves;
        using (redis.Reserves.HoldSlots(db))
        {
            reserves = new[] { "a", "b", "c" }.Select(id => redis.Counters.TryReserveAsync(
                new CounterReservation(id, id == "b" ? [Day("s", 5, 100), Day("bad", 1, 100)] : [Day("s", 5, 100)], Now.AddMinutes(5))).AsTask()).ToArray();
        }
        Assert.True((await reserves[0]).Success);
        var refused = await Assert.ThrowsAsync<RedisStoreException>(() => reserves[1]);
        Assert.Contains($"GuardedAI counter {bad} does not hold an integer", refused.Message, StringComparison.Ordinal);
        Assert.True((await reserves[2]).Success);
        Assert.Equal([10L], await redis.Counters.ReadAsync([Day("s", 0, 0).Key]));
        Assert.Equal("12 tokens", (string?)await db.StringGetAsync(bad));
        Assert.False(await db.KeyExistsAsync(redis.Options.KeyPrefix + "s:b"));

        // A settlement in a batch that names the corrupt counter is refused before its lease is touched: once the
        // counter is mended, it settles as it would have.
        Task[] settles;
        using (redis.Settlements.HoldSlots(db))
        {
            settles =
            [
                redis.Counters.SettleAsync(new CounterReservation("a", [Day("s", 2, 100), Day("bad", 1, 100)], Now)).AsTask(),
                redis.Counters.SettleAsync(new CounterReservation("c", [Day("s", 4, 100)], Now)).AsTask(),
            ];
        }
        refused = await Assert.ThrowsAsync<RedisStoreException>(() => settles[0]);
        Assert.Contains("does not hold an integer", refused.Message, StringComparison.Ordinal);
        await settles[1];
        Assert.Equal([9L], await redis.Counters.ReadAsync([Day("s", 0, 0).Key]));
        Assert.Equal(1, await redis.Counters.OutstandingReservationsAsync());   // "a" is still held

        // Alone, in a request of its own, it is refused the same way.
        var alone = await Assert.ThrowsAsync<RedisStoreException>(() =>
            redis.Counters.SettleAsync(new CounterReservation("a", [Day("s", 2, 100), Day("bad", 1, 100)], Now)).AsTask());
        Assert.Contains($"GuardedAI counter {bad} does not hold an integer", alone.Message, StringComparison.Ordinal);
        Assert.Equal((1L, 2L), redis.Settlements.Batched);
        Assert.Equal([9L], await redis.Counters.ReadAsync([Day("s", 0, 0).Key]));
        Assert.Equal(1, await redis.Counters.OutstandingReservationsAsync());

        await db.StringSetAsync(bad, "12");
        await redis.Counters.SettleAsync(new CounterReservation("a", [Day("s", 2, 100), Day("bad", 1, 100)], Now));
        Assert.Equal([6L, 13L], await redis.Counters.ReadAsync([Day("s", 0, 0).Key, Day("bad", 0, 0).Key]));
        Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());
    }

    /// <summary>
    /// A settlement sends the lease its reservation wrote; when the script finds that very lease, it takes the reserved
    /// amounts from the request instead of reading the lease. Settled so (the reservations themselves, their actual amounts
    /// set) and settled by a new reservation of the actual amounts alone (whose lease differs, so the script reads the
    /// lease), the counters, leases and answers must be the same, in a batch and alone.
    /// </summary>
    [Fact]
    public async Task A_settlement_that_finds_the_lease_it_sent_counts_as_one_that_reads_the_lease()
    {
        (string Id, CounterCharge[] Charges, long[] Actual)[] calls =
        [
            ("six", [Day("s", 1, 50, BudgetDimension.Requests), Day("s", 300, 5000), Day("s", 90, 900, BudgetDimension.CostUsd),
                Day("t", 1, 50, BudgetDimension.Requests), Day("t", 300, 5000), Day("t", 90, 900, BudgetDimension.CostUsd)], [1, 120, 40, 1, 120, 40]),
            ("twice", [Day("x", 30, 100), Day("x", 20, 100)], [10, 5]),                    // one counter twice: 50 held, 15 kept
            ("more", [Day("s", 200, 5000), Conversation("c1", 60, 100)], [450, 70]),         // more than reserved
            ("none", [Day("s", 100, 5000)], [0]),
            ("last", [Day("s", 1, 50, BudgetDimension.Requests), Day("s", 10, 5000)], [1, 9]),
        ];
        await using var fromRequest = await ConnectFrozenAsync();
        await using var fromLease = await ConnectFrozenAsync();
        await using var fromRequestAlone = await ConnectFrozenAsync();
        var answers = new List<string>[3];
        var runs = new[] { fromRequest, fromLease, fromRequestAlone };
        for (var run = 0; run < runs.Length; run++)
        {
            var redis = runs[run];
            var reservations = calls.Select(c => new CounterReservation(c.Id, c.Charges, Now.AddMinutes(5))).ToArray();
            answers[run] = [];
            foreach (var reservation in reservations)
            {
                Assert.True((await redis.Counters.TryReserveAsync(reservation)).Success);
                answers[run].Add("reserved " + string.Join(",", reservation.Values.ToArray()));
            }
            var settlements = new CounterReservation[calls.Length];
            for (var i = 0; i < calls.Length; i++)
            {
                if (run == 1)
                {
                    settlements[i] = new CounterReservation(calls[i].Id, calls[i].Charges.Zip(calls[i].Actual, (c, a) => c with { Amount = a }).ToArray(), Now);
                }
                else
                {
                    settlements[i] = reservations[i];
                    settlements[i].SetActualAmounts(calls[i].Actual);
                }
            }
            if (run == 2)
            {
                foreach (var settlement in settlements) await redis.Counters.SettleAsync(settlement);
            }
            else
            {
                Task[] settles;
                using (redis.Settlements.HoldSlots(redis.Connection.GetDatabase()))
                {
                    settles = settlements.Select(r => redis.Counters.SettleAsync(r).AsTask()).ToArray();
                }
                await Task.WhenAll(settles);
                Assert.Equal((1L, (long)calls.Length), redis.Settlements.Batched);
            }
            answers[run].AddRange(settlements.Select(r => "settled " + string.Join(",", r.Values.ToArray())));
            Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());
        }
        Assert.Equal(answers[1], answers[0]);
        Assert.Equal(answers[1], answers[2]);
        await AssertSameStateAsync(fromLease, fromRequest);
        await AssertSameStateAsync(fromLease, fromRequestAlone);
        // And what they agree on: each counter holds the actual amounts.
        Assert.Equal(
        [
            "reserved 1,300,90,1,300,90", "reserved 30,50", "reserved 500,60", "reserved 600", "reserved 2,610",
            "settled 2,430,40,1,120,40", "settled 10,15", "settled 680,70", "settled 580", "settled 2,579",
        ], answers[1]);
        Assert.Equal([2L, 579L, 15L, 70L], await fromRequest.Counters.ReadAsync(
            [Day("s", 0, 0, BudgetDimension.Requests).Key, Day("s", 0, 0).Key, Day("x", 0, 0).Key, Conversation("c1", 0, 0).Key]));
    }

    /// <summary>
    /// The reply of a request is one string of packed numbers and then the failed calls' messages. A reply that does not
    /// fit the calls it answers (a count past its numbers, numbers left over, a count that is not a whole number, messages
    /// that do not match the failed calls, not an array at all) fails every call, none half-answered.
    /// </summary>
    [Fact]
    public async Task A_reply_that_does_not_fit_its_request_fails_every_call_in_it()
    {
        await using var redis = await ConnectFrozenAsync();
        SettleCall Call(string id) => new(redis.Counters, new CounterReservation(id, [], Now), [], "k:" + id, "l:" + id, []);
        static RedisResult Reply(double[] numbers, params string[] messages)
        {
            var packed = new byte[numbers.Length * sizeof(double)];
            for (var i = 0; i < numbers.Length; i++) System.Buffers.Binary.BinaryPrimitives.WriteDoubleLittleEndian(packed.AsSpan(i * sizeof(double)), numbers[i]);
            return RedisResult.Create([RedisResult.Create((RedisValue)packed), .. messages.Select(m => RedisResult.Create((RedisValue)m))], ResultType.Array);
        }

        // One that fits: the first call's two numbers, the second call's error, the third's empty answer.
        var calls = new[] { Call("a"), Call("b"), Call("c") };
        ScriptBatcher<SettleCall>.Answer(calls, Reply([2, 5, 7, -1, 0], "GuardedAI counter x does not hold an integer"));
        var first = await calls[0].Task;
        Assert.Equal((5L, 7L), (first[0], first[1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => first[2]);
        Assert.Equal("ERR GuardedAI counter x does not hold an integer", (await Assert.ThrowsAsync<RedisServerException>(() => calls[1].Task)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => calls[2].Task.Result[0]);

        RedisResult[] misfits =
        [
            Reply([2, 5, 7, 3, 1, 1]),                // the second call's count runs past the numbers
            Reply([2, 5, 7, 0, 9]),                   // a number left over
            Reply([2, 5, 7]),                         // the second call has no answer
            Reply([1.5, 5, 0]),                       // a count that is not a whole number
            Reply([-2, 0]),                           // a negative count other than an error's
            Reply([2, 5, 7, -1], "first", "second"), // two messages for one failed call
            Reply([2, 5, 7, -1]),                     // a failed call without its message
            RedisResult.Create((RedisValue)12),       // not an array
            RedisResult.Create([RedisResult.Create((RedisValue)12), RedisResult.Create((RedisValue)"x")], ResultType.Array),
        ];
        foreach (var misfit in misfits)
        {
            calls = [Call("a"), Call("b")];
            ScriptBatcher<SettleCall>.Answer(calls, misfit);
            foreach (var call in calls)
            {
                var error = await Assert.ThrowsAsync<RedisException>(() => call.Task);
                Assert.Equal("A request of 2 script calls was answered with", error.Message[..45]);
                Assert.EndsWith("that do not fit it.", error.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task Sixty_four_callers_reserving_and_settling_at_once_never_pass_a_limit_and_count_every_settlement_once()
    {
        await using var redis = await ConnectFrozenAsync();
        const long limit = 5_000;
        var granted = 0;
        var callers = Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 40; i++)
            {
                var id = $"c{c}-{i}";
                var reservation = new CounterReservation(id, [Day("s", 7, limit)], Now.AddMinutes(5));
                var result = await redis.Counters.TryReserveAsync(reservation);
                if (!result.Success) continue;
                Interlocked.Increment(ref granted);
                Assert.InRange(reservation.Values[0], 7, limit);
                await redis.Counters.SettleAsync(new CounterReservation(id, [Day("s", 2, limit)], Now));
            }
        })).ToArray();
        await Task.WhenAll(callers);

        // Each settled call holds 2 of its 7: the counter is 2 a granted call, and nothing is outstanding.
        Assert.True(granted > 0);
        Assert.Equal([2L * granted], await redis.Counters.ReadAsync([Day("s", 0, 0).Key]));
        Assert.Equal(0, await redis.Counters.OutstandingReservationsAsync());
        var (batches, calls) = redis.Reserves.Batched;
        Assert.True(batches <= calls, $"{batches} batches of {calls} calls");
    }

    /// <summary>The same starting state for both runs: a corrupt counter, and a lease of the layout before issue 16.</summary>
    private static async Task PrepareAsync(GuardedAIRedis redis)
    {
        var db = redis.Connection.GetDatabase();
        var prefix = redis.Options.KeyPrefix;
        await db.StringSetAsync(redis.Counters.CounterKeyName(Day("bad", 0, 0).Key), "not a number");
        var tokens = redis.Counters.CounterKeyName(Day("s", 0, 0).Key);
        await db.StringIncrementAsync(tokens, 30);
        await db.HashSetAsync(prefix + "l:old", tokens, 30);
        await db.SortedSetAddAsync(prefix + "leases", prefix + "l:old", Now.AddMinutes(5).ToUnixTimeMilliseconds());
    }

    private static async Task<string> ReserveAsync(GuardedAIRedis redis, string id, CounterCharge[] charges)
    {
        var reservation = new CounterReservation(id, charges, Now.AddMinutes(5));
        try
        {
            var result = await redis.Counters.TryReserveAsync(reservation);
            if (result.StoreTime is not null) return "outside the window";
            return result.Success ? "reserved " + string.Join(",", reservation.Values.ToArray()) : $"denied {result.FailedIndex} at {result.FailedCurrent}";
        }
        catch (RedisStoreException)
        {
            return "failed";
        }
    }

    private static async Task<string> SettleAsync(GuardedAIRedis redis, string id, CounterCharge[] charges)
    {
        var settlement = new CounterReservation(id, charges, Now);
        try
        {
            await redis.Counters.SettleAsync(settlement);
            return "settled " + string.Join(",", settlement.Values.ToArray());
        }
        catch (RedisStoreException)
        {
            return "failed";
        }
    }

    /// <summary>The counters, their expiries, the leases and the settled markers agree (each run under its own key prefix).</summary>
    private static async Task AssertSameStateAsync(GuardedAIRedis alone, GuardedAIRedis batched)
    {
        Assert.Equal(await alone.Counters.ReadAsync(Counters), await batched.Counters.ReadAsync(Counters));
        Assert.Equal(await alone.Counters.OutstandingReservationsAsync(), await batched.Counters.OutstandingReservationsAsync());
        Assert.Equal(await StateAsync(alone), await StateAsync(batched));
    }

    private static async Task<string[]> StateAsync(GuardedAIRedis redis)
    {
        var db = redis.Connection.GetDatabase();
        var prefix = redis.Options.KeyPrefix;
        var state = new List<string>();
        foreach (var key in Counters.Append(Day("bad", 0, 0).Key))
        {
            var name = redis.Counters.CounterKeyName(key);
            var expiry = await db.KeyExpireTimeAsync(name);
            state.Add($"{key.ToStorageKey()}: {(string?)await db.StringGetAsync(name)} expires {expiry?.ToString("O") ?? "never"}");
        }
        foreach (var id in Ids)
        {
            // A lease names its counters by their full key, which holds the run's prefix.
            var lease = ((string?)await db.StringGetAsync(prefix + "s:" + id))?.Replace(prefix, "<prefix>", StringComparison.Ordinal);
            var lives = (await db.KeyTimeToLiveAsync(prefix + "s:" + id)).HasValue;
            var held = await db.SortedSetScoreAsync(prefix + "held", prefix + "s:" + id) is not null;
            state.Add($"{id}: lease {lease ?? "none"}, lives {lives}, held {held}, old {await db.KeyExistsAsync(prefix + "l:" + id)}");
        }
        return [.. state];
    }
}
