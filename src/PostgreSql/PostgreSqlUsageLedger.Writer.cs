using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace GuardedAI.PostgreSql;

/// <summary>The writer: one loop per instance that takes batches off the queue and writes them to the database, or to the spill.</summary>
public sealed partial class PostgreSqlUsageLedger
{
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

    /// <summary>True when there is something to do: records to write, or — while spilling, or while records wait in the
    /// spill or in memory — the time to try the database again. While a replay runs, it decides when to try again: the
    /// loop waits for records or for the replay's end, and does not spin.</summary>
    private async Task<bool> WaitForWorkAsync(ChannelReader<Pending> reader)
    {
        if (_carried.Count > 0 && !_spilling) return true;
        if (!_spilling && _carried.Count == 0 && _spill.Count == 0) return await reader.WaitToReadAsync(_stopping.Token).ConfigureAwait(false);
        if (_drain is { IsCompleted: false } drain)
        {
            var read = reader.WaitToReadAsync(_stopping.Token).AsTask();
            await Task.WhenAny(read, drain).ConfigureAwait(false);
            return !read.IsCompleted || await read.ConfigureAwait(false) || _carried.Count > 0;
        }
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
                catch (Exception ex) when (PostgreSqlConnections.IsOutage(ex) && !_stopping.IsCancellationRequested)
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
                    // The database refuses the record itself: it is kept on disk beside the spill, never only in a log line.
                    Interlocked.Add(ref _failed, records.Count);
                    var kept = await KeepRefusedAsync(records, ex).ConfigureAwait(false);
                    Forget(records);
                    foreach (var item in batch)
                    {
                        if (item.Record is not null)
                        {
                            item.Done?.TrySetException(new InvalidOperationException(
                                $"GuardedAI could not write usage record {item.Record.Id} to {Location}: {ex.Message}{(kept ? $" It is kept in {_refused.Path}." : "")}", ex));
                        }
                        else
                        {
                            item.Done?.TrySetResult();
                        }
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

    /// <summary>Logs <paramref name="records"/> with why the database refused them, and keeps them in the refused-records
    /// file (<see cref="RefusedRecordsFile"/>); false when even that file could not take them (logged too).</summary>
    private async Task<bool> KeepRefusedAsync(IReadOnlyCollection<UsageRecord> records, Exception refusal)
    {
        var ids = string.Join(",", records.Select(r => r.Id));
        try
        {
            await _refused.AppendAsync(records).ConfigureAwait(false);
            PostgreSqlLog.RecordsRefused(_logger, refusal, records.Count, Location, ids, _refused.Path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            PostgreSqlLog.WriteFailed(_logger, refusal, records.Count, Location, ids);
            PostgreSqlLog.RefusedNotKept(_logger, ex, records.Count, _refused.Path);
            return false;
        }
    }

    private async Task WriteToDatabaseAsync(IReadOnlyList<UsageRecord> records)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        timeout.CancelAfter(_options.WriteTimeout);
        await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
        await PostgreSqlRecordWriter.WriteAsync(connection, _chainWriter, records, timeout.Token).ConfigureAwait(false);
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
        $"the database is unreachable or takes no writes, and the local spill {_spill.Path} is full ({_options.SpillCapacity:#,0} records, GuardedAI:PostgreSql:SpillCapacity)");

    private string Describe(Exception ex) => ex switch
    {
        OperationCanceledException or TimeoutException or Npgsql.NpgsqlException { InnerException: TimeoutException or OperationCanceledException } => string.Create(CultureInfo.InvariantCulture, $"no answer within {_options.WriteTimeout.TotalMilliseconds:0} ms (GuardedAI:PostgreSql:WriteTimeoutMs)"),
        _ => $"{ex.GetType().Name}: {ex.Message}",
    };
}
