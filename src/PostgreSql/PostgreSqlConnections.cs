using System.Globalization;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// Builds GuardedAI's data sources from a user's connection string: the schema as search path, connect and command
/// timeouts from the write bound, and a description for messages that never holds the password.
/// </summary>
internal static class PostgreSqlConnections
{
    public static NpgsqlDataSource Create(string connectionString, string schema, TimeSpan timeout)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            SearchPath = schema,
            // Whole seconds, at least 1: the database calls of the write path give up within the bound (they are also cancelled at it).
            Timeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            CommandTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
            // A write cancelled at the bound breaks its connection at once instead of waiting for the server to confirm
            // the cancellation: a hung server must not hold the writer.
            CancellationTimeout = -1,
            ApplicationName = "GuardedAI",
        };
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>For start-up work (migrations, which may wait for another instance's): not bound by the write timeout.</summary>
    public static NpgsqlDataSource CreateForSetup(string connectionString, string schema) => NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema, ApplicationName = "GuardedAI setup", Pooling = false, Timeout = 15, CommandTimeout = 120 });

    /// <summary>For reports: long queries are fine, a dead server is not.</summary>
    public static NpgsqlDataSource CreateForReading(string connectionString, string schema)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { SearchPath = schema, ApplicationName = "GuardedAI reports" };
        if (!new NpgsqlConnectionStringBuilder(connectionString).ContainsKey("Timeout")) builder.Timeout = 5;
        return NpgsqlDataSource.Create(builder);
    }

    /// <summary>host:port/database (schema), never the user's password.</summary>
    public static string Describe(string connectionString, string schema)
    {
        try
        {
            var b = new NpgsqlConnectionStringBuilder(connectionString);
            return string.Create(CultureInfo.InvariantCulture, $"postgresql://{b.Host}:{b.Port}/{b.Database ?? b.Username} (schema {schema})");
        }
        catch (ArgumentException)
        {
            return $"PostgreSQL (schema {schema})";
        }
    }

    /// <summary>
    /// Whether <paramref name="ex"/> means the database cannot take records now — it cannot be reached, does not answer in
    /// time, or refuses every write for a reason of its own (a read-only standby after a failover, a full disk, a revoked
    /// privilege, a changed password, a dropped table) — as opposed to refusing the records of the statement. Records are
    /// then kept in the spill, never failed: only a refusal that is about the records (see <see cref="RefusesTheRecords"/>)
    /// counts against them.
    /// </summary>
    public static bool IsOutage(Exception ex) => ex switch
    {
        PostgresException pg => pg.IsTransient || !RefusesTheRecords(pg.SqlState),
        NpgsqlException npg => npg.IsTransient || npg.InnerException is System.Net.Sockets.SocketException or IOException or TimeoutException,
        TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException or IOException => true,
        _ => false,
    };

    /// <summary>A value a column cannot hold (class 22), a constraint (class 23) or a trigger's own error (P0001): the
    /// database refuses these records, and would take others.</summary>
    private static bool RefusesTheRecords(string sqlState) =>
        sqlState.StartsWith("22", StringComparison.Ordinal) || sqlState.StartsWith("23", StringComparison.Ordinal) || sqlState == "P0001";
}
