using GuardedAI.Retention;

namespace GuardedAI.PostgreSql;

public sealed partial class PostgreSqlLedgerOptions
{
    /// <summary>
    /// The writer id this ledger chains its records under (segments <c>writer/yyyy-MM-dd</c>); null (the default): a new
    /// id per opened ledger (machine, process, random part). Tests pin it; two ledgers never share one in production.
    /// </summary>
    internal string? ChainWriter { get; set; }

    /// <summary>Automatic retention run by a background worker of the host (<c>GuardedAI:PostgreSql:Retention</c>); null (the default): none — the ledger keeps everything until <c>guardedai retention --apply</c>.</summary>
    public LedgerRetentionOptions? Retention { get; set; }
}
