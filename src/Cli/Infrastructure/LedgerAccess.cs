using System.CommandLine;
using GuardedAI.PostgreSql;
using GuardedAI.Reports;
using GuardedAI.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace GuardedAI.Cli.Infrastructure;

/// <summary>Which ledger a command works on: a SQLite file, or a PostgreSQL schema (described without its password).</summary>
internal sealed record LedgerTarget(string? SqlitePath, PostgreSqlLedgerOptions? Postgres, string Display);

/// <summary>
/// Opens the ledger a command names with <c>--db PATH</c> (or <c>GUARDEDAI_DB</c>) or <c>--connection STRING</c> (or
/// <c>GUARDEDAI_CONNECTION</c>): a SQLite file, or a PostgreSQL ledger shared by many instances. One place knows the
/// kinds of ledger; every command works through <see cref="IUsageLedgerQueries"/> and the stores it returns.
/// </summary>
internal sealed class LedgerAccess
{
    private LedgerAccess(LedgerTarget target, IUsageLedgerQueries queries, IBreakerStateStore breakers, ICounterResetStore resets, IOperatorAuditLog audit)
    {
        Target = target;
        Queries = queries;
        Breakers = breakers;
        Operations = new OperationsStore(resets, audit);
    }

    public LedgerTarget Target { get; }

    /// <summary>Where the ledger is, for messages (never a password).</summary>
    public string Location => Target.Display;

    public IUsageLedgerQueries Queries { get; }

    public IBreakerStateStore Breakers { get; }

    /// <summary>Counter resets and the audit trail of operator actions.</summary>
    public OperationsStore Operations { get; }

    /// <summary>The SQLite file, for integrity checks; null for PostgreSQL.</summary>
    public string? SqlitePath => Target.SqlitePath;

    /// <summary>The ledger file or connection the command line names, or a usage error saying how to name one.</summary>
    public static LedgerTarget ResolvePath(ParseResult parse, Option<string?> db, Option<string?> connection)
    {
        var path = parse.GetValue(db);
        var connectionString = parse.GetValue(connection);
        if (path is not null && connectionString is not null) throw CliException.Usage("--connection", "give either --db or --connection, not both.");
        if (path is null) connectionString ??= Environment.GetEnvironmentVariable("GUARDEDAI_CONNECTION") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        if (connectionString is not null)
        {
            if (IsPostgreSql(connectionString)) return PostgreSql(connectionString);
            try
            {
                path = new SqliteConnectionStringBuilder(connectionString).DataSource;
            }
            catch (ArgumentException ex)
            {
                throw CliException.Usage("--connection", $"is not a connection string GuardedAI understands ({ex.Message}).");
            }
            if (string.IsNullOrWhiteSpace(path)) throw CliException.Usage("--connection", "names no 'Data Source' (SQLite) and no 'Host' (PostgreSQL).");
        }
        path ??= Environment.GetEnvironmentVariable("GUARDEDAI_DB");
        if (string.IsNullOrWhiteSpace(path)) throw CliException.Usage("--db", "is required: the SQLite ledger file to use (or set GUARDEDAI_DB), or --connection with a PostgreSQL connection string (or GUARDEDAI_CONNECTION).");
        var full = Path.GetFullPath(path);
        return new LedgerTarget(full, null, full);
    }

    private static bool IsPostgreSql(string connectionString) =>
        connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase) || connectionString.Contains("Server=", StringComparison.OrdinalIgnoreCase);

    /// <summary>A PostgreSQL ledger; its schema is the connection string's <c>Search Path</c>, or <c>guardedai</c>.</summary>
    private static LedgerTarget PostgreSql(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw CliException.Usage("--connection", "is not a valid PostgreSQL connection string (Host=…;Database=…;Username=…;Password=…); its value is not shown because it may hold a password.");
        }
        var schema = string.IsNullOrWhiteSpace(builder.SearchPath) ? "guardedai" : builder.SearchPath;
        builder.SearchPath = null;
        var options = new PostgreSqlLedgerOptions { ConnectionString = builder.ConnectionString, Schema = schema };
        try
        {
            new PostgreSqlUsageQueries(options.ConnectionString, options.Schema).DisposeAsync().AsTask().GetAwaiter().GetResult(); // checks the settings
        }
        catch (InvalidOperationException ex)
        {
            throw CliException.Usage("--connection", ex.Message);
        }
        return new LedgerTarget(null, options, $"postgresql://{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username} (schema {schema})");
    }

    /// <summary>Opens an existing ledger; a missing or unusable one is <see cref="ExitCodes.Unreachable"/>, never created.</summary>
    public static LedgerAccess Open(LedgerTarget target)
    {
        if (target.Postgres is { } postgres) return OpenPostgreSql(target, postgres, create: false);
        var path = target.SqlitePath!;
        if (Directory.Exists(path)) throw CliException.Unreachable($"The ledger '{path}' is a directory, not a SQLite file.");
        if (!File.Exists(path)) throw CliException.Unreachable($"There is no ledger at '{path}' (check --db; guardedai never creates one, except by import).");
        return Create(target);
    }

    /// <summary>Opens the ledger, creating it when missing (import only).</summary>
    public static LedgerAccess OpenOrCreate(LedgerTarget target) =>
        target.Postgres is { } postgres ? OpenPostgreSql(target, postgres, create: true) : Create(target);

    /// <summary>A bulk writer for imports into this ledger.</summary>
    public async Task<ILedgerImport> CreateImporterAsync(CancellationToken cancellationToken)
    {
        if (Target.Postgres is { } postgres) return new PostgreSqlImport(await PostgreSqlLedgerImporter.OpenAsync(postgres, cancellationToken).ConfigureAwait(false));
        return new SqliteImport(new SqliteLedgerImporter(Target.SqlitePath!));
    }

    private static LedgerAccess Create(LedgerTarget target)
    {
        var path = target.SqlitePath!;
        try
        {
            if (!File.Exists(path)) new SqliteOperationsStore(path); // creates and migrates an empty ledger
            var queries = new SqliteUsageQueries(path);
            var operations = new SqliteOperationsStore(path);
            return new LedgerAccess(target, queries, new SqliteBreakerStateStore(path), operations, operations);
        }
        catch (Exception ex) when (ex is InvalidOperationException or SqliteException or IOException or UnauthorizedAccessException)
        {
            throw CliException.Unreachable($"The ledger '{path}' cannot be used: {ex.Message}", ex);
        }
    }

    private static LedgerAccess OpenPostgreSql(LedgerTarget target, PostgreSqlLedgerOptions options, bool create)
    {
        try
        {
            // Reading commands never create a schema: one that does not exist yet is reported as unreachable.
            var state = create ? PostgreSqlStateStore.OpenAsync(options).GetAwaiter().GetResult() : new PostgreSqlStateStore(options);
            var queries = new PostgreSqlUsageQueries(options.ConnectionString, options.Schema);
            if (!create) queries.DescribeAsync().AsTask().GetAwaiter().GetResult();
            return new LedgerAccess(target, queries, state, state, state);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NpgsqlException or TimeoutException or IOException)
        {
            var why = ex is PostgresException { SqlState: "42P01" } ? "it holds no GuardedAI ledger (check the schema: Search Path in the connection string, default guardedai)" : ex.Message;
            throw CliException.Unreachable($"The ledger {target.Display} cannot be used: {why}", ex);
        }
    }
}

/// <summary>Counter resets and the operator audit trail of whichever store the ledger is in.</summary>
internal sealed class OperationsStore(ICounterResetStore resets, IOperatorAuditLog audit)
{
    public ValueTask SaveAsync(CounterReset reset, CancellationToken cancellationToken = default) => resets.SaveAsync(reset, cancellationToken);

    public ValueTask<IReadOnlyList<CounterReset>> LoadAsync(DateTimeOffset windowsFrom, CancellationToken cancellationToken = default) => resets.LoadAsync(windowsFrom, cancellationToken);

    public ValueTask AppendAsync(OperatorAction action, CancellationToken cancellationToken = default) => audit.AppendAsync(action, cancellationToken);

    public IAsyncEnumerable<OperatorAction> ReadAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default) => audit.ReadAsync(from, to, cancellationToken);
}

/// <summary>Bulk writes of an import, into whichever store the ledger is in.</summary>
internal interface ILedgerImport : IAsyncDisposable
{
    /// <summary>Writes a batch; returns how many records were new.</summary>
    Task<int> WriteAsync(IReadOnlyCollection<UsageRecord> records);
}

internal sealed class SqliteImport(SqliteLedgerImporter importer) : ILedgerImport
{
    public Task<int> WriteAsync(IReadOnlyCollection<UsageRecord> records) => Task.FromResult(importer.Write(records));

    public ValueTask DisposeAsync()
    {
        importer.Dispose();
        return ValueTask.CompletedTask;
    }
}

internal sealed class PostgreSqlImport(PostgreSqlLedgerImporter importer) : ILedgerImport
{
    public Task<int> WriteAsync(IReadOnlyCollection<UsageRecord> records) => importer.WriteAsync(records);

    public ValueTask DisposeAsync() => importer.DisposeAsync();
}
