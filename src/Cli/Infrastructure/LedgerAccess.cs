using System.CommandLine;
using GuardedAI.Reports;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>
/// Opens the ledger a command names with <c>--db PATH</c> (or <c>GUARDEDAI_DB</c>) or <c>--connection STRING</c>. One
/// place knows the kinds of ledger: a shared ledger of another kind plugs in here, and every command keeps working
/// through <see cref="IUsageLedgerQueries"/> and the stores it returns.
/// </summary>
internal sealed class LedgerAccess
{
    private LedgerAccess(string location, IUsageLedgerQueries queries, IBreakerStateStore breakers, SqliteOperationsStore operations, string sqlitePath)
    {
        Location = location;
        Queries = queries;
        Breakers = breakers;
        Operations = operations;
        SqlitePath = sqlitePath;
    }

    /// <summary>Where the ledger is, for messages (never a password).</summary>
    public string Location { get; }

    public IUsageLedgerQueries Queries { get; }

    public IBreakerStateStore Breakers { get; }

    /// <summary>Counter resets and the audit trail of operator actions.</summary>
    public SqliteOperationsStore Operations { get; }

    /// <summary>The SQLite file, for bulk import and integrity checks.</summary>
    public string SqlitePath { get; }

    /// <summary>The ledger file or connection the command line names, or a usage error saying how to name one.</summary>
    public static string ResolvePath(ParseResult parse, Option<string?> db, Option<string?> connection)
    {
        var path = parse.GetValue(db);
        var connectionString = parse.GetValue(connection);
        if (path is not null && connectionString is not null) throw CliException.Usage("--connection", "give either --db or --connection, not both.");
        if (connectionString is not null)
        {
            if (connectionString.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase))
                throw CliException.Usage("--connection", "this version of guardedai reads SQLite ledgers only; a PostgreSQL ledger is not supported yet.");
            try
            {
                path = new SqliteConnectionStringBuilder(connectionString).DataSource;
            }
            catch (ArgumentException ex)
            {
                throw CliException.Usage("--connection", $"is not a connection string GuardedAI understands ({ex.Message}).");
            }
            if (string.IsNullOrWhiteSpace(path)) throw CliException.Usage("--connection", "names no 'Data Source'.");
        }
        path ??= Environment.GetEnvironmentVariable("GUARDEDAI_DB");
        if (string.IsNullOrWhiteSpace(path)) throw CliException.Usage("--db", "is required: the SQLite ledger file to use (or set GUARDEDAI_DB).");
        return Path.GetFullPath(path);
    }

    /// <summary>Opens an existing ledger; a missing or unusable file is <see cref="ExitCodes.Unreachable"/>, never created.</summary>
    public static LedgerAccess Open(string path)
    {
        if (Directory.Exists(path)) throw CliException.Unreachable($"The ledger '{path}' is a directory, not a SQLite file.");
        if (!File.Exists(path)) throw CliException.Unreachable($"There is no ledger at '{path}' (check --db; guardedai never creates one, except by import).");
        return Create(path);
    }

    /// <summary>Opens the ledger, creating it when missing (import only).</summary>
    public static LedgerAccess OpenOrCreate(string path) => Create(path);

    private static LedgerAccess Create(string path)
    {
        try
        {
            if (!File.Exists(path)) new SqliteOperationsStore(path); // creates and migrates an empty ledger
            var queries = new SqliteUsageQueries(path);
            return new LedgerAccess(path, queries, new SqliteBreakerStateStore(path), new SqliteOperationsStore(path), path);
        }
        catch (Exception ex) when (ex is InvalidOperationException or SqliteException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Unreachable($"The ledger '{path}' cannot be used: {ex.Message}", ex);
        }
    }
}
