using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.Sqlite;

/// <summary>
/// The embedded durable ledger: every <see cref="UsageRecord"/> in a SQLite file (WAL). Appends go through a
/// bounded queue to one writer that commits them in batches, off the call path. With
/// <see cref="LedgerDurability.Synchronous"/> (the default) an append completes only once its batch committed;
/// with <see cref="LedgerDurability.Batched"/> it completes at once and the writer commits within the flush
/// interval. <see cref="DisposeAsync"/> writes everything still queued. A record id is written once: appending an
/// id that is already there is a no-op.
/// </summary>
public sealed class SqliteUsageLedger : IUsageLedger, IAsyncDisposable
{
    private readonly SqliteLedgerOptions _options;
    private readonly string _path;
    private readonly Channel<Pending> _queue;
    private readonly SqliteConnection _writer;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private long _written;
    private long _failed;
    private int _disposed;

    /// <summary>Opens (creating or migrating) the ledger file <see cref="SqliteLedgerOptions.Path"/>.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used; the message says why.</exception>
    public SqliteUsageLedger(SqliteLedgerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _path = System.IO.Path.GetFullPath(options.Path);
        _logger = logger ?? NullLogger.Instance;
        _writer = SqliteSchema.Open(_path, options.Durability == LedgerDurability.Synchronous);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Opens the ledger at <paramref name="path"/> with default settings.</summary>
    public SqliteUsageLedger(string path) : this(new SqliteLedgerOptions { Path = path }) { }

    /// <summary>The database file.</summary>
    public string Path => _path;

    /// <summary>The durability mode.</summary>
    public LedgerDurability Durability => _options.Durability;

    /// <summary>Records committed by this instance.</summary>
    public long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>Records that could not be written (each one was logged as an error, and a synchronous append threw).</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <inheritdoc/>
    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = _options.Durability == LedgerDurability.Synchronous ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        var item = new Pending(record, done);
        if (!_queue.Writer.TryWrite(item))
        {
            try
            {
                await _queue.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(SqliteUsageLedger));
            }
        }
        // Not cancellable once queued: the caller must not believe a record that will be written was not.
        if (done is not null) await done.Task.ConfigureAwait(false);
    }

    /// <summary>Completes once every record appended before the call is committed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            await _queue.Writer.WriteAsync(new Pending(null, marker), cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        // Read your own writes: whatever was appended before the query is in the file first.
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.From is { } from) { where.Add("ts_ticks >= $from"); command.Parameters.AddWithValue("$from", from.UtcTicks); }
        if (query.To is { } to) { where.Add("ts_ticks < $to"); command.Parameters.AddWithValue("$to", to.UtcTicks); }
        if (query.Budget is { } budget) { where.Add("budget = $budget"); command.Parameters.AddWithValue("$budget", budget); }
        if (query.Tenant is { } tenant) { where.Add("tenant = $tenant"); command.Parameters.AddWithValue("$tenant", tenant); }
        command.CommandText = "SELECT " + SqliteRecordColumns.Select + " FROM usage_records"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY ts_ticks, seq;";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return SqliteRecordColumns.Read(reader);
        }
    }

    /// <summary>Writes everything queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_options.BatchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < _options.BatchSize && reader.TryRead(out var item)) batch.Add(item);
            if (_options.Durability == LedgerDurability.Batched && batch.Count < _options.BatchSize && _options.FlushInterval > TimeSpan.Zero
                && !batch.Exists(p => p.Record is null))
            {
                // Let a batch fill for a moment; a flush marker or a full batch writes at once.
                using var wait = new CancellationTokenSource(_options.FlushInterval);
                try
                {
                    while (batch.Count < _options.BatchSize)
                    {
                        if (reader.TryRead(out var more)) { batch.Add(more); if (more.Record is null) break; continue; }
                        if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break;
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }
            await WriteBatchAsync(batch).ConfigureAwait(false);
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        var records = batch.Count(p => p.Record is not null);
        Exception? error = null;
        if (records > 0)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    WriteBatch(batch);
                    Interlocked.Add(ref _written, records);
                    error = null;
                    break;
                }
                catch (Exception ex) when (attempt < 5)
                {
                    // A busy file (another process's checkpoint) or a transient I/O error: back off and retry the whole batch.
                    _logger.LogWarning(ex, "GuardedAI could not write {Count} usage record(s) to {Path} (attempt {Attempt}); retrying.", records, _path, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt)).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    error = ex;
                    break;
                }
            }
        }
        if (error is not null)
        {
            Interlocked.Add(ref _failed, records);
            _logger.LogError(error, "GuardedAI could not write {Count} usage record(s) to {Path}; ids: {Ids}.", records, _path,
                string.Join(",", batch.Where(p => p.Record is not null).Select(p => p.Record!.Id)));
        }
        foreach (var item in batch)
        {
            if (item.Done is null) continue;
            if (error is not null && item.Record is not null)
            {
                item.Done.TrySetException(new InvalidOperationException($"GuardedAI could not write usage record {item.Record.Id} to '{_path}': {error.Message}", error));
            }
            else
            {
                item.Done.TrySetResult();
            }
        }
    }

    private void WriteBatch(List<Pending> batch)
    {
        using var transaction = _writer.BeginTransaction(deferred: false);
        using var writer = new SqliteRecordWriter(_writer);
        writer.Write(transaction, batch.Where(p => p.Record is not null).Select(p => p.Record!));
        transaction.Commit();
    }

    private readonly record struct Pending(UsageRecord? Record, TaskCompletionSource? Done);
}
