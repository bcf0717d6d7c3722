namespace GuardedAI.Reports;

/// <summary>Amounts of usage in the dimensions limits count.</summary>
/// <param name="Requests">Calls that counted against limits (denied calls do not).</param>
/// <param name="InputTokens">Input tokens.</param>
/// <param name="OutputTokens">Output tokens.</param>
/// <param name="CostUsd">Cost.</param>
public readonly record struct UsageAmount(decimal Requests, decimal InputTokens, decimal OutputTokens, decimal CostUsd)
{
    /// <summary>Input plus output tokens.</summary>
    public decimal TotalTokens => InputTokens + OutputTokens;

    /// <summary>The amount a limit of <paramref name="dimension"/> counts.</summary>
    public decimal Get(BudgetDimension dimension) => dimension switch
    {
        BudgetDimension.Requests => Requests,
        BudgetDimension.InputTokens => InputTokens,
        BudgetDimension.OutputTokens => OutputTokens,
        BudgetDimension.TotalTokens => TotalTokens,
        _ => CostUsd,
    };

    /// <summary>Adds two amounts.</summary>
    public static UsageAmount operator +(UsageAmount a, UsageAmount b) => new(a.Requests + b.Requests, a.InputTokens + b.InputTokens, a.OutputTokens + b.OutputTokens, a.CostUsd + b.CostUsd);

    /// <summary>Adds two amounts (for languages without operators).</summary>
    public UsageAmount Add(UsageAmount other) => this + other;

    /// <summary>What a limit counts of <paramref name="sums"/> with outcome <paramref name="status"/>.</summary>
    public static UsageAmount Of(UsageStatus status, UsageSums sums) => status == UsageStatus.Denied
        ? default
        : new UsageAmount(sums.Requests, sums.InputTokens, sums.OutputTokens, sums.CostUsd);
}

/// <summary>Where a limit is heading.</summary>
/// <param name="Limit">The limit.</param>
/// <param name="Used">Usage in the current window so far.</param>
/// <param name="ProjectedAtWindowEnd">Projected usage when the window ends.</param>
/// <param name="WindowEnd">When the window ends (the limit resets).</param>
/// <param name="ReachedAt">When the projection reaches the limit, if before the window ends and not yet reached.</param>
/// <param name="AlreadyReached">Whether usage is already at or over the limit.</param>
public sealed record LimitProjection(BudgetLimit Limit, decimal Used, decimal ProjectedAtWindowEnd, DateTimeOffset WindowEnd, DateTimeOffset? ReachedAt, bool AlreadyReached)
{
    /// <summary>The projection as a percentage of the limit.</summary>
    public double ProjectedPercent => Limit.Amount == 0 ? 0 : (double)(ProjectedAtWindowEnd / Limit.Amount * 100m);
}

/// <summary>The month-end forecast of one budget or tenant.</summary>
/// <param name="Scope">The budget name or tenant id.</param>
/// <param name="MonthStart">The month's first instant.</param>
/// <param name="MonthEnd">The next month's first instant.</param>
/// <param name="MonthToDate">Usage so far this month.</param>
/// <param name="ProjectedMonthEnd">Projected usage for the whole month.</param>
/// <param name="Method"><c>trend</c> (weekday/weekend-adjusted linear trend of recent days) or <c>pace</c> (month so far, too little history for a trend).</param>
/// <param name="HistoryDays">Complete days the trend was fitted on.</param>
/// <param name="WeekendFactor">Weekend spend relative to weekday spend in the history (1: no difference).</param>
/// <param name="Limits">Projections of the scope's limits (when its budget is known).</param>
public sealed record ScopeForecast(string Scope, DateTimeOffset MonthStart, DateTimeOffset MonthEnd, UsageAmount MonthToDate, UsageAmount ProjectedMonthEnd,
    string Method, int HistoryDays, double WeekendFactor, IReadOnlyList<LimitProjection> Limits);

/// <summary>
/// Month-end forecasts per budget or tenant, and when each limit will be reached. The model (docs/reports.md):
/// the last <see cref="HistoryDays"/> complete days give a weekday and a weekend level (their ratio) and, after
/// removing that weekly pattern, a linear trend fitted by least squares; the rest of today and each remaining day of
/// the month are projected with the trend times the day's weekday/weekend factor and added to the month so far.
/// With fewer than seven days of history the month so far is projected at its pace. Day limits are projected at
/// the pace of the day so far.
/// </summary>
public static class SpendForecast
{
    /// <summary>Complete days the trend is fitted on (default four weeks).</summary>
    public const int HistoryDays = 28;

    /// <summary>Forecasts every budget (<paramref name="scope"/> = budget) or tenant (= tenant) with usage in the history.</summary>
    /// <param name="ledger">The ledger.</param>
    /// <param name="now">The time of the forecast.</param>
    /// <param name="timeZone">Whose calendar months and days follow.</param>
    /// <param name="scope"><see cref="UsageDimension.Budget"/> or <see cref="UsageDimension.Tenant"/>.</param>
    /// <param name="policyOf">The policy of a budget or tenant, if known, for its limits.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static async Task<IReadOnlyList<ScopeForecast>> ForecastAsync(IUsageLedgerQueries ledger, DateTimeOffset now, TimeZoneInfo timeZone, UsageDimension scope,
        Func<string, BudgetPolicy?>? policyOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(timeZone);
        if (scope is not (UsageDimension.Budget or UsageDimension.Tenant)) throw new ArgumentOutOfRangeException(nameof(scope), scope, "Forecasts are per budget or per tenant.");
        var (monthStart, monthEnd) = UsageCalendar.PeriodAround(UsageBucket.Month, now, timeZone);
        var today = UsageCalendar.StartOf(UsageBucket.Day, now, timeZone);
        var historyStart = today;
        for (var i = 0; i < HistoryDays; i++) historyStart = UsageCalendar.StartOf(UsageBucket.Day, historyStart.AddHours(-12), timeZone);
        var from = historyStart < monthStart ? historyStart : monthStart;
        if (now <= from) return [];

        var days = new Dictionary<string, SortedDictionary<DateTimeOffset, UsageAmount>>(StringComparer.Ordinal);
        var query = new UsageAggregateQuery { From = from, To = now, Bucket = UsageBucket.Day, TimeZone = timeZone, GroupBy = [new UsageGrouping(scope)] };
        await foreach (var row in ledger.AggregateAsync(query, cancellationToken).ConfigureAwait(false))
        {
            if (row.Keys[0] is not { } key) continue; // calls without a tenant are no tenant's
            if (!days.TryGetValue(key, out var series)) days[key] = series = new SortedDictionary<DateTimeOffset, UsageAmount>();
            series[row.BucketStart] = (series.TryGetValue(row.BucketStart, out var a) ? a : default) + UsageAmount.Of(row.Status, row.Sums);
        }

        var calendar = new Calendar(historyStart, today, monthStart, monthEnd, now, timeZone);
        return days.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => Forecast(d.Key, d.Value, calendar, policyOf?.Invoke(d.Key))).ToList();
    }

    private sealed record Calendar(DateTimeOffset HistoryStart, DateTimeOffset Today, DateTimeOffset MonthStart, DateTimeOffset MonthEnd, DateTimeOffset Now, TimeZoneInfo Zone)
    {
        public DateTimeOffset NextDay(DateTimeOffset day) => UsageCalendar.NextStart(UsageBucket.Day, day, Zone);
        public bool IsWeekend(DateTimeOffset day) => TimeZoneInfo.ConvertTime(day, Zone).DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
    }

    private static ScopeForecast Forecast(string name, SortedDictionary<DateTimeOffset, UsageAmount> series, Calendar c, BudgetPolicy? policy)
    {
        var monthToDate = series.Where(d => d.Key >= c.MonthStart).Aggregate(default(UsageAmount), (s, d) => s + d.Value);
        var todaySoFar = series.TryGetValue(c.Today, out var t) ? t : default;

        // The complete days of the history, zeros included (a day without calls is information too).
        var history = new List<(DateTimeOffset Day, UsageAmount Amount)>();
        for (var day = c.HistoryStart; day < c.Today; day = c.NextDay(day)) history.Add((day, series.TryGetValue(day, out var a) ? a : default));
        var firstActive = history.FindIndex(h => h.Amount.Requests > 0 || h.Amount.CostUsd > 0);
        if (firstActive < 0) history.Clear(); // nothing before today: no trend to fit
        else if (firstActive > 0) history.RemoveRange(0, firstActive); // a scope that started recently: its days before do not pull the trend down

        // The segments still to come this month: the rest of today, then whole days.
        var todayEnd = c.NextDay(c.Today);
        var dayLength = (todayEnd - c.Today).TotalSeconds;
        var restOfToday = Math.Clamp((todayEnd - c.Now).TotalSeconds / dayLength, 0, 1);
        var segments = new List<(DateTimeOffset Start, DateTimeOffset End, int Index, bool Weekend, double Fraction)>();
        var index = history.Count; // day index of today in the history's numbering
        if (todayEnd > c.Now) segments.Add((c.Now, todayEnd, index, c.IsWeekend(c.Today), restOfToday));
        for (var day = todayEnd; day < c.MonthEnd; day = c.NextDay(day)) segments.Add((day, c.NextDay(day), ++index, c.IsWeekend(day), 1.0));

        string method;
        double weekendFactor = 1;
        Func<int, bool, BudgetDimension, double> predict;
        if (history.Count >= 7)
        {
            method = "trend";
            var models = new Dictionary<BudgetDimension, TrendModel>();
            foreach (var dimension in new[] { BudgetDimension.Requests, BudgetDimension.InputTokens, BudgetDimension.OutputTokens, BudgetDimension.CostUsd })
            {
                models[dimension] = TrendModel.Fit(history.Select((h, i) => (i, c.IsWeekend(h.Day), (double)h.Amount.Get(dimension))).ToList());
            }
            weekendFactor = models[BudgetDimension.CostUsd].WeekendRatio;
            predict = (i, weekend, dimension) => dimension == BudgetDimension.TotalTokens
                ? models[BudgetDimension.InputTokens].Predict(i, weekend) + models[BudgetDimension.OutputTokens].Predict(i, weekend)
                : models[dimension].Predict(i, weekend);
        }
        else
        {
            method = "pace";
            var elapsedDays = Math.Max((c.Now - c.MonthStart).TotalDays, 1.0 / 24);
            predict = (_, _, dimension) => (double)monthToDate.Get(dimension) / elapsedDays;
        }

        UsageAmount Remaining(Func<(DateTimeOffset Start, DateTimeOffset End, int Index, bool Weekend, double Fraction), bool> which)
        {
            double r = 0, i = 0, o = 0, cost = 0;
            foreach (var s in segments.Where(which))
            {
                r += predict(s.Index, s.Weekend, BudgetDimension.Requests) * s.Fraction;
                i += predict(s.Index, s.Weekend, BudgetDimension.InputTokens) * s.Fraction;
                o += predict(s.Index, s.Weekend, BudgetDimension.OutputTokens) * s.Fraction;
                cost += predict(s.Index, s.Weekend, BudgetDimension.CostUsd) * s.Fraction;
            }
            return new UsageAmount(Round(r, 0), Round(i, 0), Round(o, 0), Round(cost, 6));
        }

        var projected = monthToDate + Remaining(_ => true);
        var limits = new List<LimitProjection>();
        foreach (var limit in policy?.Limits ?? [])
        {
            switch (limit.Window)
            {
                case BudgetWindow.Month:
                {
                    var used = monthToDate.Get(limit.Dimension);
                    var reached = used >= limit.Amount ? (DateTimeOffset?)null : Crossing(used, limit.Amount, segments, s => predict(s.Index, s.Weekend, limit.Dimension) * s.Fraction);
                    limits.Add(new LimitProjection(limit, used, projected.Get(limit.Dimension), c.MonthEnd, reached, used >= limit.Amount));
                    break;
                }
                case BudgetWindow.Day:
                {
                    // The day so far at its pace (what a person would compute, and what the engine's BudgetForecast does).
                    var used = todaySoFar.Get(limit.Dimension);
                    var usage = new LimitUsage(name, limit, used, c.Today, todayEnd);
                    var pace = BudgetForecast.Project(usage, c.Now);
                    limits.Add(new LimitProjection(limit, used, pace.ProjectedAtWindowEnd, todayEnd, used >= limit.Amount ? null : pace.ExhaustedAt, used >= limit.Amount));
                    break;
                }
            }
        }
        return new ScopeForecast(name, c.MonthStart, c.MonthEnd, monthToDate, projected, method, history.Count, weekendFactor, limits);
    }

    /// <summary>When the cumulative projection from <paramref name="used"/> reaches <paramref name="limit"/>, interpolating within a segment.</summary>
    private static DateTimeOffset? Crossing(decimal used, decimal limit, List<(DateTimeOffset Start, DateTimeOffset End, int Index, bool Weekend, double Fraction)> segments,
        Func<(DateTimeOffset Start, DateTimeOffset End, int Index, bool Weekend, double Fraction), double> amount)
    {
        var value = (double)used;
        foreach (var s in segments)
        {
            var add = amount(s);
            if (add > 0 && value + add >= (double)limit)
            {
                var share = ((double)limit - value) / add;
                return s.Start + TimeSpan.FromSeconds((s.End - s.Start).TotalSeconds * share);
            }
            value += add;
        }
        return null;
    }

    private static decimal Round(double value, int decimals) => Math.Round((decimal)Math.Max(0, value), decimals);

    /// <summary>y(day) = max(0, a + b·day) × (weekend ? weekendFactor : weekdayFactor), the factors averaging 1 over a week.</summary>
    private sealed class TrendModel
    {
        private double _a, _b, _weekday = 1, _weekend = 1;

        public double WeekendRatio { get; private set; } = 1;

        public static TrendModel Fit(IReadOnlyList<(int Day, bool Weekend, double Value)> days)
        {
            var model = new TrendModel();
            var weekdays = days.Where(d => !d.Weekend).Select(d => d.Value).ToList();
            var weekends = days.Where(d => d.Weekend).Select(d => d.Value).ToList();
            if (weekdays.Count > 0 && weekends.Count > 0 && weekdays.Average() > 0)
            {
                model.WeekendRatio = weekends.Average() / weekdays.Average();
                model._weekday = 7 / (5 + 2 * model.WeekendRatio);
                model._weekend = model.WeekendRatio * model._weekday;
            }
            // Least squares on the de-seasonalised values (days whose factor is zero carry no level information).
            var points = days.Select(d => (X: (double)d.Day, F: d.Weekend ? model._weekend : model._weekday, d.Value)).Where(p => p.F > 0).Select(p => (p.X, Y: p.Value / p.F)).ToList();
            if (points.Count == 0) return model;
            var meanX = points.Average(p => p.X);
            var meanY = points.Average(p => p.Y);
            var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
            model._b = sxx == 0 ? 0 : points.Sum(p => (p.X - meanX) * (p.Y - meanY)) / sxx;
            model._a = meanY - model._b * meanX;
            return model;
        }

        public double Predict(int day, bool weekend) => Math.Max(0, _a + _b * day) * (weekend ? _weekend : _weekday);
    }
}
