namespace GuardedAI.Benchmarks;

/// <summary>
/// Callers that each run one operation after another until stopped; a measurement waits for the next <c>n</c>
/// operations to finish, whoever finishes them. So what is timed is the callers' steady state, never their start (the
/// first requests go alone, before batches form) or their end (the last callers finish one by one, in ever smaller
/// batches), which a benchmark that starts and awaits its callers on every invocation times as well.
/// </summary>
internal sealed class SteadyCallers
{
    private readonly Task[] _callers;
    private long _completed;
    private long _target = long.MaxValue;
    private TaskCompletionSource? _reached;
    private volatile bool _stopping;
    private Exception? _failure;

    /// <param name="callers">How many callers run at once.</param>
    /// <param name="operation">One operation of a caller (a reserve + commit pair).</param>
    public SteadyCallers(int callers, Func<Task> operation)
    {
        _callers = new Task[callers];
        for (var c = 0; c < callers; c++)
        {
            _callers[c] = Task.Run(async () =>
            {
                try
                {
                    while (!_stopping)
                    {
                        await operation().ConfigureAwait(false);
                        var done = Interlocked.Increment(ref _completed);
                        if (done >= Volatile.Read(ref _target)) Volatile.Read(ref _reached)?.TrySetResult();
                    }
                }
                catch (Exception ex)
                {
                    // An operation that fails fails the measurement waiting, and the next one, rather than leaving it waiting.
                    Volatile.Write(ref _failure, ex);
                    Volatile.Read(ref _reached)?.TrySetException(ex);
                    throw;
                }
            });
        }
    }

    /// <summary>Completes when <paramref name="operations"/> more operations have finished, counted from now. One
    /// measurement at a time (BenchmarkDotNet invokes a benchmark method once at a time).</summary>
    public Task NextAsync(long operations)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _reached, reached);
        // The target is written after the signal it fires: a caller that reads the target reads a signal that goes with it.
        Volatile.Write(ref _target, Interlocked.Read(ref _completed) + operations);
        if (Volatile.Read(ref _failure) is { } failure) reached.TrySetException(failure);
        return reached.Task;
    }

    /// <summary>Lets each caller finish the operation it is in, and waits for them.</summary>
    public Task StopAsync()
    {
        _stopping = true;
        return Task.WhenAll(_callers);
    }
}
