using System.Net.Sockets;
using Npgsql;

namespace GuardedAI.PostgreSql;

public sealed partial class PostgreSqlUsageQueries
{
    /// <summary>
    /// Opens a connection, runs the command <paramref name="build"/> sets up and reads its first row. A pooled connection
    /// the server dropped (it restarted since the connection was last used) fails only when it is used: then the pool is
    /// cleared and the read is tried once more on a new connection. Only before the first row — a read that fails after
    /// rows were handed out is not repeated, so nothing is returned twice — and only once, so a server that is down still
    /// fails the read at once.
    /// </summary>
    private async Task<OpenRead> ReadAsync(Action<NpgsqlCommand> build, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            NpgsqlConnection? connection = null;
            NpgsqlCommand? command = null;
            NpgsqlDataReader? reader = null;
            try
            {
                connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                command = connection.CreateCommand();
                command.CommandTimeout = 0;
                build(command);
                reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                var hasRow = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                return new OpenRead(connection, command, reader, hasRow);
            }
            catch (Exception ex) when (attempt == 1 && !cancellationToken.IsCancellationRequested && IsBrokenConnection(ex))
            {
                await DisposeAsync(connection, command, reader).ConfigureAwait(false);
                // Every idle connection of the pool predates the same restart: none of them is to be tried again.
                _dataSource.Clear();
            }
            catch
            {
                await DisposeAsync(connection, command, reader).ConfigureAwait(false);
                throw;
            }
        }
    }

    /// <summary>Whether <paramref name="ex"/> says the connection broke (not that the statement was wrong).</summary>
    internal static bool IsBrokenConnection(Exception ex) => ex switch
    {
        // The server ended the session (shut down, crashed, restarting) or the connection failed.
        PostgresException pg => pg.SqlState is "57P01" or "57P02" or "57P03" || pg.SqlState.StartsWith("08", StringComparison.Ordinal),
        NpgsqlException npg => npg.IsTransient || npg.InnerException is IOException or SocketException or EndOfStreamException,
        IOException or SocketException => true,
        _ => false,
    };

    private static async ValueTask DisposeAsync(NpgsqlConnection? connection, NpgsqlCommand? command, NpgsqlDataReader? reader)
    {
        // A broken connection may throw again while closing; the read's own error is the one to report.
        try
        {
            if (reader is not null) await reader.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBrokenConnection(ex)) { }
        if (command is not null) await command.DisposeAsync().ConfigureAwait(false);
        if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A connection, its command and its reader, positioned on the first row (when there is one).</summary>
    private sealed class OpenRead(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader, bool hasRow) : IAsyncDisposable
    {
        public NpgsqlDataReader Reader { get; } = reader;

        public bool HasRow { get; } = hasRow;

        public async ValueTask DisposeAsync() => await PostgreSqlUsageQueries.DisposeAsync(connection, command, Reader).ConfigureAwait(false);
    }
}
