using System.Globalization;
using System.Runtime.CompilerServices;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Breaker state (table <c>breaker_state</c>), counter resets (<c>counter_resets</c>) and the audit trail of operator
/// actions (<c>audit_log</c>) in the ledger's PostgreSQL schema, shared by every instance: a breaker opened by hand on
/// one instance, or by the <c>guardedai</c> tool, holds for all of them after their next breaker sync, and survives
/// restarts. A breaker write never replaces a newer one. Every breaker change, counter reset and operator action is also
/// an audit entry of the ledger's tamper-evident chain (<see cref="PostgreSqlChain"/>), committed with what it records
/// (<c>guardedai verify</c> checks it).
/// </summary>
public sealed class PostgreSqlStateStore : IBreakerStateStore, ICounterResetStore, IOperatorAuditLog, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _chainWriter;

    /// <summary>Uses the schema of <paramref name="options"/> (create it by opening the ledger first, or with <see cref="OpenAsync"/>).</summary>
    public PostgreSqlStateStore(PostgreSqlLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _dataSource = PostgreSqlConnections.Create(options.ConnectionString, options.Schema, options.WriteTimeout * 5);
        _chainWriter = options.ChainWriter ?? PostgreSqlChain.NewWriter();
    }

    /// <summary>Creates or migrates the schema, then returns the store.</summary>
    public static async Task<PostgreSqlStateStore> OpenAsync(PostgreSqlLedgerOptions options, CancellationToken cancellationToken = default)
    {
        var store = new PostgreSqlStateStore(options);
        try
        {
            await using var setup = PostgreSqlConnections.CreateForSetup(options.ConnectionString, options.Schema);
            await PostgreSqlSchema.MigrateAsync(setup, options.Schema, PostgreSqlConnections.Describe(options.ConnectionString, options.Schema), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return store;
    }

    /// <inheritdoc/>
    async ValueTask<IReadOnlyList<BreakerSnapshot>> IBreakerStateStore.LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT scope, state, open_until_ticks, reason, updated_ticks FROM breaker_state ORDER BY scope", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<BreakerSnapshot>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new BreakerSnapshot(reader.GetString(0), (CircuitBreakerState)reader.GetInt32(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
                reader.IsDBNull(3) ? null : reader.GetString(3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
        }
        return list;
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(BreakerSnapshot snapshot, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        // A reason can quote a provider's error: stored (and chained, in its audit entry) as PostgreSQL can hold it.
        snapshot = snapshot with { Scope = PostgreSqlText.Storable(snapshot.Scope)!, Reason = PostgreSqlText.Storable(snapshot.Reason) };
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            INSERT INTO breaker_state (scope, state, open_until_ticks, reason, updated_ticks) VALUES (@scope, @state, @until, @reason, @updated)
            ON CONFLICT (scope) DO UPDATE SET state = excluded.state, open_until_ticks = excluded.open_until_ticks, reason = excluded.reason,
                updated_ticks = excluded.updated_ticks
            WHERE excluded.updated_ticks >= breaker_state.updated_ticks
            """, connection, transaction);
        command.Parameters.AddWithValue("scope", snapshot.Scope);
        command.Parameters.AddWithValue("state", (int)snapshot.State);
        command.Parameters.AddWithValue("until", snapshot.OpenUntil.UtcTicks);
        command.Parameters.AddWithValue("reason", (object?)snapshot.Reason ?? DBNull.Value);
        command.Parameters.AddWithValue("updated", snapshot.UpdatedAt.UtcTicks);
        if (await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            // A breaker action is an audit entry in the ledger's chain, committed with the state it records (as on SQLite).
            await AppendChainedAsync(transaction, new OperatorAction(snapshot.UpdatedAt, "guardedai", "breaker." + snapshot.State.ToString().ToLowerInvariant(), snapshot.Scope,
                snapshot.State == CircuitBreakerState.Closed ? snapshot.Reason
                    : string.Create(CultureInfo.InvariantCulture, $"until {snapshot.OpenUntil:yyyy-MM-dd HH:mm:ss}Z{(snapshot.Reason is null ? "" : ": " + snapshot.Reason)}")),
                cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Appends <paramref name="action"/> to the audit trail, chained, in <paramref name="transaction"/>.</summary>
    private async Task AppendChainedAsync(NpgsqlTransaction transaction, OperatorAction action, CancellationToken cancellationToken)
    {
        var chain = new PostgreSqlChain(transaction, _chainWriter);
        await chain.AppendAuditAsync(action, cancellationToken).ConfigureAwait(false);
        await chain.SaveHeadsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask SaveAsync(CounterReset reset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reset);
        reset = reset with { Scope = PostgreSqlText.Storable(reset.Scope)!, Reason = PostgreSqlText.Storable(reset.Reason) };
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "INSERT INTO counter_resets (scope, window_kind, window_start_ticks, reset_ticks, reason) VALUES (@scope, @window, @start, @at, @reason)", connection, transaction);
        command.Parameters.AddWithValue("scope", reset.Scope);
        command.Parameters.AddWithValue("window", (int)reset.Window);
        command.Parameters.AddWithValue("start", reset.WindowStart.UtcTicks);
        command.Parameters.AddWithValue("at", reset.ResetAt.UtcTicks);
        command.Parameters.AddWithValue("reason", (object?)reset.Reason ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        // The reset is also an audit entry (counter.reset) in the ledger's chain, in the same transaction (as on SQLite).
        await AppendChainedAsync(transaction, new OperatorAction(reset.ResetAt, "guardedai", "counter.reset", reset.Scope, string.Create(CultureInfo.InvariantCulture,
            $"{reset.Window} window from {reset.WindowStart:yyyy-MM-dd HH:mm:ss}Z reset{(reset.Reason is null ? "" : ": " + reset.Reason)}")), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<CounterReset>> LoadAsync(DateTimeOffset windowsFrom, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(
            "SELECT scope, window_kind, window_start_ticks, reset_ticks, reason FROM counter_resets WHERE window_start_ticks >= @from ORDER BY seq", connection);
        command.Parameters.AddWithValue("from", windowsFrom.UtcTicks);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<CounterReset>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new CounterReset(reader.GetString(0), (BudgetWindow)reader.GetInt32(1), new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
                new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return list;
    }

    /// <inheritdoc/>
    /// <remarks>Chained into the ledger's tamper-evident chain (<c>guardedai verify</c> checks it).</remarks>
    public async ValueTask AppendAsync(OperatorAction action, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(action);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await AppendChainedAsync(transaction, action, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<OperatorAction> ReadAsync(DateTimeOffset from, DateTimeOffset to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("SELECT ts_ticks, actor, action, scope, detail FROM audit_log WHERE ts_ticks >= @from AND ts_ticks < @to ORDER BY seq", connection);
        command.Parameters.AddWithValue("from", from.UtcTicks);
        command.Parameters.AddWithValue("to", to.UtcTicks);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new OperatorAction(new DateTimeOffset(reader.GetInt64(0), TimeSpan.Zero), reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4));
        }
    }

    /// <summary>Closes the connections.</summary>
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
