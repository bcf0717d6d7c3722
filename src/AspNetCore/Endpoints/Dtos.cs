namespace GuardedAI.AspNetCore;

// The JSON shapes of the GuardedAI endpoints (camelCase on the wire). Enumerations are written as their names, so the
// shapes read the same in OpenAPI, in the dashboard's script and in any client. Internal: the wire format is the contract.

internal sealed record StatusDto(string Status, string Description, DateTimeOffset Now, int Budgets, int OpenBreakers, string? EmergencyStop,
    LedgerDto Ledger, string PricesAsOf, int RecentAlerts, long Version);

internal sealed record LedgerDto(string Location, long Records, DateTimeOffset? First, DateTimeOffset? Last, int SchemaVersion);

internal sealed record TotalsDto(long Requests, long Succeeded, long Failed, long Denied, long Cancelled, long InputTokens, long OutputTokens, long TotalTokens, decimal CostUsd);

internal sealed record PeriodTotalsDto(DateTimeOffset From, DateTimeOffset To, TotalsDto Totals);

internal sealed record NamedTotalsDto(string Key, TotalsDto Totals);

internal sealed record SummaryDto(DateTimeOffset Now, PeriodTotalsDto Today, PeriodTotalsDto Month, IReadOnlyList<NamedTotalsDto> Budgets);

internal sealed record LimitDto(string Dimension, string Window, decimal Limit, decimal Used, decimal Remaining, double Percent, DateTimeOffset WindowStart, DateTimeOffset WindowEnd);

internal sealed record ThresholdsDto(double Warn, double Critical, double Trip, IReadOnlyList<double> Extra);

internal sealed record BreakerDto(string Scope, string State, string? Reason, DateTimeOffset? OpenUntil, int ConsecutiveFailures);

internal sealed record BudgetLimitsDto(string Budget, string? Model, string Tier, BreakerDto Breaker, ThresholdsDto Thresholds, IReadOnlyList<LimitDto> Limits);

internal sealed record LimitsDto(DateTimeOffset Now, IReadOnlyList<BudgetLimitsDto> Budgets);

internal sealed record AlertDto(string Id, string Level, string Severity, string Scope, string? Dimension, string? Window, decimal Used, decimal Limit,
    double Percent, string Message, DateTimeOffset Timestamp);

internal sealed record AlertsDto(IReadOnlyList<AlertDto> Alerts);

internal sealed record DenialDto(string Id, DateTimeOffset Timestamp, string Budget, string? Tenant, string? Model, string? Reason);

internal sealed record DenialsDto(DateTimeOffset From, DateTimeOffset To, IReadOnlyList<DenialDto> Denials);

internal sealed record UsageGroupDto(string Key, TotalsDto Totals, IReadOnlyList<LimitDto>? Limits);

internal sealed record UsageGroupsDto(string GroupBy, string Period, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<UsageGroupDto> Groups);

internal sealed record TimelinePointDto(DateTimeOffset Start, long Requests, long Denied, long TotalTokens, decimal CostUsd);

internal sealed record TimelineDto(string Bucket, DateTimeOffset From, DateTimeOffset To, IReadOnlyList<TimelinePointDto> Points);

internal sealed record LimitProjectionDto(string Dimension, string Window, decimal Limit, decimal Used, decimal ProjectedAtWindowEnd, double ProjectedPercent,
    DateTimeOffset WindowEnd, DateTimeOffset? ReachedAt, bool AlreadyReached);

internal sealed record BudgetForecastDto(string Budget, DateTimeOffset MonthStart, DateTimeOffset MonthEnd, decimal MonthToDateCostUsd, decimal ProjectedMonthEndCostUsd,
    decimal MonthToDateRequests, decimal ProjectedMonthEndRequests, string Method, int HistoryDays, IReadOnlyList<LimitProjectionDto> Limits);

internal sealed record ForecastDto(DateTimeOffset Now, IReadOnlyList<BudgetForecastDto> Budgets);

internal sealed record BreakersDto(string? EmergencyStop, IReadOnlyList<BreakerDto> Breakers);

/// <summary>Opens a breaker by hand.</summary>
internal sealed record TripBreakerRequest(string? Reason, int Minutes);

/// <summary>Why an action was taken (kept in the log with who took it).</summary>
internal sealed record BreakerActionRequest(string? Reason);

internal sealed record BreakerActionDto(string Action, string? EmergencyStop, IReadOnlyList<BreakerDto> Breakers);
