namespace GuardedAI;

/// <summary>
/// The calendar limits of a budget as configuration names them (<c>RequestsPerMinute</c> … <c>MonthlyCostUsd</c>): the
/// hard limits of a budget and its soft, alert-only limits use the same keys.
/// </summary>
public abstract class CalendarLimitOptions
{
    /// <summary>Requests per minute.</summary>
    public long? RequestsPerMinute { get; set; }
    /// <summary>Tokens per minute.</summary>
    public long? TokensPerMinute { get; set; }
    /// <summary>Requests per hour.</summary>
    public long? HourlyRequests { get; set; }
    /// <summary>Tokens per hour.</summary>
    public long? HourlyTokens { get; set; }
    /// <summary>USD per hour.</summary>
    public decimal? HourlyCostUsd { get; set; }
    /// <summary>Requests per day.</summary>
    public long? DailyRequests { get; set; }
    /// <summary>Tokens per day.</summary>
    public long? DailyTokens { get; set; }
    /// <summary>USD per day.</summary>
    public decimal? DailyCostUsd { get; set; }
    /// <summary>Requests per month.</summary>
    public long? MonthlyRequests { get; set; }
    /// <summary>Tokens per month.</summary>
    public long? MonthlyTokens { get; set; }
    /// <summary>USD per month.</summary>
    public decimal? MonthlyCostUsd { get; set; }

    /// <summary>The limits that are set, each with its dimension and window.</summary>
    internal IEnumerable<(BudgetDimension Dimension, BudgetWindow Window, decimal Amount)> CalendarLimits()
    {
        (BudgetDimension, BudgetWindow, decimal?)[] all =
        [
            (BudgetDimension.Requests, BudgetWindow.Minute, RequestsPerMinute),
            (BudgetDimension.TotalTokens, BudgetWindow.Minute, TokensPerMinute),
            (BudgetDimension.Requests, BudgetWindow.Hour, HourlyRequests),
            (BudgetDimension.TotalTokens, BudgetWindow.Hour, HourlyTokens),
            (BudgetDimension.CostUsd, BudgetWindow.Hour, HourlyCostUsd),
            (BudgetDimension.Requests, BudgetWindow.Day, DailyRequests),
            (BudgetDimension.TotalTokens, BudgetWindow.Day, DailyTokens),
            (BudgetDimension.CostUsd, BudgetWindow.Day, DailyCostUsd),
            (BudgetDimension.Requests, BudgetWindow.Month, MonthlyRequests),
            (BudgetDimension.TotalTokens, BudgetWindow.Month, MonthlyTokens),
            (BudgetDimension.CostUsd, BudgetWindow.Month, MonthlyCostUsd),
        ];
        foreach (var (dimension, window, amount) in all)
        {
            if (amount is { } value) yield return (dimension, window, value);
        }
    }
}
