using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GuardedAI.Reports;
using GuardedAI.Reports.Sql;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace GuardedAI.Sqlite;

/// <summary>
/// The embedded durable ledger: every <see cref="UsageRecord"/> in a SQLite file (WAL). Appends go through a queue to
/// one writer that commits them in batches, off the call path. With <see cref="LedgerDurability.Synchronous"/> (the
/// default) an append completes once its batch committed; with <see cref="LedgerDurability.Batched"/> at once, the
/// writer committing within the flush interval. A record id is written once: appending an id that is already there is
/// a no-op.
/// </summary>
/// <remarks>
/// No call waits on the file longer than <see cref="SqliteLedgerOptions.BusyTimeout"/>. When another connection or
/// process holds the file locked (or the disk is full, or I/O fails), the ledger becomes unavailable
/// (<see cref="IsAvailable"/>): appends return at once, records wait in memory and the writer retries until the file is
/// free, then writes them all. <see cref="LedgerGatedCounterStore"/> turns that into a store-down condition for the
/// engine (alert, fail mode). Records still unwritten when the ledger is disposed go to
/// <c>&lt;file&gt;.pending.jsonl</c> and are written when it next opens. Nothing is dropped.
/// </remarks>
public sealed class SqliteUsageLedger : IUsageLedger, ILedgerAvailability, IAsyncDisposable
{
    private readonly SqliteLedgerOptions _options;
    private readonly string _path;
    private readonly Channel<Pending> _queue;
    private readonly SqliteConnection _writer;
    private readonly SqliteWalCheckpointer? _checkpointer;
    private readonly ILogger _logger;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, UsageRecord> _unwritten = new(StringComparer.Ordinal);
    private long _backlog;
    private long _written;
    private long _failed;
    private int _disposed;
    private string? _unavailableReason;

    /// <summary>Opens (creating or migrating) the ledger file <see cref="SqliteLedgerOptions.Path"/>, and writes records an earlier run left pending.</summary>
    /// <exception cref="InvalidOperationException">The file cannot be used (locked past the busy timeout, not a GuardedAI database, …); the message says why.</exception>
    public SqliteUsageLedger(SqliteLedgerOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _path = System.IO.Path.GetFullPath(options.Path);
        _logger = logger ?? NullLogger.Instance;
        _writer = SqliteSchema.Open(_path, options.Durability == LedgerDurability.Synchronous, options.BusyTimeout);
        try
        {
            _checkpointer = options.BackgroundCheckpoints ? SqliteWalCheckpointer.Start(_writer, _path, _logger) : null;
            _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
            WritePendingFile();
        }
        catch
        {
            // A ledger that does not open leaves no connection to its file behind.
            _checkpointer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _writer.Dispose();
            throw;
        }
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

    /// <summary>Records that could not be written for a reason other than a busy or failing file (each one was logged as an error, and a synchronous append threw).</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>How many background checkpoints ran (<see cref="SqliteLedgerOptions.BackgroundCheckpoints"/>; tests).</summary>
    internal long BackgroundCheckpointCount => _checkpointer?.Checkpoints ?? 0;

    /// <summary>Records appended and not yet committed.</summary>
    public long PendingCount => Interlocked.Read(ref _backlog);

    /// <inheritdoc/>
    public bool IsAvailable => Volatile.Read(ref _unavailableReason) is null;

    /// <inheritdoc/>
    public string? UnavailableReason => Volatile.Read(ref _unavailableReason);

    /// <inheritdoc/>
    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        // A synchronous append waits for its commit, unless the file is known to be stuck: then the record waits in memory.
        var done = _options.Durability == LedgerDurability.Synchronous && IsAvailable ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        _unwritten[record.Id] = record;
        var backlog = Interlocked.Increment(ref _backlog);
        if (!_queue.Writer.TryWrite(new Pending(record, done)))
        {
            _unwritten.TryRemove(new KeyValuePair<string, UsageRecord>(record.Id, record));
            Interlocked.Decrement(ref _backlog);
            throw new ObjectDisposedException(nameof(SqliteUsageLedger));
        }
        if (backlog > _options.QueueCapacity) MarkUnavailable(string.Create(CultureInfo.InvariantCulture, $"{backlog:#,0} records wait to be written, more than its queue capacity of {_options.QueueCapacity:#,0}"));
        if (done is null) return;
        try
        {
            // Not cancellable once queued (the caller must not believe a record that will be written was not), but bounded.
            await done.Task.WaitAsync(_options.BusyTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            MarkUnavailable(string.Create(CultureInfo.InvariantCulture,
                $"the file '{_path}' did not take a write within {_options.BusyTimeout.TotalMilliseconds:0} ms (GuardedAI:Sqlite:BusyTimeoutMs); another connection or process may hold it locked"));
        }
    }

    /// <summary>Completes once every record appended before the call is committed.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(null, marker)))
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    /// <remarks>Records appended but not yet written (the file is locked) are included, after those read from the file.</remarks>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        // Read your own writes: what was appended before the query is in the file first, or, when the file is stuck, in memory.
        try
        {
            await FlushAsync(cancellationToken).WaitAsync(_options.BusyTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        var unwritten = _unwritten.Values.Where(query.Matches).ToDictionary(r => r.Id, StringComparer.Ordinal);

        await using var connection = new SqliteConnection(SqliteSchema.ConnectionString(_path, SqliteOpenMode.ReadOnly));
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        SqliteSchema.SetBusyTimeout(connection, _options.BusyTimeout);
        await using var command = connection.CreateCommand();
        // The same record read as every SQL ledger's (LedgerSql), in SQLite's dialect.
        LedgerSql.ReadRecords(command, SqliteDialect.Instance, query.From ?? DateTimeOffset.MinValue, query.To ?? DateTimeOffset.MaxValue,
            new UsageFilter { Budget = query.Budget, Tenant = query.Tenant });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = SqliteRecordColumns.Read(reader);
            unwritten.Remove(record.Id);
            yield return record;
        }
        foreach (var record in unwritten.Values.OrderBy(r => r.Timestamp)) yield return record;
    }

    /// <summary>
    /// Writes everything queued, then closes the file. If the file stays locked for five busy timeouts (at least 2 s),
    /// the records still unwritten go to <c>&lt;file&gt;.pending.jsonl</c>, written into the ledger when it next opens.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        var grace = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(2).Ticks, _options.BusyTimeout.Ticks * 5));
        if (await Task.WhenAny(_loop, Task.Delay(grace)).ConfigureAwait(false) != _loop)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }
        if (!_unwritten.IsEmpty)
        {
            var records = _unwritten.Values.ToList();
            PendingRecordsFile.Save(_path, records);
            _logger.LogError("GuardedAI could not write {Count} usage record(s) to {Path} before closing ({Reason}); they are kept in {Pending} and written when the ledger next opens.",
                records.Count, _path, UnavailableReason ?? "the file stayed busy", PendingRecordsFile.PathFor(_path));
        }
        // The checkpointer stops first: the writer's close then checkpoints what is left and removes the log.
        if (_checkpointer is not null) await _checkpointer.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private void WritePendingFile()
    {
        var pending = PendingRecordsFile.Load(_path, _logger);
        if (pending.Count == 0) return;
        SqliteRecordWriter.WriteBatch(_writer, pending);
        PendingRecordsFile.Delete(_path);
        _logger.LogWarning("GuardedAI wrote {Count} usage record(s) that an earlier run could not write to {Path}.", pending.Count, _path);
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
            if (!await WriteBatchAsync(batch).ConfigureAwait(false)) return; // stopping: what is unwritten goes to the pending file
        }
    }

    /// <summary>Writes one batch, retrying a busy or failing file until it is free; false when the ledger is stopping first.</summary>
    private async Task<bool> WriteBatchAsync(List<Pending> batch)
    {
        var records = batch.Where(p => p.Record is not null).Select(p => p.Record!).ToList();
        for (var attempt = 1; records.Count > 0; attempt++)
        {
            try
            {
                SqliteRecordWriter.WriteBatch(_writer, records);
                _checkpointer?.Nudge();
                break;
            }
            catch (SqliteException ex) when (WaitsForTheFile(ex))
            {
                // Another process holds the file, the disk is full or read-only, or I/O failed: the records wait in memory, nothing is dropped.
                MarkUnavailable(Describe(ex), replace: true);
                if (attempt == 1 || attempt % 50 == 0)
                    _logger.LogWarning(ex, "GuardedAI cannot write {Count} usage record(s) to {Path} ({Reason}); retrying until it can (attempt {Attempt}).", records.Count, _path, Describe(ex), attempt);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1_000, 50 * attempt)), _stopping.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
            catch (Exception ex) when (attempt < 5)
            {
                _logger.LogWarning(ex, "GuardedAI could not write {Count} usage record(s) to {Path} (attempt {Attempt}); retrying.", records.Count, _path, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Interlocked.Add(ref _failed, records.Count);
                Forget(records);
                _logger.LogError(ex, "GuardedAI could not write {Count} usage record(s) to {Path}; ids: {Ids}.", records.Count, _path, string.Join(",", records.Select(r => r.Id)));
                foreach (var item in batch)
                {
                    if (item.Record is not null) item.Done?.TrySetException(new InvalidOperationException($"GuardedAI could not write usage record {item.Record.Id} to '{_path}': {ex.Message}", ex));
                    else item.Done?.TrySetResult();
                }
                return true;
            }
        }
        Interlocked.Add(ref _written, records.Count);
        Forget(records);
        if (Interlocked.Read(ref _backlog) <= _options.QueueCapacity) MarkAvailable();
        foreach (var item in batch) item.Done?.TrySetResult();
        return true;
    }

    private void Forget(List<UsageRecord> records)
    {
        foreach (var record in records) _unwritten.TryRemove(new KeyValuePair<string, UsageRecord>(record.Id, record));
        Interlocked.Add(ref _backlog, -records.Count);
    }

    /// <summary>Marks the ledger unavailable; <paramref name="replace"/>: the writer knows the cause better than a timed-out wait.</summary>
    private void MarkUnavailable(string reason, bool replace = false)
    {
        var previous = replace ? Interlocked.Exchange(ref _unavailableReason, reason) : Interlocked.CompareExchange(ref _unavailableReason, reason, null);
        if (previous is null || (replace && previous != reason))
            _logger.LogError("GuardedAI's usage ledger {Path} is unavailable: {Reason}. Records wait in memory and are written when it is free.", _path, reason);
    }

    private void MarkAvailable()
    {
        if (Interlocked.Exchange(ref _unavailableReason, null) is { } was)
            _logger.LogWarning("GuardedAI's usage ledger {Path} is writable again (it was unavailable: {Reason}).", _path, was);
    }

    /// <summary>
    /// Whether <paramref name="ex"/> is a condition of the file, not of the records — busy (5) or locked (6) by another
    /// connection, an I/O error (10), a full disk (13), a file that cannot be opened (14), a read-only file or file system
    /// (8: a disk remounted read-only after errors), a permission taken away (3) — so the records wait in memory until the
    /// file takes them again, and are never failed for it.
    /// </summary>
    internal static bool WaitsForTheFile(SqliteException ex) => ex.SqliteErrorCode is 3 or 5 or 6 or 8 or 10 or 13 or 14;

    private string Describe(SqliteException ex) => SqliteSchema.IsLocked(ex)
        ? $"the file '{_path}' is locked by another connection or process"
        : $"SQLite error {ex.SqliteErrorCode} on '{_path}': {ex.Message}";

    private readonly record struct Pending(UsageRecord? Record, TaskCompletionSource? Done);
}
