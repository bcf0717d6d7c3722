using System.Runtime.CompilerServices;

namespace GuardedAI.Tests;

/// <summary>A reservation is held about as long as its call can last, and an abandoned stream gives its reservation back.</summary>
public class LeaseDurationTests
{
    private static BudgetPolicy Policy() => BudgetPolicy.Create("stream").ForModel("gpt-4o-mini").WithMaxOutputTokens(800)
        .WithLimit(BudgetDimension.TotalTokens, BudgetWindow.Day, 100_000).Build();

    [Fact]
    public async Task The_default_lease_is_the_request_timeout_plus_the_time_to_generate_the_output_cap()
    {
        var (engine, _, _) = TestEngine.Create();
        var (shorter, _, _) = TestEngine.Create(o => o.RequestTimeout = TimeSpan.FromSeconds(30));
        var (fixedLease, _, _) = TestEngine.Create(o => o.ReservationLease = TimeSpan.FromMinutes(2));

        var reservation = await engine.ReserveAsync(Policy(), TestEngine.Estimate(100, 800));
        var huge = await engine.ReserveAsync(BudgetPolicy.Create("huge").Build(), TestEngine.Estimate(100, 1_000_000));

        // 100 s to answer + 800 tokens at 20 tokens a second.
        Assert.Equal(TimeSpan.FromSeconds(140), reservation.ExpiresAt - reservation.StartedAt);
        Assert.Equal(TimeSpan.FromSeconds(70), (await shorter.ReserveAsync(Policy(), TestEngine.Estimate(100, 800))).ExpiresAt - TestEngine.Start);
        Assert.Equal(TimeSpan.FromMinutes(2), (await fixedLease.ReserveAsync(Policy(), TestEngine.Estimate(100, 800))).ExpiresAt - TestEngine.Start);
        Assert.Equal(TimeSpan.FromHours(1), huge.ExpiresAt - huge.StartedAt);
    }

    [Fact]
    public async Task An_orphaned_reservation_returns_when_its_derived_lease_ends()
    {
        var (engine, clock, _) = TestEngine.Create(o => o.LeaseSweepInterval = TimeSpan.FromSeconds(10));
        var policy = Policy();
        _ = await engine.ReserveAsync(policy, TestEngine.Estimate(1_000, 800));

        clock.Advance(TimeSpan.FromSeconds(130));
        Assert.Equal(1_800, (await engine.GetUsageAsync(policy)).Single().Used);
        clock.Advance(TimeSpan.FromSeconds(20));
        await engine.ReclaimExpiredReservationsAsync();

        Assert.Equal(0, (await engine.GetUsageAsync(policy)).Single().Used);
    }

    [Fact]
    public async Task A_stream_nobody_reads_or_disposes_is_cut_and_settles_what_arrived()
    {
        var (engine, clock, _) = TestEngine.Create(o => o.StreamIdleTimeout = TimeSpan.FromSeconds(60));
        var provider = new EndlessStream();
        var policy = Policy();
        var client = new BudgetChatClient(provider, engine, policy);

        var enumerator = client.GetStreamingResponseAsync("tell me a long story").GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        var reserved = (await engine.GetUsageAsync(policy)).Single().Used;
        // The caller walks away: no further MoveNextAsync, no DisposeAsync.
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(engine.Ledger.Snapshot());
        clock.Advance(TimeSpan.FromSeconds(2));

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Contains("not read for 1m 0s", record.Reason);
        Assert.Equal(engine.Tokenizers.ForModel("gpt-4o-mini").CountText(EndlessStream.Chunk), record.OutputTokens);
        var used = (await engine.GetUsageAsync(policy)).Single().Used;
        Assert.Equal(record.InputTokens + record.OutputTokens, used);
        Assert.True(used < reserved, $"{used} is still the reservation {reserved}");
        Assert.True(provider.Disposed, "the provider stream was not stopped");
        await Assert.ThrowsAsync<TimeoutException>(async () => await enumerator.MoveNextAsync());
    }

    [Fact]
    public async Task A_slow_provider_is_not_an_idle_reader()
    {
        var (engine, clock, _) = TestEngine.Create(o => o.StreamIdleTimeout = TimeSpan.FromSeconds(60));
        var provider = new EndlessStream { Limit = 2, Gate = new TaskCompletionSource() };
        var client = new BudgetChatClient(provider, engine, Policy());

        var enumerator = client.GetStreamingResponseAsync("think hard").GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        var next = enumerator.MoveNextAsync();   // the reader waits; the provider thinks for five minutes
        clock.Advance(TimeSpan.FromMinutes(5));
        provider.Gate.SetResult();

        Assert.True(await next);
        Assert.False(await enumerator.MoveNextAsync());
        await enumerator.DisposeAsync();
        Assert.Equal(UsageStatus.Success, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    [Fact]
    public async Task A_reader_that_pauses_less_than_the_timeout_each_time_is_never_cut_however_long_the_stream()
    {
        // The watchdog's timer is armed once and looks at when the last update was handed; each pause here is 45 s of a
        // 60 s timeout, and the stream lasts seven and a half minutes.
        var (engine, clock, _) = TestEngine.Create(o => o.StreamIdleTimeout = TimeSpan.FromSeconds(60));
        var provider = new EndlessStream { Limit = 10 };
        var client = new BudgetChatClient(provider, engine, Policy());

        var enumerator = client.GetStreamingResponseAsync("a slow reader").GetAsyncEnumerator();
        var read = 0;
        while (await enumerator.MoveNextAsync())
        {
            read++;
            clock.Advance(TimeSpan.FromSeconds(45));
            Assert.Empty(engine.Ledger.Snapshot());
        }
        await enumerator.DisposeAsync();

        Assert.Equal(10, read);
        Assert.Equal(UsageStatus.Success, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    [Fact]
    public async Task A_pause_past_the_timeout_late_in_a_stream_is_cut_at_the_timeout()
    {
        var (engine, clock, _) = TestEngine.Create(o => o.StreamIdleTimeout = TimeSpan.FromSeconds(60));
        var provider = new EndlessStream();
        var client = new BudgetChatClient(provider, engine, Policy());

        var enumerator = client.GetStreamingResponseAsync("read a little, then stop").GetAsyncEnumerator();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(await enumerator.MoveNextAsync());
            clock.Advance(TimeSpan.FromSeconds(50)); // the timer fires during these pauses and looks again later
        }
        Assert.True(await enumerator.MoveNextAsync());
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.Empty(engine.Ledger.Snapshot());
        clock.Advance(TimeSpan.FromSeconds(2));

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.Equal(engine.Tokenizers.ForModel("gpt-4o-mini").CountText(string.Concat(Enumerable.Repeat(EndlessStream.Chunk, 4))), record.OutputTokens);
        Assert.True(provider.Disposed, "the provider stream was not stopped");
        await Assert.ThrowsAsync<TimeoutException>(async () => await enumerator.MoveNextAsync());
    }

    [Fact]
    public async Task On_the_system_clock_a_stream_nobody_reads_is_cut_once_the_timeout_has_passed()
    {
        // The watchdog reads the system clock through Environment.TickCount64 (the fake clock through its timestamp):
        // the same cut, with real time and a real timer.
        var timeout = TimeSpan.FromSeconds(1);
        await using var engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, StreamIdleTimeout = timeout });
        var provider = new EndlessStream();
        var client = new BudgetChatClient(provider, engine, Policy());

        var enumerator = client.GetStreamingResponseAsync("walk away").GetAsyncEnumerator();
        Assert.True(await enumerator.MoveNextAsync());
        var away = System.Diagnostics.Stopwatch.StartNew();
        using (var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (engine.Ledger.Snapshot().Count == 0)
            {
                await Task.Delay(20, patience.Token);   // waiting for the cut, which the timer makes; nothing races here
            }
        }
        away.Stop();

        var record = Assert.Single(engine.Ledger.Snapshot());
        Assert.Equal(UsageStatus.Cancelled, record.Status);
        Assert.True(away.Elapsed >= timeout - TimeSpan.FromMilliseconds(50), $"cut after {away.Elapsed.TotalMilliseconds:0} ms, before the {timeout.TotalMilliseconds:0} ms timeout");
        Assert.True(provider.Disposed, "the provider stream was not stopped");
        await Assert.ThrowsAsync<TimeoutException>(async () => await enumerator.MoveNextAsync());
    }

    [Fact]
    public async Task On_the_system_clock_a_reader_that_pauses_well_under_the_timeout_is_not_cut_when_the_timer_fires()
    {
        // Eight pauses of 0.3 s against a 2 s timeout: the timer fires at 2 s, finds the last update handed a few hundred
        // milliseconds before, and re-arms (a clock read in the wrong unit would cut here, or never cut in the test above).
        // 0.3 s does not divide 2 s, so the reader's own delay does not end at the moment the timer fires.
        await using var engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false, StreamIdleTimeout = TimeSpan.FromSeconds(2) });
        var provider = new EndlessStream { Limit = 9 };
        var client = new BudgetChatClient(provider, engine, Policy());

        var read = 0;
        await foreach (var _ in client.GetStreamingResponseAsync("a steady reader"))
        {
            read++;
            if (read < 9) await Task.Delay(TimeSpan.FromMilliseconds(300));
        }

        Assert.Equal(9, read);
        Assert.Equal(UsageStatus.Success, Assert.Single(engine.Ledger.Snapshot()).Status);
    }

    /// <summary>A provider stream that goes on until it is stopped, and tells whether it was.</summary>
    private sealed class EndlessStream : IChatClient
    {
        public const string Chunk = "Once upon a time there was a budget that nobody read to the end. ";

        public int Limit { get; init; } = int.MaxValue;
        public TaskCompletionSource? Gate { get; init; }
        public bool Disposed { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            try
            {
                for (var i = 0; i < Limit; i++)
                {
                    if (i == 1 && Gate is not null) await Gate.Task;
                    await Task.Yield();
                    yield return new ChatResponseUpdate(ChatRole.Assistant, Chunk);
                }
            }
            finally
            {
                Disposed = true;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("endless", null, "gpt-4o-mini") : null;

        public void Dispose() { }
    }
}
