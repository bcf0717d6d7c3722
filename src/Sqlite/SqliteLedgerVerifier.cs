using System.Globalization;
using GuardedAI.Integrity;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Verifies the tamper-evident chain of a SQLite ledger (<c>guardedai verify</c>): every usage record and audit entry
/// against its hash, its predecessor and its segment's recorded head. Opens the file read-only and changes nothing.
/// </summary>
public static class SqliteLedgerVerifier
{
    private const string ChainColumns = "chain_segment, chain_pos, chain_prev, chain_hash, seq";

    /// <summary>Verifies the ledger file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file is missing, not a GuardedAI ledger, or of a schema without the chain (older than version 7).</exception>
    public static LedgerVerification Verify(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new InvalidOperationException($"There is no ledger file at '{full}'.");
        using var connection = new SqliteConnection(SqliteSchema.ConnectionString(full, SqliteOpenMode.ReadOnly));
        connection.Open();
        var version = SqliteSchema.GetVersion(connection);
        if (version < 7)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"The ledger '{full}' has schema version {version}, written before GuardedAI chained its records (version 7): there is nothing to verify. Open it once with this version to migrate it; records written from then on are chained."));
        }

        var verifier = new ChainVerifier(ReadHeads(connection));
        AddUnchained(connection, verifier, "usage_records", "usage_records_unchained_through", "id", "record");
        AddUnchained(connection, verifier, "audit_log", "audit_log_unchained_through", "seq", "audit entry");

        using var records = connection.CreateCommand();
        records.CommandText = $"SELECT {SqliteRecordColumns.Select}, {ChainColumns} FROM usage_records WHERE chain_segment IS NOT NULL ORDER BY chain_segment, chain_pos, seq;";
        using var audits = connection.CreateCommand();
        audits.CommandText = $"SELECT ts_ticks, actor, action, scope, detail, {ChainColumns} FROM audit_log WHERE chain_segment IS NOT NULL ORDER BY chain_segment, chain_pos, seq;";
        using var recordReader = records.ExecuteReader();
        using var auditReader = audits.ExecuteReader();
        var record = NextRecord(recordReader);
        var audit = NextAudit(auditReader);
        var count = 0;
        // Both tables share segments: merge them in (segment, position) order.
        while (record is not null || audit is not null)
        {
            if (++count % 65536 == 0) cancellationToken.ThrowIfCancellationRequested();
            if (audit is null || record is not null && Compare(record.Value, audit.Value) <= 0)
            {
                verifier.Add(record!.Value);
                record = NextRecord(recordReader);
            }
            else
            {
                verifier.Add(audit.Value);
                audit = NextAudit(auditReader);
            }
        }
        return verifier.Finish();
    }

    private static int Compare(in ChainEntry a, in ChainEntry b)
    {
        var bySegment = string.CompareOrdinal(a.Segment, b.Segment);
        return bySegment != 0 ? bySegment : a.Position.CompareTo(b.Position);
    }

    private static ChainEntry? NextRecord(SqliteDataReader reader)
    {
        if (!reader.Read()) return null;
        var record = SqliteRecordColumns.Read(reader);
        const int c = 31;
        var previous = (byte[])reader.GetValue(c + 2);
        return new ChainEntry(reader.GetString(c), reader.GetInt64(c + 1), "usage_records", reader.GetInt64(c + 4), "record " + record.Id,
            previous, (byte[])reader.GetValue(c + 3), LedgerChain.Hash(previous, record));
    }

    private static ChainEntry? NextAudit(SqliteDataReader reader)
    {
        if (!reader.Read()) return null;
        var action = new OperatorAction(new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        const int c = 5;
        var previous = (byte[])reader.GetValue(c + 2);
        var seq = reader.GetInt64(c + 4);
        return new ChainEntry(reader.GetString(c), reader.GetInt64(c + 1), "audit_log", seq, string.Create(CultureInfo.InvariantCulture, $"audit entry {seq} ({action.Action})"),
            previous, (byte[])reader.GetValue(c + 3), LedgerChain.Hash(previous, action));
    }

    private static List<ChainHead> ReadHeads(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT segment, length, head, start_pos, start_prev FROM chain_heads;";
        using var reader = command.ExecuteReader();
        var heads = new List<ChainHead>();
        while (reader.Read())
        {
            heads.Add(new ChainHead(reader.GetString(0), reader.GetInt64(1), (byte[])reader.GetValue(2))
            {
                StartPosition = reader.GetInt64(3),
                StartPrevious = reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4),
            });
        }
        return heads;
    }

    /// <summary>Rows without chain fields: written before the chain existed (counted), or inserted since (named).</summary>
    private static void AddUnchained(SqliteConnection connection, ChainVerifier verifier, string table, string boundary, string nameColumn, string noun)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT seq, {nameColumn}, seq <= coalesce((SELECT value FROM chain_state WHERE name = '{boundary}'), 0) FROM {table} WHERE chain_segment IS NULL ORDER BY seq;";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (reader.GetInt64(2) != 0) verifier.AddUnchained(1);
            else verifier.AddInserted(noun + " " + Convert.ToString(reader.GetValue(1), CultureInfo.InvariantCulture), string.Create(CultureInfo.InvariantCulture, $"{table} row {reader.GetInt64(0)}"));
        }
    }
}
