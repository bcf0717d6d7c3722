using System.Diagnostics.Metrics;

namespace GuardedAI.AspNetCore;

/// <summary>
/// Tells the dashboard's event stream that something changed: a call settled or was denied, a breaker moved, an alert
/// arrived. It listens to the engine's own instruments (meter <c>GuardedAI</c>, created through this application's
/// <see cref="IMeterFactory"/>, so two applications in one process do not wake each other), and to the alert sink.
/// Each change bumps a version; waiters are released at once.
/// </summary>
internal sealed class UsageChangeSignal : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly IMeterFactory? _meters;
    private readonly object _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    public UsageChangeSignal(IMeterFactory? meters)
    {
        _meters = meters;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GuardedAITelemetry.MeterName && (_meters is null || ReferenceEquals(instrument.Meter.Scope, _meters))
                && instrument.Name is "gen_ai.client.operation.duration" or "guardedai.denials" or "guardedai.breaker.state")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, _, _, _) => Notify());
        _listener.SetMeasurementEventCallback<long>((_, _, _, _) => Notify());
        _listener.SetMeasurementEventCallback<int>((_, _, _, _) => Notify());
        _listener.Start();
    }

    public long Version => Interlocked.Read(ref _version);

    public void Notify()
    {
        TaskCompletionSource released;
        lock (_gate)
        {
            _version++;
            released = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        released.TrySetResult();
    }

    /// <summary>Completes at the next change after this call.</summary>
    public Task NextChange()
    {
        lock (_gate) return _changed.Task;
    }

    public void Dispose() => _listener.Dispose();
}
