using Microsoft.Data.Sqlite;

namespace GuardedAI.Sqlite;

/// <summary>Breaker state in the same SQLite file as the ledger (table <c>breaker_state</c>), so a restart keeps open breakers open.</summary>
public sealed class SqliteBreakerStateStore : IBreakerStateStore
{
    private readonly string _path;
    private readonly TimeSpan _busyTimeout;

    /// <summary>Uses (creating or migrating) the database at <paramref name="path"/>.</summary>
    public SqliteBreakerStateStore(string path) : this(path, SqliteSchema.DefaultBusyTimeout) { }

    /// <summary>Uses the database at <paramref name="path"/>, waiting at most <paramref name="busyTimeout"/> for another connection's lock
    /// (reads and saves run off the call path: a locked file delays them, never a call).</summary>
    public SqliteBreakerStateStore(string path, TimeSpan busyTimeout)
    {
        _path = Path.GetFullPath(path);
        _busyTimeout = busyTimeout;
        using var connection = SqliteSchema.Open(_path, synchronousFull: true, busyTimeout);
    }

    /// <inheritdoc/>
    public ValueTask<IReadOnlyList<BreakerSnapshot>> LoadAsync(CancellationToken cancellationToken = default)
    {
        using var connection = SqliteSchema.Open(_path, synchronousFull: true, _busyTimeout);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT scope, state, open_until_ticks, reason, updated_ticks FROM breaker_state ORDER BY scope;";
        using var reader = command.ExecuteReader();
        var list = new List<BreakerSnapshot>();
        while (reader.Read())
        {
            list.Add(new BreakerSnapshot(reader.GetString(0), (CircuitBreakerState)reader.GetInt32(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
                reader.IsDBNull(3) ? null : reader.GetString(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
        }
        return ValueTask.FromResult<IReadOnlyList<BreakerSnapshot>>(list);
    }

    /// <inheritdoc/>
    public ValueTask SaveAsync(BreakerSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        using var connection = SqliteSchema.Open(_path, synchronousFull: true, _busyTimeout);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.CommandText = """
            INSERT INTO breaker_state (scope, state, open_until_ticks, reason, updated_ticks) VALUES ($scope, $state, $until, $reason, $updated)
            ON CONFLICT (scope) DO UPDATE SET state = excluded.state, open_until_ticks = excluded.open_until_ticks, reason = excluded.reason,
                updated_ticks = excluded.updated_ticks
            WHERE excluded.updated_ticks >= breaker_state.updated_ticks;
            """;
        command.Parameters.AddWithValue("$scope", snapshot.Scope);
        command.Parameters.AddWithValue("$state", (int)snapshot.State);
        command.Parameters.AddWithValue("$until", snapshot.OpenUntil.UtcTicks);
        command.Parameters.AddWithValue("$reason", (object?)snapshot.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("$updated", snapshot.UpdatedAt.UtcTicks);
        command.Transaction = transaction;
        if (command.ExecuteNonQuery() > 0)
        {
            // A breaker action is an audit entry in the ledger's chain, committed with the state it records.
            var chain = new SqliteChain(transaction);
            chain.AppendAudit(new OperatorAction(snapshot.UpdatedAt, "guardedai", "breaker." + snapshot.State.ToString().ToLowerInvariant(), snapshot.Scope,
                snapshot.State == CircuitBreakerState.Closed ? snapshot.Reason : $"until {snapshot.OpenUntil:yyyy-MM-dd HH:mm:ss}Z{(snapshot.Reason is null ? "" : ": " + snapshot.Reason)}"));
            chain.SaveHeads();
        }
        transaction.Commit();
        return ValueTask.CompletedTask;
    }
}
