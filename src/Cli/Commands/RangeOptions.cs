using System.CommandLine;
using GuardedAI.Cli.Infrastructure;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary>The options that choose a time range: <c>--period</c>, <c>--previous</c>, <c>--from</c>, <c>--to</c>, <c>--tz</c>, <c>--now</c>.</summary>
internal sealed class RangeOptions
{
    public Option<string> Period { get; } = Args.Choice("--period", "The calendar period to cover, up to now: the current day, ISO week or month (default month).", "month", ["day", "week", "month"]);
    public Option<bool> Previous { get; } = new("--previous") { Description = "The period before the current one (last month: the bill to send on the 1st)." };
    public Option<string?> From { get; } = new("--from") { Description = "Start of a custom range: a date (YYYY-MM-DD, in --tz) or an ISO 8601 time.", HelpName = "DATE" };
    public Option<string?> To { get; } = new("--to") { Description = "End of a custom range: a date includes that whole day; a time is exclusive. Default: now.", HelpName = "DATE" };
    public Option<string?> TimeZone { get; } = Args.TimeZone();
    public Option<string?> Now { get; } = Args.Now();

    public void AddTo(Command command)
    {
        command.Add(Period);
        command.Add(Previous);
        command.Add(From);
        command.Add(To);
        command.Add(TimeZone);
        command.Add(Now);
    }

    public TimeZoneInfo Zone(ParseResult parse) => Args.ParseTimeZone(parse.GetValue(TimeZone));

    public DateTimeOffset Clock(ParseResult parse, TimeZoneInfo zone) =>
        parse.GetValue(Now) is { } now ? Args.ParseTime(now, "--now", zone, out _) : DateTimeOffset.UtcNow;

    public ReportRange Resolve(ParseResult parse)
    {
        var zone = Zone(parse);
        return ReportRange.Resolve(parse.GetValue(Period)!, parse.GetValue(Previous), parse.GetValue(From), parse.GetValue(To), zone, Clock(parse, zone));
    }
}

/// <summary>The filter options: <c>--budget</c>, <c>--tenant</c>, <c>--provider</c>, <c>--model</c>.</summary>
internal sealed class FilterOptions
{
    public Option<string?> Budget { get; } = new("--budget") { Description = "Only this budget.", HelpName = "NAME" };
    public Option<string?> Tenant { get; } = new("--tenant") { Description = "Only this tenant (customer).", HelpName = "ID" };
    public Option<string?> Provider { get; } = new("--provider") { Description = "Only this provider (openai, anthropic, google, …).", HelpName = "NAME" };
    public Option<string?> Model { get; } = new("--model") { Description = "Only this model id, exactly as recorded.", HelpName = "ID" };

    public void AddTo(Command command)
    {
        command.Add(Budget);
        command.Add(Tenant);
        command.Add(Provider);
        command.Add(Model);
    }

    public Reports.UsageFilter Filter(ParseResult parse) => new()
    {
        Budget = parse.GetValue(Budget), Tenant = parse.GetValue(Tenant), Provider = parse.GetValue(Provider), Model = parse.GetValue(Model),
    };
}
