using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>
/// Operator state in the ledger file: counter resets (table <c>counter_resets</c>) and the audit trail of operator
/// actions (table <c>audit_log</c>). The <c>guardedai</c> tool writes both; an engine reads the resets when it
/// restores its counters at start. Every reset and action is an entry of the ledger's tamper-evident chain.
/// </summary>
public sealed class SqliteOperationsStore : ICounterResetStore, IOperatorAuditLog
{
    private readonly string _path;

    /// <summary>Uses (creating or migrating) the database at <paramref name="path"/>.</summary>
    public SqliteOperationsStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _path = System.IO.Path.GetFullPath(path);
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
    }

    /// <inheritdoc/>
    /// <remarks>The reset is also an audit entry (<c>counter.reset</c>) in the ledger's chain, in the same transaction.</remarks>
    public ValueTask SaveAsync(CounterReset reset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reset);
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO counter_resets (scope, window_kind, window_start_ticks, reset_ticks, reason) VALUES ($scope, $window, $start, $at, $reason);";
        command.Parameters.AddWithValue("$scope", reset.Scope);
        command.Parameters.AddWithValue("$window", (int)reset.Window);
        command.Parameters.AddWithValue("$start", reset.WindowStart.UtcTicks);
        command.Parameters.AddWithValue("$at", reset.ResetAt.UtcTicks);
        command.Parameters.AddWithValue("$reason", (object?)reset.Reason ?? DBNull.Value);
        command.ExecuteNonQuery();
        var chain = new SqliteChain(transaction);
        chain.AppendAudit(new OperatorAction(reset.ResetAt, "guardedai", "counter.reset", reset.Scope, string.Create(CultureInfo.InvariantCulture,
            $"{reset.Window} window from {reset.WindowStart:yyyy-MM-dd HH:mm:ss}Z reset{(reset.Reason is null ? "" : ": " + reset.Reason)}")));
        chain.SaveHeads();
        transaction.Commit();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<CounterReset>> LoadAsync(DateTimeOffset windowsFrom, CancellationToken cancellationToken = default)
    {
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT scope, window_kind, window_start_ticks, reset_ticks, reason FROM counter_resets WHERE window_start_ticks >= $from ORDER BY seq;";
        command.Parameters.AddWithValue("$from", windowsFrom.UtcTicks);
        using var reader = command.ExecuteReader();
        var list = new List<CounterReset>();
        while (reader.Read())
        {
            list.Add(new CounterReset(reader.GetString(0), (BudgetWindow)reader.GetInt32(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return ValueTask.FromResult<IReadOnlyList<CounterReset>>(list);
    }

    /// <inheritdoc/>
    /// <remarks>Chained into the ledger's tamper-evident chain (<c>guardedai verify</c> checks it).</remarks>
    public ValueTask AppendAsync(OperatorAction action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        SqliteChain.AppendAudit(connection, action);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<OperatorAction> ReadAsync(DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = SqliteSchema.Open(_path, synchronousFull: true);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT ts_ticks, actor, action, scope, detail FROM audit_log WHERE ts_ticks >= $from AND ts_ticks < $to ORDER BY seq;";
        command.Parameters.AddWithValue("$from", from.UtcTicks);
        command.Parameters.AddWithValue("$to", to.UtcTicks);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new OperatorAction(new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }
    }
}
