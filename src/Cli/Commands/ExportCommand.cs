using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using GuardedAI.Reports;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai export</c>: the billing CSV of a period (reference 003's columns plus tenant, period and price table).</summary>
internal static class ExportCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var range = new RangeOptions();
        var output = new Option<string>("--out") { Description = "The CSV file to write (replaced if it exists; written whole or not at all).", HelpName = "FILE", Required = true };
        var markup = new Option<string?>("--markup") { Description = "A markup in percent added to the cost in a Charge USD column (20 means cost × 1.2).", HelpName = "PERCENT" };
        var tenant = new Option<string?>("--tenant") { Description = "Only this tenant's usage.", HelpName = "ID" };
        var format = Args.Format("table", "table", "json");
        var command = new Command("export", "Writes the billing CSV of a period: one row per tenant, provider and model with tokens, exact cost, period and price table version; totals equal the ledger's.")
        {
            output, markup, tenant, format,
        };
        range.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var percent = parse.GetValue(markup) is { } m ? Args.ParseDecimal(m, "--markup", 0, 10_000) : 0m;
            var file = Path.GetFullPath(parse.GetValue(output)!);
            if (Directory.Exists(file)) throw CliException.Usage("--out", $"'{file}' is a directory; name a file.");
            var directory = Path.GetDirectoryName(file)!;
            if (!Directory.Exists(directory)) throw CliException.Usage("--out", $"the directory '{directory}' does not exist.");
            var resolved = range.Resolve(parse);
            var ledger = globals.OpenLedger(parse);
            var statement = await BillingStatement.BuildAsync(ledger.Queries, resolved.Label, resolved.From, resolved.To, percent, parse.GetValue(tenant), cancellationToken).ConfigureAwait(false);

            // Written beside the target and moved over it: a reader never sees half a bill.
            var temporary = file + ".tmp-" + Environment.ProcessId;
            try
            {
                await using (var writer = new StreamWriter(temporary, false, new System.Text.UTF8Encoding(false)))
                {
                    UsageCsv.WriteBillingStatement(writer, statement);
                }
                File.Move(temporary, file, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                File.Delete(temporary);
                throw CliException.Usage("--out", $"'{file}' cannot be written: {ex.Message}");
            }

            var terminal = globals.Terminal(parse);
            var tenants = statement.Lines.Select(l => l.Tenant).Distinct().Count();
            if (Args.ParseFormat(parse.GetValue(format)!) == OutputFormat.Json)
            {
                Json.Write(terminal.Out, w =>
                {
                    w.WriteStartObject();
                    w.WriteString("file", file);
                    w.WriteString("period", statement.Period);
                    w.Time("from", statement.From);
                    w.Time("to", statement.To);
                    w.WriteNumber("rows", statement.Lines.Count);
                    w.WriteNumber("tenants", tenants);
                    w.WriteNumber("requests", statement.Lines.Sum(l => l.Requests));
                    w.WriteNumber("inputTokens", statement.Lines.Sum(l => l.InputTokens));
                    w.WriteNumber("outputTokens", statement.Lines.Sum(l => l.OutputTokens));
                    w.WriteNumber("costUsd", statement.TotalCostUsd);
                    w.WriteNumber("markupPercent", statement.MarkupPercent);
                    w.WriteNumber("chargeUsd", statement.TotalChargeUsd);
                    w.WriteEndObject();
                });
            }
            else
            {
                terminal.Console.WriteLine($"Wrote {statement.Lines.Count} rows ({tenants} tenants) for {statement.Period} to {file}");
                terminal.Console.WriteLine($"  cost {Fmt.Exact(statement.TotalCostUsd)} USD" + (percent != 0 ? $", charge {Fmt.Exact(statement.TotalChargeUsd)} USD at {Fmt.Plain(percent)}% markup" : ""));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
