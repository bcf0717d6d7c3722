using System.Globalization;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// The versioned schema of GuardedAI's SQLite file. The version lives in <c>PRAGMA user_version</c>; each
/// migration runs in its own transaction and bumps it, so a file of any older version is brought up to date
/// step by step, and a file written by a newer GuardedAI is refused with a clear error instead of being misread.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>The schema version this build writes.</summary>
    public const int CurrentVersion = 7;

    /// <summary>How long SQLite waits for another connection's lock unless told otherwise.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(2);

    private static readonly string[] Migrations =
    [
        // 1: the usage ledger.
        """
        CREATE TABLE usage_records (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            id TEXT NOT NULL UNIQUE,
            ts_ticks INTEGER NOT NULL,
            budget TEXT NOT NULL,
            tenant TEXT NULL,
            provider TEXT NULL,
            model TEXT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_input_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            est_input_tokens INTEGER NOT NULL,
            est_output_tokens INTEGER NOT NULL,
            est_cost_usd TEXT NOT NULL,
            cost_usd TEXT NOT NULL,
            usage_reported INTEGER NOT NULL,
            duration_ticks INTEGER NOT NULL,
            status INTEGER NOT NULL,
            reason TEXT NULL,
            tags TEXT NULL
        );
        """,
        // 2: indexes for restore and the report queries (by time, by budget, by tenant).
        """
        CREATE INDEX ix_usage_ts ON usage_records (ts_ticks);
        CREATE INDEX ix_usage_budget_ts ON usage_records (budget, ts_ticks);
        CREATE INDEX ix_usage_tenant_ts ON usage_records (tenant, ts_ticks) WHERE tenant IS NOT NULL;
        """,
        // 3: circuit breaker state.
        """
        CREATE TABLE breaker_state (
            scope TEXT NOT NULL PRIMARY KEY,
            state INTEGER NOT NULL,
            open_until_ticks INTEGER NOT NULL,
            reason TEXT NULL,
            updated_ticks INTEGER NOT NULL
        );
        """,
        // 4: reports (docs/reports.md). Price provenance, conversation and run per record; an hourly rollup kept by every
        // writer in the transaction that appends (see SqliteRollup: it catches up from rollup_state.last_seq, so records
        // written by anything are rolled up exactly once); operator actions (audit_log) and counter resets.
        """
        ALTER TABLE usage_records ADD COLUMN price_version TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN conversation_id TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN run_id TEXT NULL;
        CREATE INDEX ix_usage_conversation_ts ON usage_records (conversation_id, ts_ticks) WHERE conversation_id IS NOT NULL;
        CREATE INDEX ix_usage_run_ts ON usage_records (run_id, ts_ticks) WHERE run_id IS NOT NULL;
        CREATE TABLE usage_hourly (
            hour_ticks INTEGER NOT NULL,
            budget TEXT NOT NULL,
            tenant TEXT NOT NULL,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            status INTEGER NOT NULL,
            price_version TEXT NOT NULL,
            requests INTEGER NOT NULL,
            input_tokens INTEGER NOT NULL,
            output_tokens INTEGER NOT NULL,
            cached_input_tokens INTEGER NOT NULL,
            reasoning_tokens INTEGER NOT NULL,
            est_input_tokens INTEGER NOT NULL,
            est_output_tokens INTEGER NOT NULL,
            est_cost_usd TEXT NOT NULL,
            cost_usd TEXT NOT NULL,
            duration_ticks INTEGER NOT NULL,
            PRIMARY KEY (hour_ticks, budget, tenant, provider, model, status, price_version)
        ) WITHOUT ROWID;
        CREATE TABLE rollup_state (
            name TEXT NOT NULL PRIMARY KEY,
            last_seq INTEGER NOT NULL
        );
        INSERT INTO rollup_state (name, last_seq) VALUES ('usage_hourly', 0);
        CREATE TABLE audit_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ts_ticks INTEGER NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            scope TEXT NULL,
            detail TEXT NULL
        );
        CREATE TABLE counter_resets (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            scope TEXT NOT NULL,
            window_kind INTEGER NOT NULL,
            window_start_ticks INTEGER NOT NULL,
            reset_ticks INTEGER NOT NULL,
            reason TEXT NULL
        );
        CREATE INDEX ix_counter_resets_reset ON counter_resets (reset_ticks);
        """,
        // 5: what the provider reported, as it reported it, and what GuardedAI corrected; cache writes.
        """
        ALTER TABLE usage_records ADD COLUMN cache_write_input_tokens INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage_records ADD COLUMN reported_input_tokens INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN reported_output_tokens INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN reported_total_tokens INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN reported_cached_input_tokens INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN reported_reasoning_tokens INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN anomalies TEXT NULL;
        """,
        // 6: what a record stands for (a provider request, a user turn, a tool's own cost) and the model a degraded call asked for.
        """
        ALTER TABLE usage_records ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE usage_records ADD COLUMN degraded_from TEXT NULL;
        """,
        // 7: the tamper-evident chain (docs/stores.md, "Tamper evidence"): every usage record and audit entry carries its
        // segment (writer and UTC day), position, previous hash and hash; chain_heads holds each segment's length and last
        // hash, and where it starts once retention removed its oldest entries (start_pos, and the hash they ended with).
        // Rows written before this version are not chained: chain_state remembers where they end.
        """
        ALTER TABLE usage_records ADD COLUMN chain_segment TEXT NULL;
        ALTER TABLE usage_records ADD COLUMN chain_pos INTEGER NULL;
        ALTER TABLE usage_records ADD COLUMN chain_prev BLOB NULL;
        ALTER TABLE usage_records ADD COLUMN chain_hash BLOB NULL;
        CREATE INDEX ix_usage_chain ON usage_records (chain_segment, chain_pos) WHERE chain_segment IS NOT NULL;
        ALTER TABLE audit_log ADD COLUMN chain_segment TEXT NULL;
        ALTER TABLE audit_log ADD COLUMN chain_pos INTEGER NULL;
        ALTER TABLE audit_log ADD COLUMN chain_prev BLOB NULL;
        ALTER TABLE audit_log ADD COLUMN chain_hash BLOB NULL;
        CREATE INDEX ix_audit_chain ON audit_log (chain_segment, chain_pos) WHERE chain_segment IS NOT NULL;
        CREATE TABLE chain_heads (
            segment TEXT NOT NULL PRIMARY KEY,
            length INTEGER NOT NULL,
            head BLOB NOT NULL,
            start_pos INTEGER NOT NULL DEFAULT 0,
            start_prev BLOB NULL
        ) WITHOUT ROWID;
        CREATE TABLE chain_state (
            name TEXT NOT NULL PRIMARY KEY,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;
        INSERT INTO chain_state (name, value) VALUES ('usage_records_unchained_through', (SELECT coalesce(max(seq), 0) FROM usage_records));
        INSERT INTO chain_state (name, value) VALUES ('audit_log_unchained_through', (SELECT coalesce(max(seq), 0) FROM audit_log));
        """,
    ];

    /// <summary>Opens <paramref name="path"/> (creating it), switches it to WAL and migrates it to <see cref="CurrentVersion"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is locked, is not a GuardedAI database, or a newer GuardedAI wrote it.</exception>
    public static SqliteConnection Open(string path, bool synchronousFull) => Open(path, synchronousFull, DefaultBusyTimeout, CurrentVersion);

    /// <summary>Opens, waiting at most <paramref name="busyTimeout"/> for another connection's lock.</summary>
    /// <exception cref="InvalidOperationException">The file is locked, is not a GuardedAI database, or a newer GuardedAI wrote it.</exception>
    public static SqliteConnection Open(string path, bool synchronousFull, TimeSpan busyTimeout) => Open(path, synchronousFull, busyTimeout, CurrentVersion);

    /// <summary>Opens and migrates up to <paramref name="targetVersion"/> only (tests build older files with this).</summary>
    internal static SqliteConnection Open(string path, bool synchronousFull, int targetVersion) => Open(path, synchronousFull, DefaultBusyTimeout, targetVersion);

    private static SqliteConnection Open(string path, bool synchronousFull, TimeSpan busyTimeout, int targetVersion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        var connection = new SqliteConnection(ConnectionString(full, SqliteOpenMode.ReadWriteCreate));
        try
        {
            connection.Open();
            SqliteFunctions.Register(connection);
            SetBusyTimeout(connection, busyTimeout);
            var mode = Scalar(connection, "PRAGMA journal_mode = WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"GuardedAI could not switch the SQLite file '{full}' to WAL mode (it reports '{mode}').");
            }
            Execute(connection, synchronousFull ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
            Migrate(connection, full, targetVersion);
            return connection;
        }
        catch (SqliteException ex) when (IsLocked(ex))
        {
            connection.Dispose();
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"GuardedAI could not open the SQLite file '{full}': it is locked by another connection or process (SQLite error {ex.SqliteErrorCode}: {ex.Message}), still after waiting {busyTimeout.TotalSeconds:0.###} s. Close what holds it (a database browser with an open transaction, a backup, another program writing to it) or point GuardedAI:Sqlite:Path at another file; GuardedAI:Sqlite:BusyTimeoutMs sets how long to wait."), ex);
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new InvalidOperationException($"GuardedAI could not open the SQLite file '{full}': {ex.Message} (SQLite error {ex.SqliteErrorCode}). Is it a SQLite database?", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The schema version of an open database.</summary>
    public static int GetVersion(SqliteConnection connection) => GetVersion(connection, null);

    private static int GetVersion(SqliteConnection connection, SqliteTransaction? transaction) =>
        int.Parse(Scalar(connection, "PRAGMA user_version;", transaction) ?? "0", CultureInfo.InvariantCulture);

    private static void Migrate(SqliteConnection connection, string path, int targetVersion)
    {
        // BEGIN IMMEDIATE: two processes opening the same new file must not both run migration 1.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = GetVersion(connection, transaction);
        if (version > CurrentVersion)
        {
            throw new InvalidOperationException(
                $"The SQLite file '{path}' has GuardedAI schema version {version}, newer than the {CurrentVersion} this version understands. Upgrade GuardedAI or point it at another file; the file was not changed.");
        }
        if (version == 0 && Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%';", transaction) is { } tables && tables != "0")
        {
            throw new InvalidOperationException(
                $"The SQLite file '{path}' already holds tables that GuardedAI did not create (schema version 0). Point GuardedAI:Sqlite:Path at its own file; the file was not changed.");
        }
        for (var v = version; v < targetVersion; v++)
        {
            Execute(connection, Migrations[v], transaction);
            Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {v + 1};"), transaction);
        }
        transaction.Commit();
    }

    internal static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    internal static string? Scalar(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return Convert.ToString(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Whether <paramref name="ex"/> says another connection holds a lock (SQLITE_BUSY or SQLITE_LOCKED).</summary>
    public static bool IsLocked(SqliteException ex) => ex.SqliteErrorCode is 5 or 6;

    /// <summary>
    /// A connection string whose commands give up on a lock soon.
    /// Microsoft.Data.Sqlite retries a busy statement for its command timeout, in whole seconds; SQLite's own busy
    /// handler (set by <see cref="SetBusyTimeout"/>) waits inside each try. One second of the former and the full
    /// timeout of the latter bound a wait by max(1 s, timeout) plus one try.
    /// </summary>
    internal static string ConnectionString(string path, SqliteOpenMode mode) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = mode,
        Pooling = false,
        DefaultTimeout = 1,
    }.ToString();

    internal static void SetBusyTimeout(SqliteConnection connection, TimeSpan busyTimeout) =>
        Execute(connection, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)Math.Max(1, busyTimeout.TotalMilliseconds)};"));
}
