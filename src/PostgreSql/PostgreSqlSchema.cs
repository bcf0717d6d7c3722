using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// The versioned schema of GuardedAI's PostgreSQL tables, in a schema of their own (default <c>guardedai</c>). The version
/// lives in <c>schema_version</c>; migrations run in one transaction under an advisory lock, so instances starting
/// together migrate once, a database of any older version is brought up to date step by step, and one written by a
/// newer GuardedAI is refused instead of misread. Table and column names match the SQLite ledger's, so the report SQL
/// (<see cref="GuardedAI.Reports.Sql.LedgerSql"/>) is shared.
/// </summary>
internal static class PostgreSqlSchema
{
    /// <summary>The schema version this build writes.</summary>
    public const int CurrentVersion = 4;

    /// <summary>
    /// Each step with the version it brings the schema to, in order. Versions are explicit so that steps added on
    /// different branches (3: the daily rollup; 4: the chain) slot in by number; a database is taken through every step
    /// above its version.
    /// </summary>
    private static readonly (int Version, string Sql)[] Migrations =
    [
        // 1: the ledger (with the hourly rollup, kept in the statement that appends), breaker state, operator audit, counter resets.
        (1, """
        CREATE TABLE usage_records (
            seq bigint GENERATED ALWAYS AS IDENTITY,
            id text NOT NULL PRIMARY KEY,
            ts_ticks bigint NOT NULL,
            budget text NOT NULL,
            tenant text NULL,
            provider text NULL,
            model text NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            est_input_tokens bigint NOT NULL,
            est_output_tokens bigint NOT NULL,
            est_cost_usd numeric NOT NULL,
            cost_usd numeric NOT NULL,
            usage_reported boolean NOT NULL,
            duration_ticks bigint NOT NULL,
            status integer NOT NULL,
            reason text NULL,
            tags jsonb NULL,
            price_version text NULL,
            conversation_id text NULL,
            run_id text NULL,
            cache_write_input_tokens bigint NOT NULL DEFAULT 0,
            reported_input_tokens bigint NULL,
            reported_output_tokens bigint NULL,
            reported_total_tokens bigint NULL,
            reported_cached_input_tokens bigint NULL,
            reported_reasoning_tokens bigint NULL,
            anomalies text NULL,
            kind integer NOT NULL DEFAULT 0,
            degraded_from text NULL
        );
        CREATE INDEX ix_usage_ts ON usage_records (ts_ticks, seq);
        CREATE INDEX ix_usage_budget_ts ON usage_records (budget, ts_ticks);
        CREATE INDEX ix_usage_tenant_ts ON usage_records (tenant, ts_ticks) WHERE tenant IS NOT NULL;
        CREATE INDEX ix_usage_conversation_ts ON usage_records (conversation_id, ts_ticks) WHERE conversation_id IS NOT NULL;
        CREATE INDEX ix_usage_run_ts ON usage_records (run_id, ts_ticks) WHERE run_id IS NOT NULL;
        CREATE TABLE usage_hourly (
            hour_ticks bigint NOT NULL,
            budget text NOT NULL,
            tenant text NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            status integer NOT NULL,
            price_version text NOT NULL,
            requests bigint NOT NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            est_input_tokens bigint NOT NULL,
            est_output_tokens bigint NOT NULL,
            est_cost_usd numeric NOT NULL,
            cost_usd numeric NOT NULL,
            duration_ticks bigint NOT NULL,
            PRIMARY KEY (hour_ticks, budget, tenant, provider, model, status, price_version)
        );
        CREATE TABLE breaker_state (
            scope text NOT NULL PRIMARY KEY,
            state integer NOT NULL,
            open_until_ticks bigint NOT NULL,
            reason text NULL,
            updated_ticks bigint NOT NULL
        );
        CREATE TABLE audit_log (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ts_ticks bigint NOT NULL,
            actor text NOT NULL,
            action text NOT NULL,
            scope text NULL,
            detail text NULL
        );
        CREATE INDEX ix_audit_ts ON audit_log (ts_ticks);
        CREATE TABLE counter_resets (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            scope text NOT NULL,
            window_kind integer NOT NULL,
            window_start_ticks bigint NOT NULL,
            reset_ticks bigint NOT NULL,
            reason text NULL
        );
        CREATE INDEX ix_counter_resets_start ON counter_resets (window_start_ticks);
        """),
        // 2: what budgets in shadow would have denied a call for (the call went ahead), as SQLite's migration 8.
        (2, """
        ALTER TABLE usage_records ADD COLUMN would_be_denied_by text NULL;
        ALTER TABLE usage_records ADD COLUMN would_be_denied_reason text NULL;
        """),
        // 3: a daily rollup beside the hourly one, kept in the same statement from the same records (PostgreSqlRecordWriter),
        // so a month's report reads about 31 rows per group instead of about 744; filled here from the hourly rollup.
        (3, """
        CREATE TABLE usage_daily (
            day_ticks bigint NOT NULL,
            budget text NOT NULL,
            tenant text NOT NULL,
            provider text NOT NULL,
            model text NOT NULL,
            status integer NOT NULL,
            price_version text NOT NULL,
            requests bigint NOT NULL,
            input_tokens bigint NOT NULL,
            output_tokens bigint NOT NULL,
            cached_input_tokens bigint NOT NULL,
            reasoning_tokens bigint NOT NULL,
            est_input_tokens bigint NOT NULL,
            est_output_tokens bigint NOT NULL,
            est_cost_usd numeric NOT NULL,
            cost_usd numeric NOT NULL,
            duration_ticks bigint NOT NULL,
            PRIMARY KEY (day_ticks, budget, tenant, provider, model, status, price_version)
        );
        INSERT INTO usage_daily (day_ticks, budget, tenant, provider, model, status, price_version, requests, input_tokens, output_tokens,
            cached_input_tokens, reasoning_tokens, est_input_tokens, est_output_tokens, est_cost_usd, cost_usd, duration_ticks)
        SELECT hour_ticks - hour_ticks % 864000000000, budget, tenant, provider, model, status, price_version, sum(requests), sum(input_tokens),
            sum(output_tokens), sum(cached_input_tokens), sum(reasoning_tokens), sum(est_input_tokens), sum(est_output_tokens),
            sum(est_cost_usd), sum(cost_usd), sum(duration_ticks)
        FROM usage_hourly GROUP BY 1, 2, 3, 4, 5, 6, 7;
        """),
        // 4: the tamper-evident chain, as SQLite's migration 7 (docs/stores.md, "Tamper evidence"): every usage record and
        // audit entry carries its segment (writer and UTC day), position, previous hash and hash; chain_heads holds each
        // segment's length and last hash, and where it starts once retention removed its oldest entries. Segments are
        // compared byte by byte (COLLATE "C"), the order the verifier merges them in. Rows written before this version are
        // not chained: chain_state remembers where they end.
        (4, PostgreSqlChainSchema.Migration),
    ];

    /// <summary>Creates the schema when missing and migrates it to <see cref="CurrentVersion"/>.</summary>
    /// <exception cref="InvalidOperationException">A newer GuardedAI wrote the schema, or it holds tables GuardedAI did not create.</exception>
    public static Task MigrateAsync(NpgsqlDataSource dataSource, string schema, string location, CancellationToken cancellationToken) =>
        MigrateAsync(dataSource, schema, location, CurrentVersion, cancellationToken);

    /// <summary>Migrates up to <paramref name="targetVersion"/> only (tests build older schemas with this).</summary>
    internal static async Task MigrateAsync(NpgsqlDataSource dataSource, string schema, string location, int targetVersion, CancellationToken cancellationToken)
    {
        // A schema already at the version asked for needs nothing written: no lock, no CREATE SCHEMA. So instances starting
        // together do not queue on the lock, and one that starts while the database takes no writes (a read-only standby
        // during a failover) still opens; its records wait in the spill until the database takes them.
        if (await InstalledVersionAsync(dataSource, schema, cancellationToken).ConfigureAwait(false) is { } installed
            && installed >= targetVersion && installed <= CurrentVersion)
        {
            return;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        // One migrator at a time per schema, across every instance; the lock ends with the transaction.
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('guardedai-schema:' || @schema))", cancellationToken, ("schema", schema)).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, $"CREATE SCHEMA IF NOT EXISTS \"{schema}\"", cancellationToken).ConfigureAwait(false);
        var hasVersion = await ScalarAsync<bool>(connection, transaction, HasVersionTable, cancellationToken, ("schema", schema)).ConfigureAwait(false);
        var version = 0;
        if (hasVersion)
        {
            version = await ScalarAsync<int>(connection, transaction, $"SELECT version FROM \"{schema}\".schema_version", cancellationToken).ConfigureAwait(false);
        }
        else if (await ScalarAsync<long>(connection, transaction, "SELECT count(*) FROM pg_tables WHERE schemaname = @schema", cancellationToken, ("schema", schema)).ConfigureAwait(false) > 0)
        {
            throw new InvalidOperationException(
                $"The PostgreSQL schema of {location} already holds tables that GuardedAI did not create. Point GuardedAI:PostgreSql:Schema at a schema of its own; nothing was changed.");
        }
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"{location} has GuardedAI schema version {version}, newer than the {CurrentVersion} this version understands. Upgrade GuardedAI or point it at another schema; nothing was changed.");
        }
        if (!hasVersion)
        {
            await ExecuteAsync(connection, transaction, $"CREATE TABLE \"{schema}\".schema_version (version integer NOT NULL); INSERT INTO \"{schema}\".schema_version VALUES (0)", cancellationToken).ConfigureAwait(false);
        }
        await ExecuteAsync(connection, transaction, $"SET LOCAL search_path TO \"{schema}\"", cancellationToken).ConfigureAwait(false);
        foreach (var (v, sql) in Migrations)
        {
            if (v <= version || v > targetVersion) continue;
            await ExecuteAsync(connection, transaction, sql, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, transaction, "UPDATE schema_version SET version = @v", cancellationToken, ("v", v)).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string HasVersionTable = "SELECT EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = @schema AND tablename = 'schema_version')";

    /// <summary>The version recorded in <paramref name="schema"/>, read without writing anything; null when it has none.</summary>
    private static async Task<int?> InstalledVersionAsync(NpgsqlDataSource dataSource, string schema, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        var hasVersion = await ScalarAsync<bool>(connection, null, HasVersionTable, cancellationToken, ("schema", schema)).ConfigureAwait(false);
        return hasVersion ? await ScalarAsync<int>(connection, null, $"SELECT version FROM \"{schema}\".schema_version", cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>The schema version of the schema the connection's search path names.</summary>
    public static async Task<int> GetVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        await ScalarAsync<int>(connection, null, "SELECT version FROM schema_version", cancellationToken).ConfigureAwait(false);

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
    }
}
