using Microsoft.Data.Sqlite;
using GuardedAI.Integrity;

namespace GuardedAI.Sqlite;

/// <summary>
/// Chains the entries one transaction writes (usage records, audit entries) into this process's segments
/// (<see cref="LedgerChain"/>): the head of each segment is read inside the transaction, advanced per entry, and
/// written back before the commit, so the chain and its heads commit or roll back with the entries.
/// </summary>
internal sealed class SqliteChain
{
    /// <summary>This process's writer id: machine, process and a random part, so two writers never share a segment.</summary>
    public static readonly string ProcessWriter = string.Concat(
        new string(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()),
        "-", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-", Guid.NewGuid().ToString("N")[..6]);

    private readonly SqliteTransaction _transaction;
    private readonly string _writer;
    private readonly Dictionary<string, (long Length, byte[] Head, bool Dirty)> _heads = new(StringComparer.Ordinal);
    private long _lastDay;
    private string? _lastSegment;

    public SqliteChain(SqliteTransaction transaction, string? writer = null)
    {
        _transaction = transaction;
        _writer = writer ?? ProcessWriter;
    }

    /// <summary>Where the next entry of <paramref name="timestamp"/>'s day goes: its segment, position and the hash it follows.</summary>
    public (string Segment, long Position, byte[] Previous) Next(DateTimeOffset timestamp)
    {
        // A batch's records are mostly of one day: its segment name is built once per day, not once per record.
        var day = timestamp.UtcTicks / TimeSpan.TicksPerDay;
        if (day != _lastDay || _lastSegment is null)
        {
            _lastSegment = LedgerChain.Segment(_writer, timestamp);
            _lastDay = day;
        }
        var segment = _lastSegment;
        if (!_heads.TryGetValue(segment, out var head))
        {
            head = Load(segment);
            _heads[segment] = head;
        }
        return (segment, head.Length, head.Head);
    }

    /// <summary>Records that the entry <see cref="Next"/> placed was written, with its hash.</summary>
    public void Advance(string segment, byte[] hash)
    {
        var head = _heads[segment];
        _heads[segment] = (head.Length + 1, hash, true);
    }

    /// <summary>Writes the heads that moved (call before the commit).</summary>
    public void SaveHeads()
    {
        using var command = _transaction.Connection!.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = "INSERT INTO chain_heads (segment, length, head) VALUES ($s, $l, $h) ON CONFLICT (segment) DO UPDATE SET length = excluded.length, head = excluded.head;";
        var s = command.Parameters.Add("$s", SqliteType.Text);
        var l = command.Parameters.Add("$l", SqliteType.Integer);
        var h = command.Parameters.Add("$h", SqliteType.Blob);
        foreach (var (segment, head) in _heads)
        {
            if (!head.Dirty) continue;
            s.Value = segment;
            l.Value = head.Length;
            h.Value = head.Head;
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Appends <paramref name="action"/> to <c>audit_log</c>, chained (heads are saved by the caller's <see cref="SaveHeads"/>).</summary>
    public void AppendAudit(OperatorAction action)
    {
        var (segment, position, previous) = Next(action.Timestamp);
        var hash = LedgerChain.Hash(previous, action);
        using var command = _transaction.Connection!.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = """
            INSERT INTO audit_log (ts_ticks, actor, action, scope, detail, chain_segment, chain_pos, chain_prev, chain_hash)
            VALUES ($at, $actor, $action, $scope, $detail, $seg, $pos, $prev, $hash);
            """;
        command.Parameters.AddWithValue("$at", action.Timestamp.UtcTicks);
        command.Parameters.AddWithValue("$actor", action.Actor);
        command.Parameters.AddWithValue("$action", action.Action);
        command.Parameters.AddWithValue("$scope", (object?)action.Scope ?? DBNull.Value);
        command.Parameters.AddWithValue("$detail", (object?)action.Detail ?? DBNull.Value);
        command.Parameters.AddWithValue("$seg", segment);
        command.Parameters.AddWithValue("$pos", position);
        command.Parameters.AddWithValue("$prev", previous);
        command.Parameters.AddWithValue("$hash", hash);
        command.ExecuteNonQuery();
        Advance(segment, hash);
    }

    /// <summary>Appends one audit entry in a transaction of its own.</summary>
    public static void AppendAudit(SqliteConnection connection, OperatorAction action)
    {
        using var transaction = connection.BeginTransaction(deferred: false);
        var chain = new SqliteChain(transaction);
        chain.AppendAudit(action);
        chain.SaveHeads();
        transaction.Commit();
    }

    private (long Length, byte[] Head, bool Dirty) Load(string segment)
    {
        using var command = _transaction.Connection!.CreateCommand();
        command.Transaction = _transaction;
        command.CommandText = "SELECT length, head FROM chain_heads WHERE segment = $s;";
        command.Parameters.AddWithValue("$s", segment);
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetInt64(0), (byte[])reader.GetValue(1), false) : (0, LedgerChain.Genesis(segment), false);
    }
}
