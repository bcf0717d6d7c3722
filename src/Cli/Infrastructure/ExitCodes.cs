namespace GuardedAI.Cli.Infrastructure;

/// <summary>The tool's exit codes (docs/cli.md lists them). Scripts and cron rely on them: never renumber.</summary>
internal static class ExitCodes
{
    /// <summary>Done; for <c>health</c>: healthy.</summary>
    public const int Ok = 0;
    /// <summary><c>health</c>: degraded, or a breaker is open or an emergency stop is on.</summary>
    public const int Degraded = 1;
    /// <summary>The ledger cannot be reached or read (missing file, not a GuardedAI ledger, newer schema, locked).</summary>
    public const int Unreachable = 2;
    /// <summary>An input file cannot be used (missing, unreadable, not a price table).</summary>
    public const int BadInput = 3;
    /// <summary>A destructive command was not confirmed.</summary>
    public const int NotConfirmed = 4;
    /// <summary>The command line is wrong: an unknown command or option, a missing or malformed value.</summary>
    public const int Usage = 64;
    /// <summary>Something unexpected went wrong (a bug): the message says what.</summary>
    public const int Internal = 70;
}
