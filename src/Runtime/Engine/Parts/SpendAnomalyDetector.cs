namespace GuardedAI.Engine;

/// <summary>
/// Notices an hour whose spend is far above its recent baseline. Per scope it keeps the spend of the current UTC hour
/// and of up to <see cref="AlertSettings.AnomalyBaselineHours"/> past hours (an hour without calls counts as zero, from
/// the first hour the scope was seen). The baseline is the mean of those past hours. The current hour is an anomaly
/// once at least <see cref="AlertSettings.AnomalyMinimumBaselineHours"/> past hours were seen, its spend is at least
/// <see cref="AlertSettings.AnomalyMinimumSpendUsd"/>, and it is at least <see cref="AlertSettings.AnomalyFactor"/>
/// times the baseline. Kept in memory per instance: a restart starts a new baseline.
/// </summary>
internal sealed class SpendAnomalyDetector
{
    private readonly AlertSettings _settings;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HourSeries> _series = new(StringComparer.Ordinal);

    public SpendAnomalyDetector(AlertSettings settings) => _settings = settings;

    public bool Enabled => _settings.AnomalyFactor > 0;

    /// <summary>Adds a cost of <paramref name="nanos"/> (nano-dollars, the counters' unit) to <paramref name="scope"/>'s current hour.</summary>
    /// <returns>The hour's spend and baseline when the hour is an anomaly, else null.</returns>
    /// <remarks>Lock-free while the hour goes on and is below its alert level (nearly every call): the spend is added to a
    /// counter of nano-dollars, and the level is worked out once per hour. The hour's roll and an anomaly take the scope's lock.</remarks>
    public (decimal Spend, decimal Baseline, int Hours, DateTimeOffset HourEnd)? Observe(string scope, long nanos, DateTimeOffset now)
    {
        if (!Enabled || nanos <= 0) return null;
        var series = _series.TryGetValue(scope, out var known) ? known : _series.GetOrAdd(scope, static _ => new HourSeries());
        var hour = now.UtcTicks / TimeSpan.TicksPerHour;
        if (hour <= series.Hour)
        {
            if (Interlocked.Add(ref series.CurrentNanos.Value, nanos) < series.AlertAtNanos) return null;
            lock (series) return series.Anomaly(hour);
        }
        lock (series)
        {
            series.Roll(hour, _settings);
            Interlocked.Add(ref series.CurrentNanos.Value, nanos);
            return series.Anomaly(hour);
        }
    }

    private sealed class HourSeries
    {
        private long _hour = -1;
        private long _alertAtNanos = long.MaxValue;
        private readonly PastHours _past = new();

        /// <summary>The current hour's spend in nano-dollars. Every call adds to it: kept off the line of the hour and the
        /// alert level, which every call reads.</summary>
        public PaddedLong CurrentNanos;

        public long Hour => Volatile.Read(ref _hour);

        /// <summary>The current hour is an anomaly at this spend (long.MaxValue: it cannot be one).</summary>
        public long AlertAtNanos => Volatile.Read(ref _alertAtNanos);

        /// <summary>The anomaly of the current hour, or null (under the lock).</summary>
        public (decimal Spend, decimal Baseline, int Hours, DateTimeOffset HourEnd)? Anomaly(long hour)
        {
            var current = Volatile.Read(ref CurrentNanos.Value);
            if (_past.Count == 0 || current < AlertAtNanos) return null;
            var baseline = _past.Sum / _past.Count;
            return (BudgetUnits.FromUnits(BudgetDimension.CostUsd, current), baseline, _past.Count, new DateTimeOffset((hour + 1) * TimeSpan.TicksPerHour, TimeSpan.Zero));
        }

        /// <summary>Moves to <paramref name="hour"/> (under the lock): the current hour and any silent hours in between join
        /// the past, and the new hour's alert level is worked out from them.</summary>
        public void Roll(long hour, AlertSettings settings)
        {
            var keep = settings.AnomalyBaselineHours;
            if (_hour < 0)
            {
                Volatile.Write(ref _hour, hour);
                return;
            }
            if (hour <= _hour) return;
            var gap = Math.Min(hour - _hour, keep + 1L);
            Push(BudgetUnits.FromUnits(BudgetDimension.CostUsd, Interlocked.Exchange(ref CurrentNanos.Value, 0)), keep);
            for (var i = 1; i < gap; i++) Push(0, keep);
            long alertAt = long.MaxValue;
            if (_past.Count >= settings.AnomalyMinimumBaselineHours)
            {
                var baseline = _past.Sum / _past.Count;
                var level = Math.Max(settings.AnomalyMinimumSpendUsd, (decimal)settings.AnomalyFactor * baseline);
                alertAt = level * BudgetUnits.NanoDollarsPerDollar >= long.MaxValue ? long.MaxValue : BudgetUnits.ToUnits(BudgetDimension.CostUsd, level);
            }
            Volatile.Write(ref _alertAtNanos, alertAt);
            Volatile.Write(ref _hour, hour);
        }

        private void Push(decimal spend, int keep) => _past.Push(spend, keep);
    }

    /// <summary>
    /// The spend of the last hours, oldest dropped first (under the series' lock). A ring of our own rather than a
    /// <c>Queue&lt;decimal&gt;</c>: every budget's series is made on its first settlement, on a process's first call,
    /// where each framework generic over <c>decimal</c> is another method for the JIT.
    /// </summary>
    internal sealed class PastHours
    {
        private decimal[] _spend = new decimal[1];
        private int _start;

        /// <summary>Hours held.</summary>
        public int Count { get; private set; }

        /// <summary>Their spend added up.</summary>
        public decimal Sum
        {
            get
            {
                var sum = 0m;
                for (var i = 0; i < Count; i++) sum += _spend[(_start + i) % _spend.Length];
                return sum;
            }
        }

        /// <summary>The hours held, oldest first (tests).</summary>
        public decimal[] ToArray()
        {
            var hours = new decimal[Count];
            for (var i = 0; i < Count; i++) hours[i] = _spend[(_start + i) % _spend.Length];
            return hours;
        }

        /// <summary>Adds an hour and keeps the newest <paramref name="keep"/> (at least one).</summary>
        public void Push(decimal spend, int keep)
        {
            keep = Math.Max(1, keep);
            if (_spend.Length != keep)
            {
                // The setting changed (or this is the first hour): the newest hours move into a ring of the new size.
                var held = ToArray();
                var kept = Math.Min(held.Length, keep);
                _spend = new decimal[keep];
                for (var i = 0; i < kept; i++) _spend[i] = held[held.Length - kept + i];
                _start = 0;
                Count = kept;
            }
            if (Count < keep)
            {
                _spend[(_start + Count) % keep] = spend;
                Count++;
            }
            else
            {
                _spend[_start] = spend;
                _start = (_start + 1) % keep;
            }
        }
    }
}
