using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai report</c>: totals of a period, by budget, tenant, provider, model, tag, conversation or run.</summary>
internal static class ReportCommand
{
    private static readonly string[] Dimensions = ["budget", "tenant", "provider", "model", "tag:KEY", "conversation", "run", "price-table"];

    public static Command Build(GlobalOptions globals)
    {
        var range = new RangeOptions();
        var filters = new FilterOptions();
        var by = new Option<string[]>("--by")
        {
            Description = "Group by one or more of " + string.Join(", ", Dimensions) + " (repeat the option or separate with commas).",
            HelpName = "DIMENSION",
            AllowMultipleArgumentsPerToken = false,
        };
        var bucket = Args.Choice("--bucket", "Split the range into hours, days, ISO weeks or months of --tz (default: none).", "none", ["none", "hour", "day", "week", "month"]);
        var reprice = new Option<string?>("--reprice") { Description = "Also price the range with this LiteLLM price file and show the difference per model.", HelpName = "FILE" };
        var format = Args.Format();
        var command = new Command("report", "Usage totals for a period: requests succeeded, failed and denied; input, output, cached and reasoning tokens; cost; and how good the estimates were.");
        range.AddTo(command);
        command.Add(by);
        command.Add(bucket);
        filters.AddTo(command);
        command.Add(reprice);
        command.Add(format);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = Args.ParseFormat(parse.GetValue(format)!);
            var grouping = ParseGroupings(parse.GetValue(by) ?? []);
            var resolved = range.Resolve(parse);
            var query = new UsageAggregateQuery
            {
                From = resolved.From, To = resolved.To, TimeZone = resolved.Zone,
                Bucket = Enum.Parse<UsageBucket>(parse.GetValue(bucket)!, ignoreCase: true),
                GroupBy = grouping, Filter = filters.Filter(parse),
            };
            var repriceFile = parse.GetValue(reprice);
            var prices = repriceFile is null ? null : AppSettings.Empty.Prices(repriceFile, "--reprice");
            var ledger = globals.OpenLedger(parse);
            var report = await ledger.Queries.BuildAsync(query, cancellationToken).ConfigureAwait(false);
            var repriced = prices is null ? null : await ledger.Queries.CompareAsync(resolved.From, resolved.To, prices, query.Filter, cancellationToken).ConfigureAwait(false);
            var terminal = globals.Terminal(parse);
            switch (output)
            {
                case OutputFormat.Json: WriteJson(terminal.Out, ledger.Location, resolved, report, repriced, prices); break;
                case OutputFormat.Csv: WriteCsv(terminal.Out, report); break;
                default: WriteTable(terminal, resolved, report, repriced, prices); break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    internal static IReadOnlyList<UsageGrouping> ParseGroupings(IEnumerable<string> values)
    {
        var list = new List<UsageGrouping>();
        foreach (var value in values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var lower = value.ToLowerInvariant();
            UsageGrouping grouping = lower switch
            {
                "budget" => UsageGrouping.Budget,
                "tenant" => UsageGrouping.Tenant,
                "provider" => UsageGrouping.Provider,
                "model" => UsageGrouping.Model,
                "conversation" => UsageGrouping.Conversation,
                "run" => UsageGrouping.Run,
                "price-table" or "pricetable" => UsageGrouping.PriceTable,
                "tag" => throw CliException.Usage("--by", "'tag' needs the tag's key: --by tag:KEY (for example --by tag:category)."),
                _ when lower.StartsWith("tag:", StringComparison.Ordinal) && value.Length > 4 => UsageGrouping.Tag(value[4..]),
                _ => throw CliException.Usage("--by", $"'{value}' is not one of {string.Join(", ", Dimensions)}."),
            };
            if (list.Contains(grouping)) throw CliException.Usage("--by", $"'{value}' is given twice.");
            list.Add(grouping);
        }
        return list;
    }

    private static void WriteJson(TextWriter output, string location, ReportRange range, UsageReport report, IReadOnlyList<RepricedRow>? repriced, PriceCatalog? prices) =>
        Json.Write(output, w =>
        {
            w.WriteStartObject();
            w.WriteString("ledger", location);
            w.Time("from", range.From);
            w.Time("to", range.To);
            w.WriteString("period", range.Label);
            w.WriteString("timeZone", range.Zone.Id);
            w.WriteString("bucket", report.Query.Bucket.ToString().ToLowerInvariant());
            w.WriteStartArray("groupBy");
            foreach (var g in report.Query.GroupBy) w.WriteStringValue(g.Name);
            w.WriteEndArray();
            w.WritePropertyName("totals");
            Totals(w, report.Total);
            w.WriteStartArray("rows");
            foreach (var row in report.Rows)
            {
                w.WriteStartObject();
                if (report.Query.Bucket != UsageBucket.None) w.Time("bucket", row.BucketStart);
                w.WriteStartObject("keys");
                for (var i = 0; i < row.Keys.Count; i++) w.StringOrNull(report.Query.GroupBy[i].Name, row.Keys[i]);
                w.WriteEndObject();
                w.WritePropertyName("totals");
                Totals(w, row.Totals);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (repriced is not null)
            {
                w.WriteStartObject("repriced");
                w.WriteString("priceTable", PriceTableVersion.Of(prices!));
                w.WriteNumber("recordedCostUsd", repriced.Sum(r => r.RecordedCostUsd));
                w.WriteNumber("repricedCostUsd", repriced.Sum(r => r.RepricedCostUsd));
                w.WriteNumber("differenceUsd", repriced.Sum(r => r.DifferenceUsd));
                w.WriteStartArray("models");
                foreach (var r in repriced)
                {
                    w.WriteStartObject();
                    w.StringOrNull("provider", r.Provider);
                    w.StringOrNull("model", r.Model);
                    w.WriteNumber("calls", r.Calls);
                    w.WriteNumber("recordedCostUsd", r.RecordedCostUsd);
                    w.WriteNumber("repricedCostUsd", r.RepricedCostUsd);
                    w.WriteNumber("differenceUsd", r.DifferenceUsd);
                    w.WriteBoolean("knownInNewTable", r.KnownInNewTable);
                    w.WriteStartArray("recordedPriceTables");
                    foreach (var v in r.RecordedPriceTables) w.WriteStringValue(v);
                    w.WriteEndArray();
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        });

    internal static void Totals(System.Text.Json.Utf8JsonWriter w, UsageTotals t)
    {
        w.WriteStartObject();
        w.WriteNumber("requests", t.Requests);
        w.WriteNumber("succeeded", t.Succeeded);
        w.WriteNumber("failed", t.Failed);
        w.WriteNumber("denied", t.Denied);
        w.WriteNumber("cancelled", t.Cancelled);
        w.WriteNumber("inputTokens", t.InputTokens);
        w.WriteNumber("outputTokens", t.OutputTokens);
        w.WriteNumber("totalTokens", t.TotalTokens);
        w.WriteNumber("cachedInputTokens", t.CachedInputTokens);
        w.WriteNumber("reasoningTokens", t.ReasoningTokens);
        w.WriteNumber("costUsd", t.CostUsd);
        w.WriteStartObject("estimates");
        var e = t.Estimates;
        w.WriteNumber("calls", e.Calls);
        w.WriteNumber("reservedInputTokens", e.ReservedInputTokens);
        w.WriteNumber("actualInputTokens", e.ActualInputTokens);
        w.WriteNumber("reservedOutputTokens", e.ReservedOutputTokens);
        w.WriteNumber("actualOutputTokens", e.ActualOutputTokens);
        w.WriteNumber("reservedCostUsd", e.ReservedCostUsd);
        w.WriteNumber("actualCostUsd", e.ActualCostUsd);
        w.NumberOrNull("inputRatio", e.InputRatio);
        w.NumberOrNull("outputRatio", e.OutputRatio);
        w.NumberOrNull("costRatio", e.CostRatio);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteCsv(TextWriter output, UsageReport report)
    {
        var csv = new Csv(output);
        var header = new List<string>();
        if (report.Query.Bucket != UsageBucket.None) header.Add("bucket");
        header.AddRange(report.Query.GroupBy.Select(g => g.Name));
        header.AddRange(["requests", "succeeded", "failed", "denied", "cancelled", "input_tokens", "output_tokens", "total_tokens", "cached_input_tokens",
            "reasoning_tokens", "cost_usd", "reserved_input_tokens", "reserved_output_tokens", "reserved_cost_usd"]);
        csv.Row(header.ToArray());
        foreach (var row in report.Rows)
        {
            var cells = new List<string?>();
            if (report.Query.Bucket != UsageBucket.None) cells.Add(Fmt.IsoSeconds(row.BucketStart));
            cells.AddRange(row.Keys);
            var t = row.Totals;
            var numbers = new[] { t.Requests, t.Succeeded, t.Failed, t.Denied, t.Cancelled, t.InputTokens, t.OutputTokens, t.TotalTokens, t.CachedInputTokens, t.ReasoningTokens }
                .Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(Fmt.Plain(t.CostUsd))
                .Append(t.Estimates.ReservedInputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(t.Estimates.ReservedOutputTokens.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(Fmt.Plain(t.Estimates.ReservedCostUsd));
            output.Write(string.Join(',', cells.Select(c => UsageCsv.Cell(c ?? "")).Concat(numbers)) + "\r\n");
        }
    }

    private static void WriteTable(Terminal terminal, ReportRange range, UsageReport report, IReadOnlyList<RepricedRow>? repriced, PriceCatalog? prices)
    {
        var console = terminal.Console;
        console.WriteLine($"Usage {range.Label} ({Fmt.Time(range.From, range.Zone)} to {Fmt.Time(range.To, range.Zone)})");
        var headers = new List<string>();
        if (report.Query.Bucket != UsageBucket.None) headers.Add(report.Query.Bucket.ToString());
        headers.AddRange(report.Query.GroupBy.Select(g => g.Name));
        headers.AddRange(["Calls", "OK", "Failed", "Denied", "Input tok", "Output tok", "Cached tok", "Reasoning tok", "Cost USD", "Est/act"]);
        var table = Fmt.NewTable(terminal, headers.ToArray());
        foreach (var row in report.Rows)
        {
            var cells = new List<string?>();
            if (report.Query.Bucket != UsageBucket.None) cells.Add(Fmt.Time(row.BucketStart, range.Zone));
            cells.AddRange(row.Keys.Select(k => k ?? "(none)"));
            cells.AddRange(Cells(row.Totals));
            table.AddPlainRow(cells.ToArray());
        }
        if (report.Query.GroupBy.Count > 0 || report.Query.Bucket != UsageBucket.None)
        {
            var cells = new List<string?> { "TOTAL" };
            for (var i = 1; i < headers.Count - 10; i++) cells.Add("");
            cells.AddRange(Cells(report.Total));
            table.AddPlainRow(cells.ToArray());
        }
        else if (report.Rows.Count == 0)
        {
            table.AddPlainRow(Cells(report.Total).ToArray());
        }
        console.Write(table);
        var e = report.Total.Estimates;
        console.WriteLine($"Estimates on {Fmt.N(e.Calls)} succeeded calls: input {Fmt.N(e.ReservedInputTokens)} estimated vs {Fmt.N(e.ActualInputTokens)} billed ({Fmt.Ratio(e.InputRatio)}); "
            + $"output cap {Fmt.N(e.ReservedOutputTokens)} vs {Fmt.N(e.ActualOutputTokens)} used ({Fmt.Ratio(e.OutputRatio)}); cost {Fmt.Usd(e.ReservedCostUsd)} reserved vs {Fmt.Usd(e.ActualCostUsd)} ({Fmt.Ratio(e.CostRatio)}).");
        if (repriced is null) return;
        console.WriteLine();
        console.WriteLine($"Re-priced with table {PriceTableVersion.Of(prices!)}:");
        var diff = Fmt.NewTable(terminal, "Provider", "Model", "Calls", "Recorded USD", "Re-priced USD", "Difference USD", "Recorded with");
        foreach (var r in repriced)
        {
            diff.AddPlainRow(r.Provider ?? "(none)", (r.Model ?? "(none)") + (r.KnownInNewTable ? "" : " (default price)"), Fmt.N(r.Calls), Fmt.Exact(r.RecordedCostUsd),
                Fmt.Exact(r.RepricedCostUsd), Fmt.Exact(r.DifferenceUsd), string.Join(", ", r.RecordedPriceTables));
        }
        diff.AddPlainRow("TOTAL", "", Fmt.N(repriced.Sum(r => r.Calls)), Fmt.Exact(repriced.Sum(r => r.RecordedCostUsd)), Fmt.Exact(repriced.Sum(r => r.RepricedCostUsd)),
            Fmt.Exact(repriced.Sum(r => r.DifferenceUsd)), "");
        console.Write(diff);
    }

    private static IEnumerable<string> Cells(UsageTotals t) =>
    [
        Fmt.N(t.Requests), Fmt.N(t.Succeeded), Fmt.N(t.Failed), Fmt.N(t.Denied), Fmt.N(t.InputTokens), Fmt.N(t.OutputTokens),
        Fmt.N(t.CachedInputTokens), Fmt.N(t.ReasoningTokens), Fmt.Exact(t.CostUsd), Fmt.Ratio(t.Estimates.CostRatio),
    ];
}
