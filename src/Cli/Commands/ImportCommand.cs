using System.CommandLine;
using GuardedAI.Cli.Import;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;
using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai import</c>: usage from LLM proxy access logs (JSON lines or common log format) into the ledger.</summary>
internal static class ImportCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var file = new Option<string>("--file") { Description = "The access log to import (JSON lines, common log format, or both mixed).", HelpName = "PATH", Required = true };
        var format = Args.Choice("--format", "The log's format: auto (each line by its shape), json (JSON lines) or clf (common log format).", "auto", ["auto", "json", "clf"]);
        var tenant = new Option<string?>("--tenant") { Description = "The tenant (customer) of lines that name none.", HelpName = "ID" };
        var budget = new Option<string>("--budget") { Description = "The budget imported calls are recorded under when a line names none.", HelpName = "NAME", DefaultValueFactory = _ => "imported" };
        var prices = new Option<string?>("--prices") { Description = "A LiteLLM price file whose prices are added to the embedded table (for models it lacks).", HelpName = "FILE" };
        var config = Args.Config();
        var maxLine = new Option<int>("--max-line-bytes") { Description = "Longer lines are rejected without being read into memory (default 1 MiB).", HelpName = "BYTES", DefaultValueFactory = _ => 1 << 20 };
        var show = new Option<int>("--show-rejected") { Description = "How many rejected lines to list (default 20; all are counted).", HelpName = "N", DefaultValueFactory = _ => 20 };
        var output = Args.Choice("--output", "How to print the summary: text or json.", "text", ["text", "json"]);
        var command = new Command("import", "Imports usage from LLM proxy access logs. Provider from the path and user agent, tokens from the JSON fields, prices from the price table; a line already imported (same request id, or same content) is never imported twice; malformed lines are counted and listed with their line numbers.")
        {
            file, format, tenant, budget, prices, config, maxLine, show, output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = Path.GetFullPath(parse.GetValue(file)!);
            if (!File.Exists(path)) throw CliException.BadInput($"--file: there is no file at '{path}'.");
            var limit = parse.GetValue(maxLine);
            if (limit is < 1024 or > 64 << 20) throw CliException.Usage("--max-line-bytes", $"{limit} is not between 1024 and {64 << 20}.");
            var shown = parse.GetValue(show);
            if (shown < 0) throw CliException.Usage("--show-rejected", $"{shown} is negative.");
            var budgetName = parse.GetValue(budget)!;
            if (string.IsNullOrWhiteSpace(budgetName)) throw CliException.Usage("--budget", "must name a budget.");
            var catalog = AppSettings.Load(parse.GetValue(config)).Prices(parse.GetValue(prices), "--prices");
            var ledgerPath = globals.LedgerPath(parse);
            var ledger = LedgerAccess.OpenOrCreate(ledgerPath);
            var terminal = globals.Terminal(parse);
            var importer = new UsageImporter(new ImportSettings(path, parse.GetValue(format)!.ToLowerInvariant(), budgetName, parse.GetValue(tenant), limit, catalog));

            ImportResult result;
            if (terminal.IsInteractive && terminal.UsesColor && new FileInfo(path).Length > 1 << 20)
            {
                result = await terminal.Console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .StartAsync(async context =>
                    {
                        var task = context.AddTask("Importing " + Path.GetFileName(path), maxValue: Math.Max(1, new FileInfo(path).Length));
                        return await importer.RunAsync(ledger, (done, total) => task.Value = done, cancellationToken).ConfigureAwait(false);
                    }).ConfigureAwait(false);
            }
            else
            {
                result = await importer.RunAsync(ledger, null, cancellationToken).ConfigureAwait(false);
            }

            await ledger.Operations.AppendAsync(new OperatorAction(DateTimeOffset.UtcNow, Environment.UserName, "import", null,
                $"{path}: {result.Imported} imported, {result.Rejected} rejected, {result.Duplicates} already in the ledger"), cancellationToken).ConfigureAwait(false);

            if (parse.GetValue(output) == "json") WriteJson(terminal.Out, path, ledger.Location, result, shown);
            else WriteText(terminal, path, ledger.Location, result, shown);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void WriteText(Terminal terminal, string file, string ledger, ImportResult r, int shown)
    {
        var console = terminal.Console;
        console.WriteLine($"Imported {r.Imported} lines, rejected {r.Rejected} lines, {r.Duplicates} already in the ledger, {r.Blank} blank ({r.Lines} lines read in {r.Elapsed.TotalSeconds:0.0} s).");
        console.WriteLine($"  from {file}");
        console.WriteLine($"  into {ledger}; cost {Fmt.Exact(r.CostUsd)} USD at price table {r.PriceTable}");
        if (r.WithoutTokens > 0) console.WriteLine($"  {r.WithoutTokens} imported lines carried no token counts (common log format): recorded as requests at no cost.");
        if (r.Rejected == 0) return;
        console.WriteLine("Rejected by kind: " + string.Join(", ", r.RejectedByKind.Select(k => $"{k.Key} {k.Value}")));
        foreach (var rejection in r.Rejections.Take(shown)) console.WriteLine($"  line {rejection.Line}: {rejection.Reason}");
        if (r.Rejected > shown) console.WriteLine($"  … and {r.Rejected - Math.Min(shown, r.Rejections.Count)} more (--show-rejected N lists more; --output json lists the first {UsageImporter.KeptRejections}).");
    }

    private static void WriteJson(TextWriter output, string file, string ledger, ImportResult r, int shown) => Json.Write(output, w =>
    {
        w.WriteStartObject();
        w.WriteString("file", file);
        w.WriteString("ledger", ledger);
        w.WriteNumber("lines", r.Lines);
        w.WriteNumber("imported", r.Imported);
        w.WriteNumber("rejected", r.Rejected);
        w.WriteNumber("duplicates", r.Duplicates);
        w.WriteNumber("blank", r.Blank);
        w.WriteNumber("withoutTokens", r.WithoutTokens);
        w.WriteNumber("costUsd", r.CostUsd);
        w.WriteString("priceTable", r.PriceTable);
        w.WriteNumber("seconds", Math.Round(r.Elapsed.TotalSeconds, 3));
        w.WriteStartObject("rejectedByKind");
        foreach (var (kind, count) in r.RejectedByKind) w.WriteNumber(kind, count);
        w.WriteEndObject();
        w.WriteStartArray("rejections");
        foreach (var rejection in r.Rejections.Take(Math.Max(shown, UsageImporter.KeptRejections)))
        {
            w.WriteStartObject();
            w.WriteNumber("line", rejection.Line);
            w.WriteString("kind", rejection.Kind);
            w.WriteString("reason", rejection.Reason);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    });
}
