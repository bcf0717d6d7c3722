using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.RateLimiting;

namespace GuardedAI.Engine;

/// <summary>
/// The throttle of each budget that asks for one (<see cref="DegradationSettings.ThrottleInterval"/>): a rate limiter that
/// spaces calls an interval apart on the engine's clock, with a queue. A budget past its warning threshold waits for its
/// turn before it reserves; a full queue is a denial.
/// </summary>
internal sealed class Throttles(TimeProvider time) : IAsyncDisposable
{
    // Made with the first throttled call: a table of rate limiters as a field would load System.Threading.RateLimiting
    // with every engine, on a process's first call, and most budgets are never throttled.
    private Table? _table;

    /// <summary>Waits for the budget's turn; a denial when the queue is full.</summary>
    public async ValueTask<BudgetDenial?> WaitAsync(BudgetPolicy policy, TimeSpan interval, CancellationToken cancellationToken)
    {
        var table = LazyInitializer.EnsureInitialized(ref _table);
        var throttle = table.Throttles.GetOrAdd(policy.Name, static (_, state) => new SpacingRateLimiter(state.time, state.interval, state.queue), (time, interval, queue: policy.Degradation.ThrottleQueueLimit));
        using var lease = await throttle.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (lease.IsAcquired) return null;
        return new BudgetDenial(DenialKind.Throttled, policy.Name, null, null, 0, 0, 0, interval,
            string.Create(CultureInfo.InvariantCulture,
                $"Budget '{policy.Name}' denied the call: it is past its warning threshold ({policy.Thresholds.WarnAtPercent:0.#}%) and throttled to one call every {Denials.FormatDuration(interval)}, and {policy.Degradation.ThrottleQueueLimit} calls are already waiting. Retry after {Denials.FormatDuration(interval)}."));
    }

    public async ValueTask DisposeAsync()
    {
        if (Volatile.Read(ref _table) is not { } table) return;
        foreach (var throttle in table.Throttles.Values) await throttle.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class Table
    {
        public ConcurrentDictionary<string, RateLimiter> Throttles { get; } = new(StringComparer.Ordinal);
    }
}
