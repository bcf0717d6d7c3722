using System.Threading.Channels;

namespace GuardedAI;

/// <summary>
/// The bounded queue of an alert stage — the dispatcher's routing, each sink's delivery — and the one loop that reads it:
/// items and flush markers in order; when full, the oldest item is dropped (a dropped marker completes, anything else is
/// the owner's to count). The loop starts with the first item queued, not with the owner: an engine is built at start-up,
/// and a loop running from then on competes with the process's first call for the just-in-time compiler and the cores,
/// for nothing queued. The channel itself is made with the first item too (or when the queue completes): an engine that
/// never alerts never loads the channels library (~4 ms of a process's first call, for its default sink alone).
/// </summary>
internal sealed class AlertQueue
{
    private readonly int _capacity;
    private readonly Action<object> _dropped;
    private readonly Func<Task> _read;
    private readonly object _gate = new();
    private Channel<object>? _channel;
    private Task? _loop;

    /// <param name="capacity">How many items wait at most.</param>
    /// <param name="dropped">Told of each item (not marker) dropped to make room.</param>
    /// <param name="read">The loop: reads <see cref="Reader"/> until it completes.</param>
    public AlertQueue(int capacity, Action<object> dropped, Func<Task> read)
    {
        _capacity = capacity;
        _dropped = dropped;
        _read = read;
    }

    /// <summary>What the loop reads.</summary>
    public ChannelReader<object> Reader => Queue.Reader;

    private Channel<object> Queue => Volatile.Read(ref _channel) ?? Make();

    private Channel<object> Make()
    {
        var made = Channel.CreateBounded<object>(new BoundedChannelOptions(_capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, item =>
        {
            if (item is TaskCompletionSource marker) marker.TrySetResult();
            else _dropped(item);
        });
        // Two first items at once: one channel wins, the other was never written to.
        return Interlocked.CompareExchange(ref _channel, made, null) ?? made;
    }

    /// <summary>Queues <paramref name="item"/> and makes sure the loop runs; false when the queue takes no more items.</summary>
    public bool TryAdd(object item)
    {
        if (!Queue.Writer.TryWrite(item)) return false;
        if (Volatile.Read(ref _loop) is null) Loop();
        return true;
    }

    /// <summary>Completes once everything queued before the call was read (a marker the loop completes); at once when the
    /// loop has ended or the queue takes no more items.</summary>
    public Task FlushAsync()
    {
        // The queue is FIFO: a marker written now is read after everything queued before it.
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Volatile.Read(ref _loop)?.IsCompleted == true || !TryAdd(marker)) return Task.CompletedTask;
        return marker.Task;
    }

    /// <summary>Takes no more items and waits up to <paramref name="timeout"/> for the loop to read what is queued (at once
    /// when it never started and nothing is queued); false when it did not finish in time.</summary>
    public async Task<bool> CompleteAsync(TimeSpan timeout)
    {
        var queue = Queue;
        queue.Writer.TryComplete();
        if (Volatile.Read(ref _loop) is null && !queue.Reader.TryPeek(out _)) return true;
        try
        {
            await Loop().WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private Task Loop()
    {
        if (Volatile.Read(ref _loop) is { } loop) return loop;
        lock (_gate) return _loop ??= Task.Run(_read);
    }
}
