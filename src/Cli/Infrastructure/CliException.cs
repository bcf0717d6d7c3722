namespace GuardedAI.Cli.Infrastructure;

/// <summary>An error the tool reports in one sentence and an exit code, without a stack trace.</summary>
internal sealed class CliException(int exitCode, string message, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>A command-line value that is wrong: names the option and says what was wrong with it.</summary>
    public static CliException Usage(string option, string problem) => new(ExitCodes.Usage, $"{option}: {problem}");

    public static CliException Unreachable(string message, Exception? inner = null) => new(ExitCodes.Unreachable, message, inner);

    public static CliException BadInput(string message, Exception? inner = null) => new(ExitCodes.BadInput, message, inner);
}
