using System.CommandLine;
using GuardedAI.Cli.Infrastructure;
using GuardedAI.Cli.Output;

using Spectre.Console;

namespace GuardedAI.Cli.Commands;

/// <summary><c>guardedai pricing</c>: the price the engine would use for a model, and from which table.</summary>
internal static class PricingCommand
{
    public static Command Build(GlobalOptions globals)
    {
        var model = new Option<string?>("--model") { Description = "The model id to price (aliases, provider prefixes and date stamps resolve as the engine resolves them). Default: every model.", HelpName = "NAME" };
        var file = new Option<string?>("--file") { Description = "A LiteLLM model_prices_and_context_window.json whose prices are added to the embedded table, as GuardedAI:PriceFile does.", HelpName = "LITELLM.json" };
        var config = Args.Config();
        var format = Args.Format();
        var command = new Command("pricing", "Shows the price per 1M tokens the engine would charge for a model, the entry it resolved to, and the price table's version (embedded date and hash).")
        {
            model, file, config, format,
        };
        command.SetAction(parse =>
        {
            var settings = AppSettings.Load(parse.GetValue(config));
            var catalog = settings.Prices(parse.GetValue(file), "--file");
            var version = PriceTableVersion.Of(catalog);
            var source = "embedded table of " + catalog.AsOf + (parse.GetValue(file) is { } f ? " + " + Path.GetFileName(f) : "")
                + (parse.GetValue(config) is not null && (settings.Options.Prices.Count > 0 || settings.Options.PriceFile is not null) ? " + settings" : "");
            var requested = parse.GetValue(model);
            var lookups = requested is not null
                ? [catalog.Resolve(requested)]
                : catalog.Models.OrderBy(m => m, StringComparer.OrdinalIgnoreCase).Select(m => catalog.Resolve(m)).ToList();
            var terminal = globals.Terminal(parse);
            switch (Args.ParseFormat(parse.GetValue(format)!))
            {
                case OutputFormat.Json:
                    Json.Write(terminal.Out, w =>
                    {
                        w.WriteStartObject();
                        w.WriteString("priceTable", version);
                        w.WriteString("source", source);
                        w.WriteStartArray("prices");
                        foreach (var l in lookups)
                        {
                            w.WriteStartObject();
                            w.WriteString("model", l.RequestedModel);
                            w.StringOrNull("resolvedTo", l.ResolvedModel);
                            w.WriteBoolean("known", l.IsKnown);
                            w.StringOrNull("provider", l.Price.Provider);
                            w.WriteNumber("inputPerMillion", l.Price.InputPerMillion);
                            w.WriteNumber("outputPerMillion", l.Price.OutputPerMillion);
                            Optional(w, "cachedInputPerMillion", l.Price.CachedInputPerMillion);
                            Optional(w, "cacheWritePerMillion", l.Price.CacheWritePerMillion);
                            Optional(w, "reasoningPerMillion", l.Price.ReasoningPerMillion);
                            if (l.Price.LongContextThreshold is { } t) w.WriteNumber("longContextThreshold", t); else w.WriteNull("longContextThreshold");
                            Optional(w, "longContextInputPerMillion", l.Price.LongContextInputPerMillion);
                            Optional(w, "longContextOutputPerMillion", l.Price.LongContextOutputPerMillion);
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                        w.WriteEndObject();
                    });
                    break;
                case OutputFormat.Csv:
                    var csv = new Csv(terminal.Out);
                    csv.Row("model", "resolved_to", "known", "provider", "input_per_million", "output_per_million", "cached_input_per_million", "cache_write_per_million", "reasoning_per_million", "price_table");
                    foreach (var l in lookups)
                    {
                        terminal.Out.Write(string.Join(',', UsageCsv.Cell(l.RequestedModel), UsageCsv.Cell(l.ResolvedModel ?? ""), l.IsKnown ? "true" : "false", UsageCsv.Cell(l.Price.Provider ?? ""),
                            Fmt.Plain(l.Price.InputPerMillion), Fmt.Plain(l.Price.OutputPerMillion), Opt(l.Price.CachedInputPerMillion), Opt(l.Price.CacheWritePerMillion),
                            Opt(l.Price.ReasoningPerMillion), UsageCsv.Cell(version)) + "\r\n");
                    }
                    break;
                default:
                    terminal.Console.WriteLine($"Price table {version} ({source}); USD per 1M tokens");
                    var table = Fmt.NewTable(terminal, "Model", "Resolved to", "Provider", "Input", "Cached in", "Cache write", "Output", "Reasoning", "Long context");
                    foreach (var l in lookups)
                    {
                        table.AddPlainRow(l.RequestedModel, l.ResolvedModel ?? "(unknown: default price)", l.Price.Provider ?? "", Fmt.Plain(l.Price.InputPerMillion),
                            Opt(l.Price.CachedInputPerMillion, "= input"), Opt(l.Price.CacheWritePerMillion, "= input"), Fmt.Plain(l.Price.OutputPerMillion),
                            Opt(l.Price.ReasoningPerMillion, "= output"),
                            l.Price.LongContextThreshold is { } t ? $"> {Fmt.N(t)} tok: {Opt(l.Price.LongContextInputPerMillion, "-")} / {Opt(l.Price.LongContextOutputPerMillion, "-")}" : "");
                    }
                    terminal.Console.Write(table);
                    if (requested is not null && !lookups[0].IsKnown)
                        terminal.Console.WriteLine($"'{requested}' is not in the table: the engine charges the default price for unknown models and warns once (set GuardedAI:Prices or GuardedAI:UnknownModelPrice).");
                    break;
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Opt(decimal? value, string none = "") => value is { } v ? Fmt.Plain(v) : none;

    private static void Optional(System.Text.Json.Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v) w.WriteNumber(name, v);
        else w.WriteNull(name);
    }
}
