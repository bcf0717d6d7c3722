using System.Diagnostics;

namespace GuardedAI.Benchmarks;

/// <summary>The guard's calls in a loop for a while, with time and bytes per call: something to attach a profiler to
/// (a development aid: <c>guardloop cached|new|later|near|tenant|conversation|engine|redis|stream|stream-bare|count|count-cl100k|count1 seconds [alloc]</c>; <c>redis</c>: one caller's pairs against a redis-server of its own</c>). The figures of record come from BenchmarkDotNet.</summary>
internal static class GuardLoop
{
    public static async Task RunAsync(string what, double seconds, bool allocations = false)
    {
        var guard = new GuardBenchmarks();
        guard.Setup();
        // Only the engine loop sets up the engine benchmark: its six token buckets replenish on timers, and a process
        // that holds them wakes thread-pool workers whatever it measures.
        ReserveCommitBenchmarks? engine = null;
        if (what == "engine")
        {
            engine = new ReserveCommitBenchmarks();
            engine.Setup();
        }
        RedisBenchmarks? redis = null;
        if (what == "redis")
        {
            redis = new RedisBenchmarks();
            redis.Setup();
        }
        StreamingBenchmarks? streaming = null;
        if (what is "stream" or "stream-bare")
        {
            streaming = new StreamingBenchmarks { Updates = StreamingBenchmarks.LongStream };
            streaming.Setup();
        }
        Func<Task> call = what switch
        {
            "stream" => streaming!.Guarded,
            "stream-bare" => streaming!.Bare,
            "cached" => guard.GuardedCachedPrompt,
            "new" => guard.GuardedNewMessage,
            "near" => guard.GuardedNearLimit,
            "later" => guard.GuardedAnswerLater,
            "tenant" => guard.GuardedTenant,
            "conversation" => guard.GuardedConversation,
            "engine" => async () => await engine!.ReserveCommit(),
            "redis" => redis!.PairAsync,
            "count" => CountNew(TokenizerEncodings.O200kBase),
            "count-cl100k" => CountNew(TokenizerEncodings.Cl100kBase),
            "count1" => CountOne(),
            _ => throw new ArgumentException($"guardloop: unknown '{what}' (cached, new, later, near, tenant, conversation, engine, redis, stream, stream-bare, count, count-cl100k, count1)"),
        };
        for (var i = 0; i < 20_000; i++) await call();
        using var sampler = allocations ? new AllocationSampler() : null;
        var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        long calls = 0;
        var started = Stopwatch.GetTimestamp();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var paused = GC.GetTotalPauseDuration();
        int[] collections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        while (Stopwatch.GetTimestamp() < until)
        {
            for (var i = 0; i < 1000; i++) await call();
            calls += 1000;
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        Console.WriteLine($"{what}: {calls:#,0} calls, {elapsed.TotalNanoseconds / calls:0} ns/call, {(double)bytes / calls:0} B/call");
        // The collections the calls caused and the time the process stood still for them, a call's share of it included
        // above: a figure that is the median of short blocks (InterleavedRatio) leaves most of it out.
        var pause = GC.GetTotalPauseDuration() - paused;
        Console.WriteLine($"  collections gen0/1/2: {GC.CollectionCount(0) - collections[0]}/{GC.CollectionCount(1) - collections[1]}/{GC.CollectionCount(2) - collections[2]}, paused {pause.TotalMilliseconds:0.0} ms = {pause.TotalNanoseconds / calls:0.0} ns/call");
        sampler?.Print();
        redis?.Cleanup();
        streaming?.Cleanup();
        engine?.Cleanup();
        guard.Cleanup();
    }

    /// <summary>The bounded counter alone on the new-message benchmark's 40,000 texts in turn: what counting costs outside a guarded call.</summary>
    private static Func<Task> CountNew(string encoding)
    {
        var texts = Enumerable.Range(0, GuardBenchmarks.NewMessages).Select(i => Fixtures.VariedText(60, 1000 + i)).ToArray();
        var counter = TokenizerEncodings.Get(encoding);
        var next = 0;
        long sink = 0;
        return () => { sink += counter.Count(texts[next++ % texts.Length]); return Task.CompletedTask; };
    }

    /// <summary>The bounded counter alone on one 60-byte text, every piece in its table (the tokenizer benchmark's case).</summary>
    private static Func<Task> CountOne()
    {
        var text = Fixtures.VariedText(60, 7);
        var counter = TokenizerEncodings.Get(TokenizerEncodings.O200kBase);
        long sink = 0;
        return () => { sink += counter.Count(text); return Task.CompletedTask; };
    }
}
