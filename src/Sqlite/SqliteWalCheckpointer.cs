using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace GuardedAI.Sqlite;

/// <summary>
/// Copies the ledger's write-ahead log back into the database file on a connection of its own, after the writer
/// commits, so that the writer does not stop to do it.
/// </summary>
/// <remarks>
/// <para>In WAL mode SQLite checkpoints on the committing connection once the log passes 1,000 pages: the writer then
/// stops to copy the log into the file and sync it. A checkpoint on another connection runs beside the writer (they take
/// different locks), so on a machine with a second core the writer goes on committing. Issue 16: a sustained batched
/// write of millions of records went from ~22 to ~17 µs a record (raw inserts of the same rows: ~16 µs), measured with
/// <c>sqlite-alone batched</c> in the benchmark project.</para>
/// <para>The checkpoints are <c>PASSIVE</c>: they copy what is committed and never wait for the writer or a reader. The
/// writer keeps SQLite's own checkpoint as a backstop at <see cref="WriterBackstopPages"/>, so the log stays bounded when
/// these fall behind or fail. A nudge while a checkpoint runs is remembered; between two checkpoints at least
/// <see cref="MinimumInterval"/> passes, so a busy writer is followed by a checkpoint a few times a second, not one per
/// commit. Nothing runs while nothing is written.</para>
/// </remarks>
internal sealed class SqliteWalCheckpointer : IAsyncDisposable
{
    /// <summary>The writer's own checkpoint threshold (pages) while this one runs: 4× SQLite's default, so that the writer
    /// checkpoints only when these have not kept up (a log of at most ~16 MB of 4 KB pages before it does).</summary>
    internal const int WriterBackstopPages = 4000;

    /// <summary>The shortest time between two checkpoints.</summary>
    internal static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(200);

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _checkpoint;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly SemaphoreSlim _nudged = new(0, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;
    private long _checkpoints;
    private bool _failureLogged;

    private SqliteWalCheckpointer(SqliteConnection connection, string path, ILogger logger)
    {
        _connection = connection;
        _path = path;
        _logger = logger;
        _checkpoint = connection.CreateCommand();
        _checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How many checkpoints ran (tests and diagnostics).</summary>
    internal long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>
    /// Starts checkpointing <paramref name="path"/> beside <paramref name="writer"/>, whose own checkpoint becomes the
    /// backstop. Null, with the writer left as SQLite sets it, when the second connection cannot be opened: the ledger
    /// works as before.
    /// </summary>
    public static SqliteWalCheckpointer? Start(SqliteConnection writer, string path, ILogger logger)
    {
        SqliteConnection? connection = null;
        try
        {
            connection = new SqliteConnection(SqliteSchema.ConnectionString(path, SqliteOpenMode.ReadWrite));
            connection.Open();
            SqliteSchema.Execute(writer, $"PRAGMA wal_autocheckpoint = {WriterBackstopPages};");
            return new SqliteWalCheckpointer(connection, path, logger);
        }
        catch (SqliteException ex)
        {
            connection?.Dispose();
            logger.LogWarning(ex, "GuardedAI could not open a second connection to {Path} for background checkpoints; the writer checkpoints the log itself.", path);
            return null;
        }
    }

    /// <summary>Says that the writer committed: a checkpoint follows (at most one waits).</summary>
    /// <remarks>Only the ledger's write loop nudges, so between the check and the release only the checkpointer can take
    /// the nudge, never another caller add one.</remarks>
    public void Nudge()
    {
        if (_nudged.CurrentCount == 0) _nudged.Release();
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await _nudged.WaitAsync(_stopping.Token).ConfigureAwait(false);
                Checkpoint();
                await Task.Delay(MinimumInterval, _stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    private void Checkpoint()
    {
        try
        {
            // A passive checkpoint never waits: when another connection is checkpointing (the writer's backstop, another
            // process's), this one finds it busy, and the next nudge tries again.
            _checkpoint.ExecuteNonQuery();
            Interlocked.Increment(ref _checkpoints);
        }
        catch (SqliteException ex)
        {
            // The writer's backstop still bounds the log; the failure (a full disk, an I/O error) shows on the writer too.
            if (!_failureLogged)
            {
                _failureLogged = true;
                _logger.LogWarning(ex, "GuardedAI's background checkpoint of {Path} failed; the writer checkpoints the log itself when it grows.", _path);
            }
        }
    }

    /// <summary>Stops checkpointing and closes the connection (before the writer closes, which checkpoints what is left).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await _checkpoint.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
        _nudged.Dispose();
    }
}
