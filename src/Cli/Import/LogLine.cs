namespace GuardedAI.Cli.Import;

/// <summary>What one proxy log line says about one call, before pricing.</summary>
internal sealed class LogLine
{
    public DateTimeOffset Timestamp { get; set; }
    public string? Model { get; set; }
    public string? Provider { get; set; }
    public string? Path { get; set; }
    public string? UserAgent { get; set; }
    public long InputTokens { get; set; }
    public long OutputTokens { get; set; }
    public long CachedInputTokens { get; set; }
    public long CacheWriteInputTokens { get; set; }
    public long ReasoningTokens { get; set; }
    /// <summary>Whether the line carries token counts (a plain common-log line does not).</summary>
    public bool HasTokens { get; set; }
    public int? HttpStatus { get; set; }
    /// <summary>A textual outcome (<c>success</c>, <c>error</c>) when the line gives one instead of an HTTP status.</summary>
    public bool? Failed { get; set; }
    public string? RequestId { get; set; }
    public string? Tenant { get; set; }
    public string? Budget { get; set; }
    public string? ConversationId { get; set; }
    public string? RunId { get; set; }
    public long DurationMs { get; set; }
    /// <summary><c>json</c> or <c>clf</c>.</summary>
    public string Format { get; set; } = "json";
}

/// <summary>A line that cannot be imported, and why (the reason names the field and what was wrong).</summary>
internal sealed class LineRejected(string kind, string reason) : Exception(reason)
{
    /// <summary>A short category for the summary: truncated-json, binary, too-long, wrong-type, unknown-model, …</summary>
    public string Kind { get; } = kind;
}
