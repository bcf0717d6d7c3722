using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using GuardedAI.Reports;
using GuardedAI.Reports.Sql;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace GuardedAI.PostgreSql;

/// <summary>
/// The shared ledger of many GuardedAI instances: every <see cref="UsageRecord"/> in PostgreSQL. Appends go through a
/// queue to one writer per instance that writes them in batches (one multi-row statement each, the hourly rollup in
/// the same statement), off the call path. With <see cref="PostgreSqlDurability.Synchronous"/> (the default) an append
/// completes once its record is durable; with <see cref="PostgreSqlDurability.Batched"/> at once. A record id is
/// written once: appending an id that is already there is a no-op, whoever appends it.
/// </summary>
/// <remarks>
/// No call waits longer than <see cref="PostgreSqlLedgerOptions.WriteTimeout"/> (plus one fsync). When the database is
/// unreachable or does not answer in time, records go to a bounded local spill file (fsynced before a synchronous
/// append returns), a <see cref="AlertLevel.StoreUnavailable"/> alert says so, and the writer tries the database every
/// <see cref="PostgreSqlLedgerOptions.RetryInterval"/>; once it answers, the spill is replayed — each record once, the
/// database skipping ids it already has — and a <see cref="AlertLevel.StoreRecovered"/> alert says it drained. A spill
/// a crash left behind is replayed when the ledger next opens. Only a full spill (or a backlog past
/// <see cref="PostgreSqlLedgerOptions.QueueCapacity"/>) makes the ledger unavailable (<see cref="IsAvailable"/>), a
/// store-down condition for the engine.
/// </remarks>
public sealed class PostgreSqlUsageLedger : IUsageLedger, ILedgerAvailability, IAsyncDisposable
{
    private readonly PostgreSqlLedgerOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly SpillFile _spill;
    private readonly ILogger _logger;
    private readonly IEnumerable<IBudgetAlertSink> _alertSinks;
    private readonly TimeProvider _time;
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, UsageRecord> _unwritten = new(StringComparer.Ordinal);
    private readonly List<Pending> _carried = new();
    private readonly SemaphoreSlim _mode = new(1, 1);
    private Task? _drain;
    private Task _loop = Task.CompletedTask;
    private long _backlog;
    private long _written;
    private long _spilled;
    private long _replayed;
    private long _failed;
    private int _disposed;
    private volatile bool _spilling;
    private DateTimeOffset _nextAttempt;
    private string? _unavailableReason;

    private PostgreSqlUsageLedger(PostgreSqlLedgerOptions options, NpgsqlDataSource dataSource, string location, ILogger logger, IEnumerable<IBudgetAlertSink> alertSinks, TimeProvider time)
    {
        _options = options;
        _dataSource = dataSource;
        Location = location;
        _logger = logger;
        _alertSinks = alertSinks;
        _time = time;
        _spill = new SpillFile(options.SpillPath, options.SpillCapacity, logger);
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    }

    /// <summary>
    /// Connects, creates or migrates the schema, replays what an earlier run left in the spill, and starts the writer.
    /// </summary>
    /// <param name="options">The settings; the connection string's password is never logged.</param>
    /// <param name="logger">Where the ledger logs (event ids 1700–1799).</param>
    /// <param name="alertSinks">Where the spill's start and drain are announced (read when an alert fires, so sinks added later count).</param>
    /// <param name="cancellationToken">Cancels the opening.</param>
    /// <exception cref="InvalidOperationException">The database cannot be reached or used (a newer schema, foreign tables); the message says why, without the password.</exception>
    public static async Task<PostgreSqlUsageLedger> OpenAsync(PostgreSqlLedgerOptions options, ILogger? logger = null, IEnumerable<IBudgetAlertSink>? alertSinks = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var location = PostgreSqlConnections.Describe(options.ConnectionString, options.Schema);
        var dataSource = PostgreSqlConnections.Create(options.ConnectionString, options.Schema, options.WriteTimeout);
        try
        {
            await using (var setup = PostgreSqlConnections.CreateForSetup(options.ConnectionString, options.Schema))
            {
                await PostgreSqlSchema.MigrateAsync(setup, options.Schema, location, cancellationToken).ConfigureAwait(false);
            }
            // Warm the pool and the spill's serializer now, so the first calls (and the first spill) do not pay for them.
            await (await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
            _ = System.Text.Json.JsonSerializer.Serialize(new UsageRecord { Id = "warm-up", Timestamp = DateTimeOffset.UnixEpoch, Budget = "warm-up", Status = UsageStatus.Success });
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or IOException or System.Net.Sockets.SocketException)
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"GuardedAI could not open its PostgreSQL ledger at {location}: {ex.Message}", ex);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        var ledger = new PostgreSqlUsageLedger(options, dataSource, location, logger ?? NullLogger.Instance, alertSinks ?? [], TimeProvider.System);
        if (ledger._spill.Count > 0)
        {
            ledger._spilling = true;
            await ledger.TryDrainAsync().ConfigureAwait(false);
        }
        ledger._loop = Task.Run(ledger.WriteLoopAsync);
        return ledger;
    }

    /// <summary>Where the ledger is: host, port, database and schema (never the password).</summary>
    public string Location { get; }

    /// <summary>The durability mode.</summary>
    public PostgreSqlDurability Durability => _options.Durability;

    /// <summary>Records this instance wrote to the database directly.</summary>
    public long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>Records this instance put in the local spill.</summary>
    public long SpilledCount => Interlocked.Read(ref _spilled);

    /// <summary>Records replayed from the spill into the database (ids the database already had not counted).</summary>
    public long ReplayedCount => Interlocked.Read(ref _replayed);

    /// <summary>Records that could not be written for a reason other than an unreachable database (each logged with its id; a synchronous append threw).</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>Records appended and neither in the database nor in the spill yet.</summary>
    public long PendingCount => Interlocked.Read(ref _backlog);

    /// <summary>Records in the spill, waiting for the database.</summary>
    public int SpillCount => _spill.Count;

    /// <summary>Whether the database is unreachable and records go to the spill.</summary>
    public bool IsSpilling => _spilling;

    /// <summary>The longest one write and fsync of the spill took: beyond <see cref="PostgreSqlLedgerOptions.WriteTimeout"/>,
    /// the only wait a call can have on the ledger, and one the local disk decides.</summary>
    public TimeSpan LongestSpillWrite => _spill.LongestWrite;

    /// <summary>The spill file.</summary>
    public string SpillPath => _spill.Path;

    /// <inheritdoc/>
    public bool IsAvailable => Volatile.Read(ref _unavailableReason) is null;

    /// <inheritdoc/>
    public string? UnavailableReason => Volatile.Read(ref _unavailableReason);

    /// <inheritdoc/>
    public async ValueTask AppendAsync(UsageRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var done = _options.Durability == PostgreSqlDurability.Synchronous ? new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) : null;
        _unwritten[record.Id] = record;
        var backlog = Interlocked.Increment(ref _backlog);
        if (!_queue.Writer.TryWrite(new Pending(record, done)))
        {
            _unwritten.TryRemove(new KeyValuePair<string, UsageRecord>(record.Id, record));
            Interlocked.Decrement(ref _backlog);
            throw new ObjectDisposedException(nameof(PostgreSqlUsageLedger));
        }
        if (backlog > _options.QueueCapacity) MarkUnavailable(string.Create(CultureInfo.InvariantCulture, $"{backlog:#,0} records wait to be written, more than its queue capacity of {_options.QueueCapacity:#,0}"));
        if (done is null) return;
        try
        {
            // Not cancellable once queued (the caller must not believe a record that will be written was not), but bounded.
            await done.Task.WaitAsync(_options.WriteTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The writer is still waiting on the database: make this record durable locally so the call goes on with it safe.
            // Should the writer also get it into the database, the replay skips the id.
            if (!_unwritten.ContainsKey(record.Id)) return;
            if (await _spill.AppendAsync([record]).ConfigureAwait(false)) Interlocked.Increment(ref _spilled);
            else MarkUnavailable(SpillFullReason());
        }
    }

    /// <summary>Completes once every record appended before the call is in the database or the spill.</summary>
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
    /// <remarks>Records in the spill or not yet written are included, after those read from the database.</remarks>
    public async IAsyncEnumerable<UsageRecord> QueryAsync(UsageQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        try
        {
            await FlushAsync(cancellationToken).WaitAsync(_options.WriteTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        var local = _spill.ReadAll().Concat(_unwritten.Values).Where(query.Matches)
            .GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var filter = new UsageFilter { Budget = query.Budget, Tenant = query.Tenant };
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandTimeout = 0;
        LedgerSql.ReadRecords(command, PostgreSqlDialect.Instance, query.From ?? DateTimeOffset.MinValue, query.To ?? DateTimeOffset.MaxValue, filter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var record = LedgerSql.ReadRecord(reader, PostgreSqlDialect.Instance);
            local.Remove(record.Id);
            yield return record;
        }
        foreach (var record in local.Values.OrderBy(r => r.Timestamp)) yield return record;
    }

    /// <summary>
    /// Writes everything queued, then closes. Records still unwritten after five write timeouts (at least 2 s) go to the
    /// spill, written into the database when the ledger next opens: nothing is lost.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        var grace = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(2).Ticks, _options.WriteTimeout.Ticks * 5));
        if (await Task.WhenAny(_loop, Task.Delay(grace)).ConfigureAwait(false) != _loop)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _loop.ConfigureAwait(false);
        }
        if (_drain is { } drain && await Task.WhenAny(drain, Task.Delay(grace)).ConfigureAwait(false) != drain)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await drain.ConfigureAwait(false); // the replay ends at the cancellation; what it did not write stays in the spill
        }
        else if (_spill.Count > 0 && !_stopping.IsCancellationRequested)
        {
            // A spill (the database was slow or away) is replayed before closing when the database answers now; otherwise it
            // stays on disk and is replayed when the ledger next opens.
            _stopping.CancelAfter(grace);
            try
            {
                await TryDrainAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (PostgreSqlConnections.IsUnreachable(ex))
            {
                PostgreSqlLog.ReplayFailed(_logger, Location, Describe(ex));
            }
        }
        if (!_unwritten.IsEmpty)
        {
            var records = _unwritten.Values.ToList();
            await _spill.AppendAsync(records, evenIfFull: true).ConfigureAwait(false);
            PostgreSqlLog.SpilledAtClose(_logger, records.Count, Location, _spill.Path);
        }
        foreach (var item in _carried) item.Done?.TrySetResult();
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.BatchSize);
        try
        {
            while (true)
            {
                if (!await WaitForWorkAsync(reader).ConfigureAwait(false)) return;
                StartDrainWhenDue();
                batch.Clear();
                batch.AddRange(_carried);
                _carried.Clear();
                while (batch.Count < _options.BatchSize && reader.TryRead(out var item)) batch.Add(item);
                if (_options.Durability == PostgreSqlDurability.Batched && batch.Count < _options.BatchSize && _options.FlushInterval > TimeSpan.Zero
                    && !batch.Exists(p => p.Record is null))
                {
                    await FillAsync(reader, batch).ConfigureAwait(false);
                }
                if (batch.Count > 0) await WriteBatchAsync(batch).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Disposing past its grace: what is unwritten goes to the spill.
        }
    }

    /// <summary>True when there is something to do; while spilling, also when it is time to try the database again.</summary>
    private async Task<bool> WaitForWorkAsync(ChannelReader<Pending> reader)
    {
        if (_carried.Count > 0 && !_spilling) return true;
        if (!_spilling && _carried.Count == 0) return await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false) || _carried.Count > 0;
        var wait = _nextAttempt - _time.GetUtcNow();
        if (wait <= TimeSpan.Zero) return true;
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timer.CancelAfter(wait);
        try
        {
            return await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false) || _carried.Count > 0;
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task FillAsync(ChannelReader<Pending> reader, List<Pending> batch)
    {
        // Let a batch fill for a moment; a flush marker or a full batch writes at once.
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        wait.CancelAfter(_options.FlushInterval);
        try
        {
            while (batch.Count < _options.BatchSize)
            {
                if (reader.TryRead(out var more)) { batch.Add(more); if (more.Record is null) break; continue; }
                if (!await reader.WaitToReadAsync(wait.Token).ConfigureAwait(false)) break;
            }
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes one batch to the database, or to the spill when the database is away; carries it over when neither can take it.</summary>
    private async Task WriteBatchAsync(List<Pending> batch)
    {
        var records = batch.Where(p => p.Record is not null).Select(p => p.Record!).DistinctBy(r => r.Id, StringComparer.Ordinal).ToList();
        if (records.Count == 0)
        {
            Complete(batch, records);
            return;
        }
        for (var attempt = 1; ; attempt++)
        {
            if (!_spilling)
            {
                try
                {
                    await WriteToDatabaseAsync(records).ConfigureAwait(false);
                    Interlocked.Add(ref _written, records.Count);
                    Complete(batch, records);
                    return;
                }
                catch (Exception ex) when (PostgreSqlConnections.IsUnreachable(ex) && !_stopping.IsCancellationRequested)
                {
                    StartSpilling(Describe(ex));
                }
                catch (Exception ex) when (attempt < 3 && !_stopping.IsCancellationRequested)
                {
                    _logger.LogWarning(ex, "GuardedAI could not write {Count} usage record(s) to {Location} (attempt {Attempt}); retrying.", records.Count, Location, attempt);
                    await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), _stopping.Token).ConfigureAwait(false);
                    continue;
                }
                catch (Exception ex) when (records.Count > 1 && !_stopping.IsCancellationRequested)
                {
                    // The database refuses the batch, not the connection: write the records one by one, so only a record
                    // it refuses itself fails, and the others are kept.
                    _logger.LogWarning(ex, "GuardedAI could not write a batch of {Count} usage record(s) to {Location}; writing them one by one.", records.Count, Location);
                    foreach (var single in batch.Where(p => p.Record is not null).GroupBy(p => p.Record!.Id, StringComparer.Ordinal))
                    {
                        await WriteBatchAsync(single.ToList()).ConfigureAwait(false);
                    }
                    foreach (var marker in batch.Where(p => p.Record is null)) marker.Done?.TrySetResult();
                    return;
                }
                catch (Exception ex) when (!_stopping.IsCancellationRequested)
                {
                    Interlocked.Add(ref _failed, records.Count);
                    Forget(records);
                    PostgreSqlLog.WriteFailed(_logger, ex, records.Count, Location, string.Join(",", records.Select(r => r.Id)));
                    foreach (var item in batch)
                    {
                        if (item.Record is not null) item.Done?.TrySetException(new InvalidOperationException($"GuardedAI could not write usage record {item.Record.Id} to {Location}: {ex.Message}", ex));
                        else item.Done?.TrySetResult();
                    }
                    return;
                }
            }
            // Spilling is switched off by a replay only while no batch is being spilled, so no record is left behind in the spill.
            await _mode.WaitAsync(_stopping.Token).ConfigureAwait(false);
            try
            {
                if (!_spilling) continue; // a replay just finished: the database answers again
                if (await _spill.AppendAsync(records).ConfigureAwait(false))
                {
                    Interlocked.Add(ref _spilled, records.Count);
                    Complete(batch, records);
                    return;
                }
            }
            finally
            {
                _mode.Release();
            }
            // Neither the database nor the spill takes them: they wait in memory (queries still see them) and are tried again.
            MarkUnavailable(SpillFullReason());
            _carried.AddRange(batch);
            return;
        }
    }

    /// <summary>Replays the spill in the background when it holds records and the retry interval has passed; new records
    /// keep flowing meanwhile (to the spill until the replay is done, so none waits for it).</summary>
    private void StartDrainWhenDue()
    {
        if (!_spilling && _spill.Count == 0) return;
        if (_drain is { IsCompleted: false } || _time.GetUtcNow() < _nextAttempt) return;
        _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
        _drain = Task.Run(async () =>
        {
            try
            {
                await TryDrainAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // Not an outage (those are handled inside): a record the database refuses. It stays in the spill; tried again later.
                PostgreSqlLog.ReplayFailed(_logger, Location, Describe(ex));
            }
        });
    }

    private async Task WriteToDatabaseAsync(IReadOnlyList<UsageRecord> records)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.WriteTimeout);
        await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
        await PostgreSqlRecordWriter.WriteAsync(connection, null, records, timeout.Token).ConfigureAwait(false);
    }

    /// <summary>Replays the spill into the database when it answers; on success the spill is empty and spilling stops.</summary>
    private async Task TryDrainAsync()
    {
        int replayed = 0, alreadyThere = 0;
        var wasSpilling = _spilling;
        try
        {
            // Until no file is left: a call may spill its own record (its wait timed out) while the replay runs.
            for (var round = 0; ; round++)
            {
                var files = await _spill.TakeForReplayAsync().ConfigureAwait(false);
                if (files.Count == 0 || round >= 20)
                {
                    // Stop spilling only when no batch is being spilled and nothing is left to take.
                    await _mode.WaitAsync(_stopping.Token).ConfigureAwait(false);
                    try
                    {
                        files = await _spill.TakeForReplayAsync().ConfigureAwait(false);
                        if (files.Count == 0)
                        {
                            _spilling = false;
                            break;
                        }
                    }
                    finally
                    {
                        _mode.Release();
                    }
                }
                foreach (var file in files)
                {
                    var records = _spill.Read(file);
                    foreach (var chunk in records.Chunk(_options.BatchSize))
                    {
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                        timeout.CancelAfter(_options.WriteTimeout * 5);
                        await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
                        var inserted = await PostgreSqlRecordWriter.WriteAsync(connection, null, chunk, timeout.Token).ConfigureAwait(false);
                        replayed += inserted;
                        alreadyThere += chunk.Length - inserted;
                    }
                    _spill.Replayed(file, records.Count);
                }
            }
        }
        catch (Exception ex) when (PostgreSqlConnections.IsUnreachable(ex) && !_stopping.IsCancellationRequested)
        {
            Interlocked.Add(ref _replayed, replayed);
            _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
            PostgreSqlLog.ReplayFailed(_logger, Location, Describe(ex));
            return;
        }
        Interlocked.Add(ref _replayed, replayed);
        if (_spill.Count == 0 && Interlocked.Read(ref _backlog) <= _options.QueueCapacity) MarkAvailable();
        if (!wasSpilling && replayed + alreadyThere == 0) return;
        PostgreSqlLog.SpillDrained(_logger, replayed, alreadyThere, Location);
        Alert(AlertLevel.StoreRecovered, $"The usage ledger {Location} is reachable again: {replayed:#,0} record(s) kept in the local spill were written to it ({alreadyThere:#,0} were already there), and the spill is empty.");
    }

    private void StartSpilling(string reason)
    {
        _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
        // Pooled connections to a server that went away are dead; the next attempt opens new ones.
        _dataSource.Clear();
        if (_spilling) return;
        _spilling = true;
        PostgreSqlLog.SpillStarted(_logger, Location, reason, _spill.Path);
        Alert(AlertLevel.StoreUnavailable, $"The usage ledger {Location} is unreachable ({reason}). Records are kept in the local spill {_spill.Path} (up to {_options.SpillCapacity:#,0}) and written to it once it is back; calls go on.");
    }

    private void Complete(List<Pending> batch, List<UsageRecord> records)
    {
        Forget(records);
        if (Interlocked.Read(ref _backlog) <= _options.QueueCapacity && _spill.Count < _options.SpillCapacity) MarkAvailable();
        foreach (var item in batch) item.Done?.TrySetResult();
    }

    private void Forget(List<UsageRecord> records)
    {
        var removed = 0;
        foreach (var record in records)
        {
            if (_unwritten.TryRemove(new KeyValuePair<string, UsageRecord>(record.Id, record))) removed++;
        }
        Interlocked.Add(ref _backlog, -removed);
    }

    private void MarkUnavailable(string reason)
    {
        if (Interlocked.CompareExchange(ref _unavailableReason, reason, null) is null) PostgreSqlLog.Unavailable(_logger, Location, reason);
    }

    private void MarkAvailable()
    {
        if (Interlocked.Exchange(ref _unavailableReason, null) is { } was) PostgreSqlLog.Available(_logger, Location, was);
    }

    private string SpillFullReason() => string.Create(CultureInfo.InvariantCulture,
        $"the database is unreachable and the local spill {_spill.Path} is full ({_options.SpillCapacity:#,0} records, GuardedAI:PostgreSql:SpillCapacity)");

    private string Describe(Exception ex) => ex switch
    {
        OperationCanceledException or TimeoutException => string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.WriteTimeout.TotalMilliseconds:0} ms (GuardedAI:PostgreSql:WriteTimeoutMs)"),
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };

    private void Alert(AlertLevel level, string message)
    {
        var alert = new BudgetAlert(level, "(ledger)", null, null, 0, 0, 0, message, _time.GetUtcNow());
        foreach (var sink in _alertSinks.ToList())
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await sink.SendAsync(alert, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    PostgreSqlLog.AlertFailed(_logger, ex, sink.Name);
                }
            });
        }
    }

    private readonly record struct Pending(UsageRecord? Record, TaskCompletionSource? Done);
}
