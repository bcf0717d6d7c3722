namespace GuardedAI.PostgreSql;

/// <summary>
/// The chain's part of the PostgreSQL schema (migration 4), kept beside the code that writes and reads it. The chain
/// indexes hold the verifier's exact order (segment, position, row), so it streams the ledger in chain order without a sort.
/// </summary>
internal static class PostgreSqlChainSchema
{
    public const string Migration = """
        ALTER TABLE usage_records
            ADD COLUMN chain_segment text COLLATE "C" NULL,
            ADD COLUMN chain_pos bigint NULL,
            ADD COLUMN chain_prev bytea NULL,
            ADD COLUMN chain_hash bytea NULL;
        CREATE INDEX ix_usage_chain ON usage_records (chain_segment, chain_pos, seq) WHERE chain_segment IS NOT NULL;
        ALTER TABLE audit_log
            ADD COLUMN chain_segment text COLLATE "C" NULL,
            ADD COLUMN chain_pos bigint NULL,
            ADD COLUMN chain_prev bytea NULL,
            ADD COLUMN chain_hash bytea NULL;
        CREATE INDEX ix_audit_chain ON audit_log (chain_segment, chain_pos, seq) WHERE chain_segment IS NOT NULL;
        CREATE TABLE chain_heads (
            segment text COLLATE "C" NOT NULL PRIMARY KEY,
            length bigint NOT NULL,
            head bytea NOT NULL,
            start_pos bigint NOT NULL DEFAULT 0,
            start_prev bytea NULL
        );
        CREATE TABLE chain_state (
            name text NOT NULL PRIMARY KEY,
            value bigint NOT NULL
        );
        INSERT INTO chain_state (name, value) VALUES
            ('usage_records_unchained_through', (SELECT coalesce(max(seq), 0) FROM usage_records)),
            ('audit_log_unchained_through', (SELECT coalesce(max(seq), 0) FROM audit_log));
        """;
}
