using System.Runtime.ExceptionServices;

namespace GuardedAI.PostgreSql;

/// <summary>The spill's life: started when the database does not answer, replayed in the background when it does, announced both ways.</summary>
public sealed partial class PostgreSqlUsageLedger
{
    /// <summary>Replays the spill in the background when it holds records and the retry interval has passed; new records
    /// keep flowing meanwhile (to the spill until the database has taken a batch of the replay, then to the database).</summary>
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

    /// <summary>
    /// Replays the spill into the database when it answers; on success the spill is empty. Once the database has taken a
    /// batch of it, new records go to it again while the rest of the spill is replayed: were they kept spilling until
    /// the replay was done, callers arriving faster than a replay writes (a slow disk under the database, many instances
    /// replaying at once) would keep the spill from ever emptying.
    /// </summary>
    private async Task TryDrainAsync()
    {
        int replayed = 0, alreadyThere = 0;
        var wasSpilling = _spilling;
        try
        {
            // Until no file is left: a call may spill its own record (its wait timed out) while the replay runs.
            while (true)
            {
                var files = await _spill.TakeForReplayAsync().ConfigureAwait(false);
                if (files.Count == 0)
                {
                    // Stop spilling only when no batch is being spilled and nothing is left to take.
                    if (await StopSpillingWhenAsync(() => _spill.TakeForReplayAsync()).ConfigureAwait(false)) break;
                    continue;
                }
                foreach (var file in files)
                {
                    var records = _spill.Read(file);
                    // A round that stopped part-way through this file (a batch timed out on a busy database) resumes after
                    // what it wrote: re-sending it would cost the database as much again, and a big file written by rounds
                    // that each stop part-way would never be finished.
                    for (var start = _spill.ReplayedThrough(file); start < records.Count; start += _options.BatchSize)
                    {
                        var chunk = records.Skip(start).Take(_options.BatchSize).ToArray();
                        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                        timeout.CancelAfter(_options.WriteTimeout * 5);
                        await using var connection = await _dataSource.OpenConnectionAsync(timeout.Token).ConfigureAwait(false);
                        var inserted = await ReplayChunkAsync(connection, chunk, timeout.Token).ConfigureAwait(false);
                        replayed += inserted;
                        alreadyThere += chunk.Length - inserted;
                        // Counted as they land, so an operator watching a long replay sees it move.
                        Interlocked.Add(ref _replayed, inserted);
                        _spill.ChunkReplayed(file, start + chunk.Length, chunk.Length);
                        // The database took a batch: it answers again. New records go to it from now on; the rest of the spill
                        // (this file, older ones, records spilled meanwhile) is replayed here.
                        if (_spilling) await StopSpillingWhenAsync(null).ConfigureAwait(false);
                    }
                    _spill.Replayed(file);
                }
            }
        }
        catch (Exception ex) when (PostgreSqlConnections.IsOutage(ex) && !_stopping.IsCancellationRequested)
        {
            _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
            PostgreSqlLog.ReplayFailed(_logger, Location, Describe(ex));
            return;
        }
        if (_spill.Count == 0 && Interlocked.Read(ref _backlog) <= _options.QueueCapacity) MarkAvailable();
        if (!wasSpilling && replayed + alreadyThere == 0) return;
        PostgreSqlLog.SpillDrained(_logger, replayed, alreadyThere, Location);
        Alert(AlertLevel.StoreRecovered, $"The usage ledger {Location} is reachable again: {replayed:#,0} record(s) kept in the local spill were written to it ({alreadyThere:#,0} were already there), and the spill is empty.");
    }

    /// <summary>
    /// Writes one chunk of the spill. When the database refuses it for what its records hold, they are written one at a
    /// time, and a record refused on its own is kept in the refused-records file and counted off the spill like the others:
    /// one such record must not hold back the whole spill behind it (and those records' spend from every report) for ever.
    /// A refused record that cannot be kept there either stays in the spill, and the round ends to be tried again.
    /// </summary>
    private async Task<int> ReplayChunkAsync(Npgsql.NpgsqlConnection connection, UsageRecord[] chunk, CancellationToken cancellationToken)
    {
        try
        {
            return await PostgreSqlRecordWriter.WriteAsync(connection, _chainWriter, chunk, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!PostgreSqlConnections.IsOutage(ex) && chunk.Length > 1)
        {
            var inserted = 0;
            foreach (var record in chunk)
            {
                try
                {
                    inserted += await PostgreSqlRecordWriter.WriteAsync(connection, _chainWriter, [record], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception refusal) when (!PostgreSqlConnections.IsOutage(refusal))
                {
                    await SetAsideAsync([record], refusal).ConfigureAwait(false);
                }
            }
            return inserted;
        }
        catch (Exception ex) when (!PostgreSqlConnections.IsOutage(ex))
        {
            await SetAsideAsync(chunk, ex).ConfigureAwait(false);
            return 0;
        }
    }

    /// <summary>Keeps records the replay found refused in the refused-records file and counts them failed; when even that
    /// file cannot take them, rethrows <paramref name="refusal"/>, and they stay in the spill.</summary>
    private async Task SetAsideAsync(UsageRecord[] records, Exception refusal)
    {
        if (!await KeepRefusedAsync(records, refusal).ConfigureAwait(false)) ExceptionDispatchInfo.Throw(refusal);
        Interlocked.Add(ref _failed, records.Length);
    }

    /// <summary>Switches new records back to the database, under the lock a batch holds while it is spilled, so none is
    /// spilled after the switch by a writer that decided to spill before it. With <paramref name="nothingLeft"/>, only when
    /// it finds no spilled file left to take (true then); the files it finds are left for the caller's next round.</summary>
    private async Task<bool> StopSpillingWhenAsync(Func<Task<IReadOnlyList<string>>>? nothingLeft)
    {
        await _mode.WaitAsync(_stopping.Token).ConfigureAwait(false);
        try
        {
            if (nothingLeft is not null && (await nothingLeft().ConfigureAwait(false)).Count > 0) return false;
            _spilling = false;
            return true;
        }
        finally
        {
            _mode.Release();
        }
    }

    private void StartSpilling(string reason)
    {
        _nextAttempt = _time.GetUtcNow() + _options.RetryInterval;
        // Pooled connections to a server that went away are dead; the next attempt opens new ones.
        _dataSource.Clear();
        if (_spilling) return;
        _spilling = true;
        PostgreSqlLog.SpillStarted(_logger, Location, reason, _spill.Path);
        Alert(AlertLevel.StoreUnavailable, $"The usage ledger {Location} is unreachable or takes no writes ({reason}). Records are kept in the local spill {_spill.Path} (up to {_options.SpillCapacity:#,0}) and written to it once it is back; calls go on.");
    }

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
}
