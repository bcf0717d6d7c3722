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

    /// <summary>Adds <paramref name="cost"/> to <paramref name="scope"/>'s current hour.</summary>
    /// <returns>The hour's spend and baseline when the hour is an anomaly, else null.</returns>
    public (decimal Spend, decimal Baseline, int Hours, DateTimeOffset HourEnd)? Observe(string scope, decimal cost, DateTimeOffset now)
    {
        if (!Enabled || cost <= 0) return null;
        var series = _series.GetOrAdd(scope, static _ => new HourSeries());
        var hour = now.UtcTicks / TimeSpan.TicksPerHour;
        lock (series)
        {
            series.Roll(hour, _settings.AnomalyBaselineHours);
            series.Current += cost;
            if (series.Past.Count < _settings.AnomalyMinimumBaselineHours || series.Current < _settings.AnomalyMinimumSpendUsd) return null;
            var baseline = series.Past.Sum() / series.Past.Count;
            if (series.Current < (decimal)_settings.AnomalyFactor * baseline) return null;
            return (series.Current, baseline, series.Past.Count, new DateTimeOffset((hour + 1) * TimeSpan.TicksPerHour, TimeSpan.Zero));
        }
    }

    private sealed class HourSeries
    {
        private long _hour = -1;

        public decimal Current;

        public Queue<decimal> Past { get; } = new();

        /// <summary>Moves to <paramref name="hour"/>: the current hour and any silent hours in between join the past.</summary>
        public void Roll(long hour, int keep)
        {
            if (_hour < 0) { _hour = hour; return; }
            if (hour <= _hour) return;
            var gap = Math.Min(hour - _hour, keep + 1L);
            Push(Current, keep);
            for (var i = 1; i < gap; i++) Push(0, keep);
            Current = 0;
            _hour = hour;
        }

        private void Push(decimal spend, int keep)
        {
            Past.Enqueue(spend);
            while (Past.Count > keep) Past.Dequeue();
        }
    }
}
