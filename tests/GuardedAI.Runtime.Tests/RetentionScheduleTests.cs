using GuardedAI.Retention;
using Microsoft.Extensions.Time.Testing;

namespace GuardedAI.Tests;

/// <summary>The retention worker's schedule: a run is due an interval after the last one started on the engine's clock,
/// even when the clock moves on in the instant between the worker reading it and starting to wait.</summary>
public class RetentionScheduleTests
{
    private static readonly DateTimeOffset Now = new(2030, 7, 15, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(24)] // the run is due the moment the worker starts waiting
    [InlineData(23)] // an hour is left to wait, and the test moves the clock by that hour
    public async Task A_clock_that_moves_on_while_the_worker_starts_waiting_does_not_hold_back_the_next_run(int jumpHours)
    {
        var fake = new FakeTimeProvider(Now);
        // The worker reads the clock when a run starts, and again after it to work out its wait: right after that second
        // reading, the clock moves on, before the worker's delay has started.
        var clock = new JumpingClock(fake, jumpAfterRead: 2, by: TimeSpan.FromHours(jumpHours));
        var target = new RetentionTarget<string>();
        using var worker = new RecordingWorker(target, clock);
        target.Set("ledger", new LedgerRetentionOptions { Interval = TimeSpan.FromDays(1) });

        await worker.StartAsync(CancellationToken.None);
        Assert.Equal(Now, await NextRunAsync(worker));
        // The jump has happened once the first run is reported and the worker has read the clock again; what is left of
        // the day is moved through in small steps, as a test or a real clock would, until the run comes.
        var second = NextRunAsync(worker);
        while (!second.IsCompleted && fake.GetUtcNow() < Now.AddDays(1))
        {
            await Task.Yield();
            if (clock.Reads >= 3) fake.Advance(TimeSpan.FromMinutes(30));
        }
        // Without the second reading, the delay started after the jump would wait a whole day of a clock no one moves
        // any more: this would time out.
        Assert.Equal(Now.AddDays(1), await second);
        await worker.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Without_a_jump_the_next_run_waits_for_the_interval_on_the_clock()
    {
        var fake = new FakeTimeProvider(Now);
        var target = new RetentionTarget<string>();
        using var worker = new RecordingWorker(target, fake);
        target.Set("ledger", new LedgerRetentionOptions { Interval = TimeSpan.FromHours(6) });

        await worker.StartAsync(CancellationToken.None);
        Assert.Equal(Now, await NextRunAsync(worker));
        // Five hours and 59 minutes on: not due. (The worker may not have started its delay yet; the clock is read
        // again once it has, so the advance is seen either way.)
        fake.Advance(TimeSpan.FromHours(6) - TimeSpan.FromMinutes(1));
        Assert.False(worker.Runs.Reader.TryRead(out _));
        fake.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(Now.AddHours(6), await NextRunAsync(worker));
        await worker.StopAsync(CancellationToken.None);
    }

    private static Task<DateTimeOffset> NextRunAsync(RecordingWorker worker) =>
        worker.Runs.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

    /// <summary>A worker whose runs remove nothing and report when they started.</summary>
    private sealed class RecordingWorker(RetentionTarget<string> target, TimeProvider time) : LedgerRetentionWorker<string>(target, time)
    {
        public System.Threading.Channels.Channel<DateTimeOffset> Runs { get; } = System.Threading.Channels.Channel.CreateUnbounded<DateTimeOffset>();

        protected override Task<RetentionReport> ApplyAsync(string ledger, RetentionPolicy policy, DateTimeOffset now, DateTimeOffset? keepFrom, CancellationToken cancellationToken) =>
            Task.FromResult(new RetentionReport(policy.Plan(now, keepFrom), 0, 0, 0, 0, 0));

        protected override void LogRemoved(string ledger, RetentionReport report, DateTimeOffset started) => Runs.Writer.TryWrite(started);

        protected override void LogFailed(string ledger, Exception exception, TimeSpan interval) => Runs.Writer.TryComplete(exception);
    }

    /// <summary>A fake clock that moves on by <c>by</c> right after its <c>jumpAfterRead</c>-th reading (which still
    /// returns the time before the move).</summary>
    private sealed class JumpingClock(FakeTimeProvider inner, int jumpAfterRead, TimeSpan by) : TimeProvider
    {
        private int _reads;

        /// <summary>How many times the clock has been read.</summary>
        public int Reads => Volatile.Read(ref _reads);

        public override DateTimeOffset GetUtcNow()
        {
            var now = inner.GetUtcNow();
            if (Interlocked.Increment(ref _reads) == jumpAfterRead) inner.Advance(by);
            return now;
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime, period);

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;
    }
}
