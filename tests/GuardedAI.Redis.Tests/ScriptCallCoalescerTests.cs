using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace GuardedAI.Redis.Tests;

[Collection("redis")]
public class ScriptCallCoalescerTests(RedisFixture fixture)
{
    // Echoes its argument, and fails (a script error, as a refused call would) when the argument is "fail".
    private const string Echo = "if ARGV[1] == 'fail' then return redis.error_reply('refused ' .. ARGV[1]) end return ARGV[1]";

    /// <summary>A connection with <see cref="Echo"/> loaded, its SHA1, a coalescer of the test's own and the database.</summary>
    private async Task<(GuardedAIRedis Redis, byte[] Sha, ScriptCallCoalescer Coalescer, IDatabase Db)> StartAsync()
    {
        var redis = await fixture.ConnectAsync();
        var server = redis.Connection.GetServer(redis.Connection.GetEndPoints()[0]);
        await server.ScriptLoadAsync(Echo);
        return (redis, SHA1.HashData(Encoding.UTF8.GetBytes(Echo)), new ScriptCallCoalescer(), redis.Connection.GetDatabase());
    }

    [Fact]
    public async Task Calls_that_wait_together_go_as_one_batch_and_each_gets_its_own_answer_or_error()
    {
        var (redis, sha, coalescer, db) = await StartAsync();
        await using var connection = redis;

        var calls = Enumerable.Range(0, 10).Select(i => coalescer.Enqueue(sha, [], [i == 4 ? "fail" : "answer " + i])).ToArray();
        coalescer.Write(db);
        Assert.Equal((1L, 10L), coalescer.Batched);

        for (var i = 0; i < calls.Length; i++)
        {
            if (i == 4)
            {
                var error = await Assert.ThrowsAsync<RedisServerException>(() => calls[i]);
                Assert.Contains("refused fail", error.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal("answer " + i, (string?)await calls[i]);
            }
        }
    }

    [Fact]
    public async Task A_full_batch_leaves_the_rest_for_the_next_one_and_a_lone_call_goes_alone()
    {
        var (redis, sha, coalescer, db) = await StartAsync();
        await using var connection = redis;

        var calls = Enumerable.Range(0, ScriptCallCoalescer.MaxBatch + 3).Select(i => coalescer.Enqueue(sha, [], ["n" + i])).ToArray();
        coalescer.Write(db);
        Assert.Equal((2L, ScriptCallCoalescer.MaxBatch + 3L), coalescer.Batched);
        Assert.Equal(calls.Select((_, i) => "n" + i), (await Task.WhenAll(calls)).Select(r => (string?)r));

        Assert.Equal("alone", (string?)await coalescer.EvaluateAsync(db, sha, [], ["alone"]));
        Assert.Equal((2L, ScriptCallCoalescer.MaxBatch + 3L), coalescer.Batched);
    }

    [Fact]
    public async Task A_caller_writes_a_few_batches_for_others_and_the_thread_pool_writes_the_rest()
    {
        var (redis, sha, coalescer, db) = await StartAsync();
        await using var connection = redis;

        var total = ScriptCallCoalescer.MaxBatch * (ScriptCallCoalescer.MaxRounds + 2);
        var calls = Enumerable.Range(0, total).Select(i => coalescer.Enqueue(sha, [], ["n" + i])).ToArray();
        coalescer.Write(db);   // writes MaxRounds batches itself and leaves the rest to a thread-pool item

        // Nothing else writes here: unless that item goes on, the last two batches' callers wait forever.
        Assert.Equal(calls.Select((_, i) => "n" + i), (await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30))).Select(r => (string?)r));
        Assert.Equal(((long)ScriptCallCoalescer.MaxRounds + 2, (long)total), coalescer.Batched);
    }

    [Fact]
    public async Task Sixty_four_concurrent_callers_each_get_their_own_answer()
    {
        var (redis, sha, coalescer, db) = await StartAsync();
        await using var connection = redis;

        var callers = Enumerable.Range(0, 64).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 200; i++)
            {
                var expected = $"{c}:{i}";
                Assert.Equal(expected, (string?)await coalescer.EvaluateAsync(db, sha, [], [expected]));
            }
        })).ToArray();
        await Task.WhenAll(callers);
    }
}
