using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI;

/// <summary>
/// Delivers alerts off the call path: <see cref="Publish"/> only enqueues, and one background loop hands each
/// alert to every sink, so a slow webhook never slows a call. Alerts are de-duplicated by a key (scope,
/// dimension, level, window instance) so each level fires once per window. The queue is bounded; when a flood
/// overflows it, the oldest waiting alerts are dropped and counted in <see cref="Dropped"/>. With an
/// <see cref="IAlertDedupStore"/> (Redis), instances share the de-duplication: the delivery loop claims each key
/// in the store first, so an alert fires once per window across every instance.
/// </summary>
internal sealed class AlertDispatcher : IAsyncDisposable
{
    private readonly Channel<object> _queue; // QueuedAlert, or a TaskCompletionSource flush marker
    private readonly IAlertDedupStore? _dedupStore;
    private readonly ConcurrentDictionary<string, byte> _sent = new(StringComparer.Ordinal);
    private readonly List<IBudgetAlertSink> _sinks;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();
    private long _delivered;
    private long _dropped;
    private long _suppressed;

    /// <summary>Creates the dispatcher and starts its delivery loop.</summary>
    public AlertDispatcher(IEnumerable<IBudgetAlertSink> sinks, ILogger? logger = null, int capacity = 1024)
        : this(sinks, logger, capacity, dedupStore: null) { }

    /// <summary>Creates the dispatcher with a shared de-duplication store and starts its delivery loop.</summary>
    public AlertDispatcher(IEnumerable<IBudgetAlertSink> sinks, ILogger? logger, int capacity, IAlertDedupStore? dedupStore)
    {
        _dedupStore = dedupStore;
        _sinks = sinks.ToList();
        _logger = logger ?? NullLogger.Instance;
        _queue = Channel.CreateBounded<object>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleReader = true,
        }, OnDropped);
        _loop = Task.Run(DeliverAsync);
    }

    /// <summary>Raised on the delivery loop after an alert went to every sink (tests and dashboards observe this).</summary>
    public event Action<BudgetAlert>? Delivered;

    /// <summary>The sinks alerts go to.</summary>
    public IReadOnlyList<IBudgetAlertSink> Sinks => _sinks;

    /// <summary>Alerts dropped because the queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Alerts not delivered because another instance already delivered the same key.</summary>
    public long SuppressedByOtherInstances => Interlocked.Read(ref _suppressed);

    /// <summary>Queues <paramref name="alert"/> unless an alert with the same <paramref name="dedupKey"/> was already published.</summary>
    /// <returns>Whether it was queued.</returns>
    public bool Publish(BudgetAlert alert, string? dedupKey = null)
    {
        if (dedupKey is not null && !_sent.TryAdd(dedupKey, 0)) return false;
        if (!_queue.Writer.TryWrite(new QueuedAlert(alert, dedupKey))) Interlocked.Increment(ref _dropped);
        return true;
    }

    /// <summary>Forgets de-duplication keys for which <paramref name="isStale"/> holds (windows that ended).</summary>
    public void ForgetKeys(Func<string, bool> isStale)
    {
        foreach (var key in _sent.Keys)
        {
            if (isStale(key)) _sent.TryRemove(key, out _);
        }
    }

    /// <summary>Alerts delivered to every sink so far.</summary>
    public long DeliveredCount => Interlocked.Read(ref _delivered);

    /// <summary>Completes once every alert published before the call has been delivered (or dropped).</summary>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        // The queue is FIFO: a marker written now is read after everything published before it.
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_loop.IsCompleted || !_queue.Writer.TryWrite(marker)) return Task.CompletedTask;
        return marker.Task.WaitAsync(cancellationToken);
    }

    private void OnDropped(object item)
    {
        if (item is TaskCompletionSource marker) marker.TrySetResult();
        else Interlocked.Increment(ref _dropped);
    }

    private async Task DeliverAsync()
    {
        try
        {
            await foreach (var item in _queue.Reader.ReadAllAsync(_stopping.Token).ConfigureAwait(false))
            {
                if (item is TaskCompletionSource marker)
                {
                    marker.TrySetResult();
                    continue;
                }
                var (alert, key) = (QueuedAlert)item;
                if (key is not null && _dedupStore is not null && !await ClaimAsync(key, alert).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _suppressed);
                    continue;
                }
                foreach (var sink in _sinks)
                {
                    try
                    {
                        await sink.SendAsync(alert, _stopping.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                    {
                        EngineLog.AlertSinkFailed(_logger, ex, sink.GetType().Name, alert.Level, alert.Scope);
                    }
                }
                Interlocked.Increment(ref _delivered);
                try { Delivered?.Invoke(alert); } catch (Exception ex) { EngineLog.AlertObserverFailed(_logger, ex); }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private async Task<bool> ClaimAsync(string key, BudgetAlert alert)
    {
        var expiresAt = AlertKeys.WindowEndTicks(key) is { } ticks ? new DateTimeOffset(ticks, TimeSpan.Zero) : alert.Timestamp.AddDays(1);
        try
        {
            return await _dedupStore!.TryClaimAsync(key, expiresAt, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
        {
            // Better twice than never: an unreachable dedup store does not silence alerts.
            EngineLog.AlertDedupFailed(_logger, ex, alert.Level, alert.Scope);
            return true;
        }
    }

    private sealed record QueuedAlert(BudgetAlert Alert, string? Key);

    /// <summary>Delivers what is queued (up to a few seconds), then stops the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _loop.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _stopping.Cancel();
        }
        _stopping.Dispose();
    }
}
