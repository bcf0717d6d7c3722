using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Engine;

/// <summary>
/// Samples the host on the engine's clock and keeps the verdict in one field, so a call's check is a single read:
/// nothing is measured on the call path. Under pressure, <see cref="AdmitAsync"/> spaces new calls out (throttle) or
/// denies them, naming the resource.
/// </summary>
internal sealed class HostPressureMonitor : IAsyncDisposable
{
    private readonly HostPressureSettings _settings;
    private readonly TimeProvider _time;
    private readonly IHostResourceProbe _probe;
    private readonly ILogger _logger;
    private readonly GuardedAIMetrics? _metrics;
    private readonly ITimer _timer;
    private readonly object _sampling = new();
    private volatile HostPressure? _pressure;
    private long _nextSlotTicks;

    public HostPressureMonitor(HostPressureSettings settings, TimeProvider time, ILogger logger, GuardedAIMetrics? metrics)
    {
        _settings = settings;
        _time = time;
        _probe = settings.Probe ?? new SystemResourceProbe(time, settings.DiskPath);
        _logger = logger;
        _metrics = metrics;
        _timer = time.CreateTimer(static state => ((HostPressureMonitor)state!).Sample(), this, settings.SampleInterval, settings.SampleInterval);
    }

    /// <summary>The resource under pressure, or null.</summary>
    public HostPressure? Current => _pressure;

    /// <summary>Takes a sample now (the timer does this every interval).</summary>
    public void Sample()
    {
        lock (_sampling)
        {
            HostResourceSample sample;
            try
            {
                sample = _probe.Sample();
            }
            catch (Exception ex)
            {
                HostPressureLog.SampleFailed(_logger, ex);
                return;
            }
            Publish("cpu", sample.CpuPercent);
            Publish("memory", sample.MemoryPercent);
            Publish("disk", sample.DiskPercent);
            var pressure = Over("CPU", sample.CpuPercent, _settings.CpuPercent)
                ?? Over("memory", sample.MemoryPercent, _settings.MemoryPercent)
                ?? Over("disk", sample.DiskPercent, _settings.DiskPercent);
            var before = _pressure;
            _pressure = pressure;
            if (pressure is not null && before?.Resource != pressure.Resource)
                HostPressureLog.PressureBegan(_logger, pressure.Resource, pressure.Percent, pressure.Threshold, _settings.Action);
            else if (pressure is null && before is not null) HostPressureLog.PressureEnded(_logger, before.Resource);
        }
    }

    /// <summary>Lets a call go (null), after a wait when throttling, or denies it.</summary>
    public ValueTask<BudgetDenial?> AdmitAsync(string scope, CancellationToken cancellationToken)
    {
        var pressure = _pressure;
        if (pressure is null) return ValueTask.FromResult<BudgetDenial?>(null);
        if (_settings.Action == HostPressureAction.Deny) return ValueTask.FromResult<BudgetDenial?>(Denial(scope, pressure, _settings.SampleInterval, "denied"));

        var now = _time.GetUtcNow().UtcTicks;
        var interval = _settings.ThrottleInterval.Ticks;
        while (true)
        {
            var next = Interlocked.Read(ref _nextSlotTicks);
            var slot = Math.Max(now, next);
            var wait = TimeSpan.FromTicks(slot - now);
            if (wait > _settings.MaxThrottleWait) return ValueTask.FromResult<BudgetDenial?>(Denial(scope, pressure, wait, "throttled, and the queue of waiting calls is full"));
            if (Interlocked.CompareExchange(ref _nextSlotTicks, slot + interval, next) != next) continue;
            return wait <= TimeSpan.Zero ? ValueTask.FromResult<BudgetDenial?>(null) : WaitAsync(wait, cancellationToken);
        }
    }

    private async ValueTask<BudgetDenial?> WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static BudgetDenial Denial(string scope, HostPressure pressure, TimeSpan retryAfter, string what) =>
        new(DenialKind.HostPressure, scope, null, null, 0, 0, 0, retryAfter,
            string.Create(CultureInfo.InvariantCulture,
                $"GuardedAI denied the call: the host's {pressure.Resource} use is {pressure.Percent:0.#}%, at or above the {pressure.Threshold:0.#}% GuardedAI protects it at, so new calls are {what}. Retry after {Denials.FormatDuration(retryAfter)}."));

    private void Publish(string resource, double? percent)
    {
        if (percent is { } p) _metrics?.HostUtilization(resource, p / 100);
    }

    private static HostPressure? Over(string resource, double? percent, double threshold) =>
        threshold > 0 && percent is { } p && p >= threshold ? new HostPressure(resource, p, threshold) : null;

    public ValueTask DisposeAsync() => _timer.DisposeAsync();
}

/// <summary>A resource at or above its threshold.</summary>
internal sealed record HostPressure(string Resource, double Percent, double Threshold);

/// <summary>Host-pressure log messages (ids 1601–1699; see <c>docs/logging.md</c>).</summary>
internal static partial class HostPressureLog
{
    [LoggerMessage(1601, LogLevel.Warning, "GuardedAI: the host's {Resource} use is {Percent:0.#}%, at or above {Threshold}%; new calls are {Action}.")]
    public static partial void PressureBegan(ILogger logger, string resource, double percent, double threshold, HostPressureAction action);

    [LoggerMessage(1602, LogLevel.Information, "GuardedAI: the host's {Resource} use is below its threshold again; calls flow normally.")]
    public static partial void PressureEnded(ILogger logger, string resource);

    [LoggerMessage(1603, LogLevel.Warning, "GuardedAI could not sample the host's resources; it will try again.")]
    public static partial void SampleFailed(ILogger logger, Exception exception);
}
