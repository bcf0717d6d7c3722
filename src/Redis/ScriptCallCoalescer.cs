using System.Collections.Concurrent;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// Sends script calls that arrive while another is being written as one batch: one socket write for all of them,
/// which the server then reads at once, instead of a write per call. Each call is still its own EVALSHA, run and
/// answered on its own (a batch is not a transaction), so a failing call fails alone.
/// </summary>
/// <remarks>
/// Issue 16: with 64 callers StackExchange.Redis sent every request with its own <c>send</c> (2.1 a pair, measured with
/// <c>perf stat</c>), and the kernel's loopback work was ~44 % of the client's CPU. A lone call is sent directly, as
/// before; only calls that find the writer busy wait for it, which it takes no longer than writing one request.
/// A batch script (one EVALSHA running several reservations) was tried before and cost the server more than it saved.
/// </remarks>
internal sealed class ScriptCallCoalescer
{
    /// <summary>Most calls in one batch, so one write stays a few kilobytes and no caller waits behind a long one.</summary>
    internal const int MaxBatch = 64;

    /// <summary>Most batches one caller writes for others before handing the rest to the thread pool.</summary>
    internal const int MaxRounds = 4;

    private readonly ConcurrentQueue<PendingCall> _waiting = new();
    private int _writing;

    /// <summary>The calls of the batch being written; only the caller that holds <see cref="_writing"/> touches it.</summary>
    private readonly PendingCall[] _batch = new PendingCall[MaxBatch];
    private long _batches;
    private long _batchedCalls;

    /// <summary>How many batches of two calls or more were sent, and how many calls they held (for tests and diagnostics).</summary>
    internal (long Batches, long Calls) Batched => (Interlocked.Read(ref _batches), Interlocked.Read(ref _batchedCalls));

    /// <summary>Evaluates the script whose SHA1 is <paramref name="sha1"/> (EVALSHA), in a batch with others when the writer is busy.</summary>
    public Task<RedisResult> EvaluateAsync(IDatabase database, byte[] sha1, RedisKey[] keys, RedisValue[] values)
    {
        if (_waiting.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            Task<RedisResult> task;
            try
            {
                task = database.ScriptEvaluateAsync(sha1, keys, values);
            }
            finally
            {
                Interlocked.Exchange(ref _writing, 0);   // a full fence: the check below cannot move above it
            }
            if (!_waiting.IsEmpty) Write(database);
            return task;
        }
        var queued = Enqueue(sha1, keys, values);
        Write(database);
        return queued;
    }

    /// <summary>Queues a call without writing it (<see cref="EvaluateAsync"/> writes next; tests fill a batch before <see cref="Write"/>).</summary>
    internal Task<RedisResult> Enqueue(byte[] sha1, RedisKey[] keys, RedisValue[] values)
    {
        var pending = new PendingCall(sha1, keys, values);
        _waiting.Enqueue(pending);
        return pending.Task;
    }

    /// <summary>Tests: keeps the writer busy, so that calls queue, until the returned scope ends and writes them.</summary>
    internal IDisposable HoldWriter(IDatabase database)
    {
        while (Interlocked.CompareExchange(ref _writing, 1, 0) != 0) Thread.Yield();
        return new HeldWriter(this, database);
    }

    private sealed class HeldWriter(ScriptCallCoalescer owner, IDatabase database) : IDisposable
    {
        public void Dispose()
        {
            Interlocked.Exchange(ref owner._writing, 0);
            owner.Write(database);
        }
    }

    /// <summary>
    /// Writes what waits, as long as something does and no other caller is writing it. A caller writes at most
    /// <see cref="MaxRounds"/> batches for others; then, if more wait, a thread-pool item goes on, so no caller is kept
    /// writing for others while its own answer waits.
    /// </summary>
    internal void Write(IDatabase database)
    {
        var rounds = 0;
        while (!_waiting.IsEmpty && Interlocked.CompareExchange(ref _writing, 1, 0) == 0)
        {
            if (++rounds > MaxRounds)
            {
                Interlocked.Exchange(ref _writing, 0);
                ThreadPool.UnsafeQueueUserWorkItem(static state => state.Coalescer.Write(state.Database), (Coalescer: this, Database: database), preferLocal: false);
                return;
            }
            var count = 0;
            try
            {
                while (count < MaxBatch && _waiting.TryDequeue(out var next)) _batch[count++] = next;
                if (count == 1)
                {
                    Issue(database, _batch[0]);
                }
                else if (count > 1)
                {
                    var batch = database.CreateBatch();
                    for (var i = 0; i < count; i++) Issue(batch, _batch[i]);
                    batch.Execute();
                    Interlocked.Increment(ref _batches);
                    Interlocked.Add(ref _batchedCalls, count);
                }
            }
            catch (Exception ex)
            {
                for (var i = 0; i < count; i++) _batch[i].TrySetException(ex);   // no caller waits for a batch that was never sent
            }
            finally
            {
                Array.Clear(_batch, 0, count);
                Interlocked.Exchange(ref _writing, 0);
            }
        }
    }

    private static void Issue(IDatabaseAsync target, PendingCall call)
    {
        try
        {
            call.Follow(target.ScriptEvaluateAsync(call.Sha1, call.Keys, call.Values));
        }
        catch (Exception ex)
        {
            call.TrySetException(ex);
        }
    }

    /// <summary>A call that waited for the writer: its arguments and the task its caller awaits.</summary>
    private sealed class PendingCall(byte[] sha1, RedisKey[] keys, RedisValue[] values) : TaskCompletionSource<RedisResult>
    {
        public byte[] Sha1 { get; } = sha1;

        public RedisKey[] Keys { get; } = keys;

        public RedisValue[] Values { get; } = values;

        /// <summary>Completes this call as <paramref name="sent"/> completes (where it completes, as awaiting it directly would).</summary>
        public void Follow(Task<RedisResult> sent)
        {
            if (sent.IsCompleted) Complete(sent, this);
            else sent.ContinueWith(static (t, state) => Complete(t, (PendingCall)state!), this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private static void Complete(Task<RedisResult> sent, PendingCall call)
        {
            if (sent.IsCompletedSuccessfully) call.TrySetResult(sent.Result);
            else if (sent.IsCanceled) call.TrySetCanceled();
            else call.TrySetException(sent.Exception!.InnerExceptions);
        }
    }
}
