using System.Diagnostics;

namespace GuardedAI.PostgreSql.Tests;

/// <summary>
/// Measures, while it runs, how late the thread pool runs a 20 ms timer's continuation. On a saturated machine an
/// append's continuation is late by as much for reasons that are not the ledger's, so a bound on how long an append
/// takes allows for it; a wait on a stopped or frozen database shows as whole seconds more.
/// </summary>
internal sealed class PoolLag : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _maxTicks;

    private PoolLag() => _loop = Task.Run(LoopAsync);

    public static PoolLag Start() => new();

    /// <summary>The latest the timer ran so far.</summary>
    public TimeSpan Max => TimeSpan.FromTicks(Volatile.Read(ref _maxTicks));

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var asleep = Stopwatch.GetTimestamp();
            try { await Task.Delay(20, _stop.Token); } catch (OperationCanceledException) { return; }
            var late = Stopwatch.GetElapsedTime(asleep).Ticks - 20 * TimeSpan.TicksPerMillisecond;
            if (late > _maxTicks) Volatile.Write(ref _maxTicks, late); // the loop is the only writer
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
