namespace GuardedAI.Cli.Infrastructure;

/// <summary>How a command prints its data.</summary>
internal enum OutputFormat
{
    /// <summary>A table for people (colours on a terminal).</summary>
    Table,
    /// <summary>One JSON document.</summary>
    Json,
    /// <summary>RFC 4180 CSV with a header row.</summary>
    Csv,
}
