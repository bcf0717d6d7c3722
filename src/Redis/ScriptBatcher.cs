using System.Buffers.Binary;
using System.Collections.Concurrent;
using StackExchange.Redis;

namespace GuardedAI.Redis;

/// <summary>
/// Runs the calls of one script (the reserve or the settle script) with at most <see cref="MaxInFlight"/> requests on
/// their way: a call that finds a free slot goes at once, in a request of its own; calls that arrive while every slot
/// is taken wait, and go together in the next request, which the script applies one after another in their order,
/// reading and writing the counters they share once.
/// </summary>
/// <remarks>
/// Issue 16: with 64 callers the server spent ~55 µs of CPU on a pair of scripts, most of it on the ~17
/// <c>redis.call</c>s of two scripts and on reading each request. A batch of reservations on the same counters reads
/// them with one <c>MGET</c> and writes each once, so what each adds is its lease. The batch grows with the load
/// (everything that arrived while the requests were out), so a lone call waits for nothing.
/// A call that charges a corrupt counter fails alone, as it would in a request of its own; an error of the request as
/// a whole (a script error, a lost connection) fails every call in it, as it would have failed each of their own.
/// </remarks>
internal sealed class ScriptBatcher<TCall>
    where TCall : ScriptCall
{
    /// <summary>Most calls in one batch, so one request stays a few kilobytes and one script a few hundred µs.</summary>
    internal const int MaxBatch = 64;

    /// <summary>Requests on their way at once: two, so the server has the next while this process reads the last answer.</summary>
    internal const int MaxInFlight = 2;

    private readonly RedisScript _script;
    private readonly Func<TCall[], (RedisKey[] Keys, RedisValue[] Values)> _request;
    private readonly ConcurrentQueue<TCall> _waiting = new();
    private int _inFlight;
    private long _batches;
    private long _batchedCalls;

    /// <param name="script">The script: given one call or several, it answers each (an array) or refuses each (a string), in order.</param>
    /// <param name="request">Writes the keys and arguments of one request of the calls (<see cref="ScriptRequests"/>).</param>
    public ScriptBatcher(RedisScript script, Func<TCall[], (RedisKey[] Keys, RedisValue[] Values)> request)
    {
        _script = script;
        _request = request;
    }

    /// <summary>How many batches of two calls or more were sent, and how many calls they held (for tests and diagnostics).</summary>
    internal (long Batches, long Calls) Batched => (Interlocked.Read(ref _batches), Interlocked.Read(ref _batchedCalls));

    /// <summary>Runs the script for <paramref name="call"/>, alone or in a batch; the answer is this call's own.</summary>
    public Task<ScriptAnswer> EvaluateAsync(IDatabase database, TCall call)
    {
        _waiting.Enqueue(call);
        Send(database);
        return call.Task;
    }

    /// <summary>Sends what waits while a slot is free.</summary>
    private void Send(IDatabase database)
    {
        while (!_waiting.IsEmpty && TryTakeSlot())
        {
            if (!_waiting.TryDequeue(out var first))
            {
                Interlocked.Decrement(ref _inFlight);   // another sender took them; the loop looks again
                continue;
            }
            _ = RunAsync(database, _waiting.IsEmpty ? [first] : TakeWith(first));
        }
    }

    /// <summary><paramref name="first"/> and what waits after it, up to <see cref="MaxBatch"/> calls.</summary>
    private TCall[] TakeWith(TCall first)
    {
        var calls = new List<TCall>(MaxBatch) { first };
        while (calls.Count < MaxBatch && _waiting.TryDequeue(out var next)) calls.Add(next);
        return [.. calls];
    }

    private bool TryTakeSlot()
    {
        while (true)
        {
            var taken = Volatile.Read(ref _inFlight);
            if (taken >= MaxInFlight) return false;
            if (Interlocked.CompareExchange(ref _inFlight, taken + 1, taken) == taken) return true;
        }
    }

    /// <summary>Tests: takes every slot, so that calls wait, until the returned scope ends and sends them.</summary>
    internal IDisposable HoldSlots(IDatabase database)
    {
        for (var held = 0; held < MaxInFlight;)
        {
            if (TryTakeSlot()) held++;
            else Thread.Yield();
        }
        return new HeldSlots(this, database);
    }

    private sealed class HeldSlots(ScriptBatcher<TCall> owner, IDatabase database) : IDisposable
    {
        public void Dispose()
        {
            Interlocked.Add(ref owner._inFlight, -MaxInFlight);
            owner.Send(database);
        }
    }

    private async Task RunAsync(IDatabase database, TCall[] calls)
    {
        RedisResult? answer = null;
        Exception? failure = null;
        try
        {
            var (keys, values) = _request(calls);
            if (calls.Length > 1)
            {
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _batchedCalls, calls.Length);
            }
            try
            {
                answer = await database.ScriptEvaluateAsync(_script.Sha1, keys, values).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                // The server does not know the script (restarted, failed over, SCRIPT FLUSH): once more with its text.
                answer = await database.ScriptEvaluateAsync(_script.Text, keys, values, CommandFlags.NoScriptCache).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        // The next request goes before this one's callers are answered: the server works while they resume.
        Interlocked.Decrement(ref _inFlight);
        Send(database);

        if (failure is not null)
        {
            foreach (var call in calls) call.TrySetException(failure);
        }
        else
        {
            Answer(calls, answer!);
        }
    }

    /// <summary>Gives each call its own answer, or its own error: the reply is the calls' packed answers, then the error
    /// messages of the calls that failed, in order (see <see cref="RedisScripts"/>' <c>packAnswers</c>).</summary>
    internal static void Answer(TCall[] calls, RedisResult answer)
    {
        var parts = answer.Resp2Type == ResultType.Array ? (RedisResult[])answer! : null;
        var packed = parts is { Length: > 0 } && parts[0].Resp2Type == ResultType.BulkString ? (byte[]?)parts[0] : null;
        // Read every call's place first: a reply that does not fit the request fails every call, none half-answered.
        var counts = new int[calls.Length];
        int offset = 0, errors = 0;
        var fits = packed is not null;
        for (var i = 0; fits && i < calls.Length; i++)
        {
            if (offset + sizeof(double) > packed!.Length) { fits = false; break; }
            var count = BinaryPrimitives.ReadDoubleLittleEndian(packed.AsSpan(offset));
            offset += sizeof(double);
            if (count == -1) { counts[i] = -1; errors++; continue; }
            if (count < 0 || count != Math.Floor(count) || offset + count * sizeof(double) > packed.Length) { fits = false; break; }
            counts[i] = (int)count;
            offset += (int)count * sizeof(double);
        }
        if (!fits || offset != packed!.Length || parts!.Length != 1 + errors)
        {
            var wrong = new RedisException($"A request of {calls.Length} script calls was answered with {(parts is null ? answer.Resp2Type.ToString() : $"{parts.Length} parts")} that do not fit it.");
            foreach (var call in calls) call.TrySetException(wrong);
            return;
        }
        offset = 0;
        var error = 1;
        for (var i = 0; i < calls.Length; i++)
        {
            offset += sizeof(double);
            // A call's error is a message of its own (see RedisScripts.CounterFunctions).
            if (counts[i] < 0) calls[i].TrySetException(new RedisServerException(RedisErrorKind.UnknownError, CommandFlags.None, "ERR " + parts[error++]));
            else
            {
                calls[i].TrySetResult(new ScriptAnswer(packed, offset, counts[i]));
                offset += counts[i] * sizeof(double);
            }
        }
    }
}
