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
public sealed partial class PostgreSqlUsageLedger : IUsageLedger, ILedgerAvailability, IAsyncDisposable
{
    private readonly PostgreSqlLedgerOptions _options;
    private readonly NpgsqlDataSource _dataSource;
    private readonly SpillFile _spill;
    private readonly ILogger _logger;
    private readonly IEnumerable<IBudgetAlertSink> _alertSinks;
    private readonly TimeProvider _time;
    private readonly string _chainWriter;
    private readonly Channel<Pending> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, UsageRecord> _unwritten = new(StringComparer.Ordinal);
    private readonly List<Pending> _carried = new();
    private readonly SemaphoreSlim _mode = new(1, 1);
    private readonly RefusedRecordsFile _refused;
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
        _chainWriter = options.ChainWriter ?? PostgreSqlChain.NewWriter();
        _spill = new SpillFile(options.SpillPath, options.SpillCapacity, logger);
        _refused = new RefusedRecordsFile(options.SpillPath);
        if (_refused.Count > 0) PostgreSqlLog.RefusedWaiting(logger, _refused.Count, location, _refused.Path);
        _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    }

    /// <summary>
    /// Connects, creates or migrates the schema, replays what an earlier run left in the spill, and starts the writer. The
    /// spill never fails the opening: what the replay does not finish (logged, event 1907) the writer replays after the
    /// retry interval; a record the database refuses is kept aside (event 1910).
    /// </summary>
    /// <param name="options">The settings; the connection string's password is never logged.</param>
    /// <param name="logger">Where the ledger logs (event ids 1900–1999).</param>
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
        PostgreSqlUsageLedger ledger;
        try
        {
            ledger = new PostgreSqlUsageLedger(options, dataSource, location, logger ?? NullLogger.Instance, alertSinks ?? [], TimeProvider.System);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        if (ledger._spill.Count > 0)
        {
            ledger._spilling = true;
            try
            {
                await ledger.TryDrainAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // What the replay could not handle (a refused record it could not even keep aside: the disk) must not keep the
                // application from starting: it stays in the spill, and the writer tries again after the retry interval.
                ledger._nextAttempt = ledger._time.GetUtcNow() + options.RetryInterval;
                PostgreSqlLog.ReplayFailed(ledger._logger, location, ledger.Describe(ex));
            }
        }
        ledger._loop = Task.Run(ledger.WriteLoopAsync);
        return ledger;
    }

    /// <summary>Where the ledger is: host, port, database and schema (never the password).</summary>
    public string Location { get; }

    /// <summary>The writer id this ledger chains its records under (<c>guardedai verify</c> names segments by it).</summary>
    internal string ChainWriter => _chainWriter;

    /// <summary>The durability mode.</summary>
    public PostgreSqlDurability Durability => _options.Durability;

    /// <summary>Records this instance wrote to the database directly.</summary>
    public long WrittenCount => Interlocked.Read(ref _written);

    /// <summary>Records this instance put in the local spill.</summary>
    public long SpilledCount => Interlocked.Read(ref _spilled);

    /// <summary>Records replayed from the spill into the database (ids the database already had not counted).</summary>
    public long ReplayedCount => Interlocked.Read(ref _replayed);

    /// <summary>Records the database refused for what they hold (a value a column cannot hold, a constraint, a trigger's
    /// error), by this instance: each logged with its id and kept in <see cref="RefusedPath"/>; a synchronous append threw.</summary>
    public long FailedCount => Interlocked.Read(ref _failed);

    /// <summary>The file that keeps records the database refused (<see cref="SpillPath"/> with the suffix <c>.refused</c>;
    /// moved to the suffix <c>.replay-refused</c>, it is replayed when the ledger next opens).</summary>
    public string RefusedPath => _refused.Path;

    /// <summary>Records appended and neither in the database nor in the spill yet.</summary>
    public long PendingCount => Interlocked.Read(ref _backlog);

    /// <summary>Records in the spill, waiting for the database.</summary>
    public int SpillCount => _spill.Count;

    /// <summary>Whether the database is unreachable or takes no writes, and records go to the spill.</summary>
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
            catch (Exception ex) when (PostgreSqlConnections.IsOutage(ex))
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
        _spill.Dispose();
        _stopping.Dispose();
    }

    private readonly record struct Pending(UsageRecord? Record, TaskCompletionSource? Done);
}
