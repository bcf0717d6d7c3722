using Microsoft.Extensions.AI;

namespace GuardedAI.Tests;

/// <summary>
/// In a process's first second the vocabulary may still be loading and a streamed chunk counts as its upper bound (its
/// UTF-8 length, several times its tokens). The stream's cut-off must not act on that bound: when the bound says the
/// reservation is passed, it waits for the vocabulary and decides on the exact count.
/// </summary>
public class StreamCutOffWhileLoadingTests
{
    // 40 chunks of ordinary prose: about 8 tokens each exactly, 40-odd bytes each by the bound.
    private static readonly string[] Chunks = Enumerable.Range(0, 40).Select(i => $" and then the parcel number {i} left the depot.").ToArray();

    private static ChatResponseUpdate Update(string text) => new(ChatRole.Assistant, text);

    private static long Exact(IEnumerable<string> chunks) => chunks.Sum(c => (long)TokenizerEncodings.Get(TokenizerEncodings.O200kBase).Count(c));

    [Fact]
    public async Task A_stream_below_its_reservation_is_not_cut_because_the_bound_passed_it()
    {
        var vocabulary = new TaskCompletionSource<BoundedBpeCounter>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = new ChatTokenCounter(vocabulary.Task, TokenizerEncodings.O200kBase, true, 1.0);
        var exact = Exact(Chunks);
        var bound = Chunks.Sum(c => ChatTokenCounter.UpperBound(c));
        var reserved = exact + 20; // the real output fits; the bound does not
        Assert.True(bound > reserved, $"the bound {bound} must pass the reservation {reserved} for this test to mean anything");

        var meter = new StreamMeter(counter, reserved);
        var decisions = new List<bool>();
        ValueTask<bool> pending = default;
        foreach (var chunk in Chunks)
        {
            meter.Observe(Update(chunk));
            pending = meter.IsPastReservationAsync(CancellationToken.None);
            if (!pending.IsCompleted) break; // the bound passed: the decision waits for the vocabulary
            decisions.Add(await pending);
        }

        Assert.All(decisions, Assert.False);
        Assert.False(pending.IsCompleted, "the bound passed the reservation, so the decision must wait for the exact count");
        vocabulary.SetResult(await TokenizerEncodings.GetAsync(TokenizerEncodings.O200kBase));
        Assert.False(await pending);

        // The rest of the stream is decided on exact counts too (its bound passes the reservation again and again), and
        // what was counted is never more than the exact count: nothing was charged by the bound.
        var counted = meter.CountedOutputTokens;
        Assert.True(counted > 0, "waiting for the vocabulary ended in an exact count");
        foreach (var chunk in Chunks.Skip(decisions.Count + 1))
        {
            meter.Observe(Update(chunk));
            Assert.False(await meter.IsPastReservationAsync(CancellationToken.None));
        }
        Assert.True(meter.CountedOutputTokens > counted, "the chunks after the wait were counted exactly once their bound passed the reservation");
        Assert.InRange(meter.CountedOutputTokens, counted, exact);
        Assert.Equal(string.Concat(Chunks), meter.Text);
    }

    [Fact]
    public async Task A_stream_past_its_reservation_is_still_cut_once_the_exact_count_says_so()
    {
        var vocabulary = new TaskCompletionSource<BoundedBpeCounter>(TaskCreationOptions.RunContinuationsAsynchronously);
        var counter = new ChatTokenCounter(vocabulary.Task, TokenizerEncodings.O200kBase, true, 1.0);
        var reserved = Exact(Chunks.Take(10)); // ten chunks fill it exactly; the eleventh passes it
        var meter = new StreamMeter(counter, reserved);

        var observed = 0;
        ValueTask<bool> pending = default;
        foreach (var chunk in Chunks)
        {
            meter.Observe(Update(chunk));
            observed++;
            pending = meter.IsPastReservationAsync(CancellationToken.None);
            if (!pending.IsCompleted) break;
            Assert.False(await pending);
        }
        Assert.True(observed < 10, "the bound passes the reservation well before the exact count does");

        vocabulary.SetResult(await TokenizerEncodings.GetAsync(TokenizerEncodings.O200kBase));
        Assert.False(await pending); // exactly, the first chunks are below it
        foreach (var chunk in Chunks.Skip(observed))
        {
            meter.Observe(Update(chunk));
            observed++;
            if (await meter.IsPastReservationAsync(CancellationToken.None)) break;
        }
        Assert.Equal(11, observed);
        Assert.Equal(Exact(Chunks.Take(11)), meter.CountedOutputTokens);
    }

    [Fact]
    public async Task Below_the_reservation_by_the_bound_nothing_waits()
    {
        var never = new TaskCompletionSource<BoundedBpeCounter>().Task;
        var meter = new StreamMeter(new ChatTokenCounter(never, TokenizerEncodings.O200kBase, true, 1.0), 10_000);
        foreach (var chunk in Chunks.Take(5))
        {
            meter.Observe(Update(chunk));
            var decision = meter.IsPastReservationAsync(CancellationToken.None);
            Assert.True(decision.IsCompleted);
            Assert.False(await decision);
        }
    }

    [Fact]
    public async Task A_provider_that_reports_more_than_the_reservation_is_cut_without_waiting()
    {
        // The provider's own usage is not a bound: it is believed at once, whatever the vocabulary is doing.
        var never = new TaskCompletionSource<BoundedBpeCounter>().Task;
        var meter = new StreamMeter(new ChatTokenCounter(never, TokenizerEncodings.O200kBase, true, 1.0), 100);
        meter.Observe(new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { OutputTokenCount = 101 })] });
        var decision = meter.IsPastReservationAsync(CancellationToken.None);
        Assert.True(decision.IsCompleted);
        Assert.True(await decision);
    }
}
