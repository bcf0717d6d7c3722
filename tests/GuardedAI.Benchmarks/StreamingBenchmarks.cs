using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace GuardedAI.Benchmarks;

/// <summary>
/// What <c>UseBudget</c> adds to a streamed response, against a bare <see cref="DelegatingChatClient"/> over the same
/// provider: a stream of one update and one of <see cref="LongStream"/> updates (a word each, as providers stream, the
/// usage in the last), read to its end with <c>await foreach</c>. The difference of the two says what each update costs
/// the guard (counting it, the idle watchdog), apart from what the call costs once (reserve, settle).
/// </summary>
[MemoryDiagnoser]
public class StreamingBenchmarks
{
    /// <summary>Updates in the long stream: ~100 output tokens, a short answer.</summary>
    public const int LongStream = 100;

    private IChatClient _bare = null!;
    private IChatClient _guarded = null!;
    private BudgetEngine _engine = null!;
    private ChatMessage[] _prompt = null!;

    [Params(1, LongStream)]
    public int Updates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        TokenCounterRegistry.LoadAsync().GetAwaiter().GetResult();
        var provider = new StreamingProvider(Updates);
        _bare = new BareClient(provider);
        _engine = new BudgetEngine(new BudgetEngineOptions { LogAlerts = false });
        _guarded = new ChatClientBuilder(provider).UseBudget(_engine, Fixtures.SixLimits("stream")).Build();
        _prompt = [new ChatMessage(ChatRole.User, Fixtures.VariedText(60, 1))];
        Bare().GetAwaiter().GetResult();
        Guarded().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "bare DelegatingChatClient, streamed")]
    public Task<int> Bare() => ReadAsync(_bare);

    [Benchmark(Description = "UseBudget, streamed, prompt seen before")]
    public Task<int> Guarded() => ReadAsync(_guarded);

    /// <summary>Concurrent readers in the 64-caller cases, each reading <see cref="StreamsPerCaller"/> streams in turn.</summary>
    public const int Callers = 64;

    public static int StreamsPerCaller => BenchmarkScale.Pick(20, 1);

    [Benchmark(OperationsPerInvoke = Callers, Description = "64 callers: bare DelegatingChatClient, streamed")]
    public Task Bare64() => Parallel(_bare);

    [Benchmark(OperationsPerInvoke = Callers, Description = "64 callers: UseBudget, streamed")]
    public Task Guarded64() => Parallel(_guarded);

    // As the reserve + commit class does: the callers run on the thread pool, at most as many at once as there are cores.
    private static readonly TaskScheduler Cores = new ConcurrentExclusiveSchedulerPair(TaskScheduler.Default, Environment.ProcessorCount).ConcurrentScheduler;

    /// <summary>64 callers, each reading its streams; one operation is one caller's <see cref="StreamsPerCaller"/> streams
    /// (the figure is divided by that in the summary).</summary>
    private Task Parallel(IChatClient client)
    {
        var callers = new Task[Callers];
        for (var c = 0; c < Callers; c++)
        {
            callers[c] = Task.Factory.StartNew(async () =>
            {
                for (var i = 0; i < StreamsPerCaller; i++) await ReadAsync(client);
            }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Cores).Unwrap();
        }
        return Task.WhenAll(callers);
    }

    private async Task<int> ReadAsync(IChatClient client)
    {
        var read = 0;
        await foreach (var update in client.GetStreamingResponseAsync(_prompt).ConfigureAwait(false)) read += update.Contents.Count;
        return read;
    }

    private sealed class BareClient(IChatClient inner) : DelegatingChatClient(inner);

    /// <summary>A provider that streams the same updates at once (made once, so neither side pays for them).</summary>
    private sealed class StreamingProvider : IChatClient
    {
        private readonly ChatResponseUpdate[] _updates;

        public StreamingProvider(int count)
        {
            string[] words = ["Your", " order", " shipped", " yesterday", " and", " should", " arrive", " by", " Friday", "."];
            _updates = new ChatResponseUpdate[count];
            for (var i = 0; i < count; i++)
            {
                var update = new ChatResponseUpdate(ChatRole.Assistant, words[i % words.Length]) { ModelId = "gpt-4o-mini" };
                if (i == count - 1)
                {
                    update.Contents.Add(new UsageContent(new UsageDetails { InputTokenCount = 20, OutputTokenCount = count, TotalTokenCount = 20 + count }));
                    update.FinishReason = ChatFinishReason.Stop;
                }
                _updates[i] = update;
            }
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.CompletedTask.ConfigureAwait(false);
            foreach (var update in _updates) yield return update;
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("bench", null, "gpt-4o-mini") : null;

        public void Dispose() { }
    }
}
