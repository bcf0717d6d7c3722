using System.CommandLine;
using GuardedAI.Cli.Commands;
using GuardedAI.Cli.Infrastructure;

namespace GuardedAI.Cli;

/// <summary>The <c>guardedai</c> command line: the commands, and how errors become messages and exit codes.</summary>
internal static class CliApp
{
    public static RootCommand Build()
    {
        var globals = new GlobalOptions();
        var root = new RootCommand("guardedai — reports, forecasts, bills, breakers and health checks for a GuardedAI usage ledger.")
        {
            globals.Db, globals.Connection, globals.NoColor,
        };
        root.Add(StatusCommand.Build(globals));
        root.Add(ReportCommand.Build(globals));
        root.Add(ExportCommand.Build(globals));
        root.Add(ForecastCommand.Build(globals));
        root.Add(AnomaliesCommand.Build(globals));
        root.Add(BreakerCommand.Build(globals));
        root.Add(EmergencyCommands.BuildStop(globals));
        root.Add(EmergencyCommands.BuildResume(globals));
        root.Add(ResetCommand.Build(globals));
        root.Add(HealthCommand.Build(globals));
        root.Add(ImportCommand.Build(globals));
        root.Add(PricingCommand.Build(globals));
        root.Add(VerifyCommand.Build(globals));
        root.Add(RetentionCommand.Build(globals));
        root.Add(WhatIfCommand.Build(globals));
        root.Add(ShadowCommand.Build(globals));
        root.Add(AuditCommand.Build(globals));
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine("error: " + error.Message);
            var command = parse.CommandResult.Command;
            var path = command is RootCommand ? "" : " " + string.Join(' ', Ancestry(command));
            Console.Error.WriteLine($"Run 'guardedai{path} --help' for usage.");
            return ExitCodes.Usage;
        }
        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (CliException ex)
        {
            Console.Error.WriteLine("error: " + ex.Message);
            return ex.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return ExitCodes.Ok;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"error: guardedai failed unexpectedly: {ex.GetType().Name}: {ex.Message}");
            return ExitCodes.Internal;
        }
    }

    private static IEnumerable<string> Ancestry(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c && s is not RootCommand; s = c.Parents.FirstOrDefault()) names.Insert(0, c.Name);
        return names;
    }
}

/// <summary>The options every command has: where the ledger is, and plain output.</summary>
internal sealed class GlobalOptions
{
    public Option<string?> Db { get; } = Args.Db();
    public Option<string?> Connection { get; } = Args.Connection();
    public Option<bool> NoColor { get; } = Args.NoColor();

    public LedgerTarget LedgerPath(ParseResult parse) => LedgerAccess.ResolvePath(parse, Db, Connection);

    public LedgerAccess OpenLedger(ParseResult parse) => LedgerAccess.Open(LedgerPath(parse));

    public Terminal Terminal(ParseResult parse) => Infrastructure.Terminal.Create(parse.GetValue(NoColor));
}
