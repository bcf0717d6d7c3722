using System.Runtime.CompilerServices;
using GuardedAI.Engine;
using Microsoft.Extensions.AI;

namespace GuardedAI;

/// <summary>
/// A chat client that puts every provider request under a budget: it estimates the request (real tokenizer,
/// output cap), reserves it with the <see cref="BudgetEngine"/>, calls the inner client, and settles with the
/// usage the provider reports — or, when it reports none, with the counted response text. Streams that are
/// abandoned or fail half-way settle what was consumed.
/// </summary>
/// <remarks>
/// The guard must sit next to the provider, beneath any <see cref="FunctionInvokingChatClient"/>: a tool loop
/// makes several provider requests per call, and each must be reserved on its own. The constructor refuses an
/// inner pipeline that contains a function-invoking client.
/// </remarks>
public class BudgetChatClient : DelegatingChatClient
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of the tenant (customer) key: a string.</summary>
    public const string TenantKey = "guardedai.tenant";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of report tags: an <c>IReadOnlyDictionary&lt;string,string&gt;</c> or a <c>"k=v;k2=v2"</c> string.</summary>
    public const string TagsKey = "guardedai.tags";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of a category (a feature, a research area) for reports; stored as tag <c>category</c>.</summary>
    public const string CategoryKey = "guardedai.category";

    /// <summary>The <see cref="ChatResponseUpdate.AdditionalProperties"/> / <see cref="ChatResponse.AdditionalProperties"/> key
    /// of the reason the guard stopped a response (a stream cut at its reservation, a run ended by its budget).</summary>
    public const string StopReasonKey = "guardedai.stop_reason";

    /// <summary>The output cap applied when neither the call nor the policy sets one, so no reservation is unbounded.</summary>
    public const int FallbackMaxOutputTokens = 4096;

    private readonly string? _defaultModel;
    private ITokenCounter _counter;

    /// <summary>The counter of the guard's default model. Tests replace it, e.g. with one that fails.</summary>
    internal ITokenCounter DefaultModelCounter { get => _counter; set => _counter = value; }

    /// <summary>Creates the guard.</summary>
    /// <param name="innerClient">The provider client (or a pipeline ending in one), with no function invocation in it.</param>
    /// <param name="engine">The engine that holds the budgets.</param>
    /// <param name="policy">The budget of this client.</param>
    /// <exception cref="InvalidOperationException">The inner pipeline contains a <see cref="FunctionInvokingChatClient"/>.</exception>
    public BudgetChatClient(IChatClient innerClient, BudgetEngine engine, BudgetPolicy policy)
        : base(innerClient)
    {
        Engine = engine ?? throw new ArgumentNullException(nameof(engine));
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        if (innerClient.GetService(typeof(FunctionInvokingChatClient)) is not null)
        {
            throw new InvalidOperationException(
                $"Budget '{policy.Name}': a FunctionInvokingChatClient sits beneath the budget guard, so one guarded call could make many provider requests that are reserved as one. " +
                "Put function invocation outside the guard: new ChatClientBuilder(provider).UseFunctionInvocation().UseBudget(...).Build() — the first Use is the outermost.");
        }
        var metadata = innerClient.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;
        _contexts = new CallContexts(metadata?.ProviderName);
        _defaultModel = policy.Model ?? metadata?.DefaultModelId;
        // Resolved once: the tokenizer of the client's model serves every call that does not name another model.
        _counter = engine.Parts.Tokenizers.ForModel(_defaultModel);
        Engine.AddPolicy(policy);
    }

    /// <summary>The engine.</summary>
    public BudgetEngine Engine { get; }

    /// <summary>The budget.</summary>
    public BudgetPolicy Policy { get; }

    /// <summary>A tenant applied to every call of this client that names none (in options or an ambient <see cref="BudgetScope"/>).</summary>
    public string? Tenant { get; set; }

    /// <summary>Tags added to every call's usage record.</summary>
    public IDictionary<string, string> Tags { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <inheritdoc/>
    /// <remarks>Not an async method itself: when the lease is granted at once (in-memory counters), the call continues in
    /// one asynchronous method, so a provider that answers later puts one state machine on the heap, not two (~250 B).</remarks>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        PreparedCall prepared;
        LeaseDecision decision;
        try
        {
            prepared = Prepare(messages, options);
            if (!GuardedCall.TryDecideAtOnce(Engine, Policy, prepared.Estimate, prepared.Denial, prepared.Context, out decision))
                return DecideThenCall(prepared, cancellationToken);
        }
        catch (Exception ex)
        {
            // As an async method would: a bad call fails the returned task, it does not throw at the caller.
            return Task.FromException<ChatResponse>(ex);
        }
        return Proceed(decision, prepared, cancellationToken);
    }

    /// <summary>The call as decided: to the provider under its reservation, or ended by its denial.</summary>
    private Task<ChatResponse> Proceed(LeaseDecision decision, PreparedCall prepared, CancellationToken cancellationToken) =>
        decision.Held is { } held ? CallAsync(held, prepared, cancellationToken) : DeniedAsync(decision.Denied!, prepared, cancellationToken);

    /// <summary>A call the engine decides with something on the way that may wait (a remote store, host pressure, a throttle).</summary>
    private Task<ChatResponse> DecideThenCall(PreparedCall prepared, CancellationToken cancellationToken)
    {
        ValueTask<LeaseDecision> deciding;
        try
        {
            deciding = GuardedCall.DecideAsync(Engine, Policy, prepared.Estimate, prepared.Denial, prepared.Context, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }
        return deciding.IsCompletedSuccessfully ? Proceed(deciding.Result, prepared, cancellationToken) : DecidedLaterAsync(deciding, prepared, cancellationToken);
    }

    private async Task<ChatResponse> DecidedLaterAsync(ValueTask<LeaseDecision> deciding, PreparedCall prepared, CancellationToken cancellationToken)
    {
        var decision = await deciding.ConfigureAwait(false);
        return await Proceed(decision, prepared, cancellationToken).ConfigureAwait(false);
    }

    private async Task<ChatResponse> DeniedAsync(BudgetLease lease, PreparedCall prepared, CancellationToken cancellationToken)
    {
        // Inside a run guard, a request its run budget cannot afford ends the run as the guard says, not with an exception.
        if (RunEnd.Applies(lease.Denial!) is { } run) return await RunEnd.EndAsync(this, run, prepared.Messages, prepared.Options, prepared.Context, lease.Denial!, cancellationToken).ConfigureAwait(false);
        throw new BudgetExceededException(lease.Denial!);
    }

    private Task<ChatResponse> CallAsync(HeldReservation held, PreparedCall prepared, CancellationToken cancellationToken) =>
        GuardedCall.RunAsync(held, new GuardedChatCall(this, prepared),
            static (s, ct) => s.Client.InnerClient.GetResponseAsync(s.Call.Messages, s.Call.Options, ct),
            this,
            // The estimate reserved is the call's (held.Estimate): a provider that answers later keeps only the client and the reservation.
            static (client, held, response) => client.Reconcile(response.Usage, held.Estimate, response.Text),
            cancellationToken);

    /// <summary>The state of a call through <see cref="GuardedCall.RunAsync"/>: a struct of GuardedAI's own, so the generic
    /// steps over it are in the package's ReadyToRun image (over a tuple, they were compiled just in time on a process's
    /// first call).</summary>
    private readonly struct GuardedChatCall(BudgetChatClient client, PreparedCall call)
    {
        public BudgetChatClient Client { get; } = client;
        public PreparedCall Call { get; } = call;
    }

    /// <summary>The run guard's final request: no tools, a small output cap, the run's full budget (no headroom held back).</summary>
    internal async Task<ChatResponse?> TryFinalAnswerAsync(IList<ChatMessage> messages, ChatOptions options, ReservationContext context, CancellationToken cancellationToken)
    {
        var model = options.ModelId ?? _defaultModel;
        var (estimate, denial) = ChatEstimator.Estimate(Engine, Policy, messages, options, CounterFor(model), model);
        var decision = await GuardedCall.DecideAsync(Engine, Policy, estimate, denial, context, cancellationToken).ConfigureAwait(false);
        if (decision.Held is not { } held) return null;
        return await CallAsync(held, new PreparedCall(messages, options, estimate, null, context, options.ConversationId), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(messages, options);
        await using var lease = await GuardedCall.TryAcquireAsync(Engine, Policy, prepared.Estimate, prepared.Denial, prepared.Context, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            if (RunEnd.Applies(lease.Denial!) is not { } run) throw new BudgetExceededException(lease.Denial!);
            var ending = await RunEnd.EndAsync(this, run, prepared.Messages, prepared.Options, prepared.Context, lease.Denial!, cancellationToken).ConfigureAwait(false);
            foreach (var update in ending.ToChatResponseUpdates()) yield return update;
            yield break;
        }

        var meter = new StreamMeter(CounterFor(prepared.Estimate.Model), prepared.Estimate.OutputTokens);
        // The provider request is cancelled when the guard cuts the stream, whatever the caller's token does.
        using var providerCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? failure = null;
        var completed = false;
        var cutOff = false;
        IAsyncEnumerator<ChatResponseUpdate>? stream = null;
        // A chunk that could not be counted: the rest of the stream cannot be metered, so it is stopped, and the call is
        // counted as UnreadUsage says.
        Exception? countFailure = null;
        // A consumer that stops reading and never disposes the enumerator: count what arrived, free the rest, stop the provider.
        await using var idle = new StreamIdleWatchdog(Engine.TimeProvider, Engine.Parts.StreamIdleTimeout, async () =>
        {
            var (consumed, wasReported, unread) = ReadStreamUsage(meter, prepared.Estimate);
            await lease.TrySettleAsync(new LeaseOutcome(UsageStatus.Cancelled, consumed, wasReported,
                WithUnread(unread, $"the stream was not read for {Denials.FormatDuration(Engine.Parts.StreamIdleTimeout)}; GuardedAI cut it"))).ConfigureAwait(false);
            providerCancellation.Cancel();
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        });
        try
        {
            stream = base.GetStreamingResponseAsync(prepared.Messages, prepared.Options, providerCancellation.Token).GetAsyncEnumerator(providerCancellation.Token);
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await stream.MoveNextAsync().ConfigureAwait(false)) break;
                    update = stream.Current;
                }
                catch (Exception ex)
                {
                    failure = ex;
                    throw;
                }

                lease.ResponseModel ??= update.ModelId;
                try
                {
                    meter.Observe(update);
                }
                catch (Exception ex)
                {
                    countFailure = ex;
                    throw;
                }
                idle.Handing();
                yield return update;
                idle.Resumed();
                // Nearly every update leaves the stream below its reservation by the bound alone: no count, no await.
                if (!meter.IsPastReservation) continue;
                bool pastReservation;
                try
                {
                    pastReservation = await meter.IsPastReservationAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    countFailure = ex;
                    throw;
                }
                if (pastReservation)
                {
                    cutOff = true;
                    break;
                }
            }
            completed = !cutOff;
        }
        finally
        {
            if (cutOff) providerCancellation.Cancel();
            if (stream is not null)
            {
                try { await stream.DisposeAsync().ConfigureAwait(false); }
                catch (Exception ex) when (!cutOff) { failure ??= ex; }
                catch (Exception) when (cutOff) { } // the provider request the guard cancelled may end in any exception
            }

            // Whatever happened, what was consumed is counted: a stream abandoned or cut half-way is not free.
            var (usage, reported, unread) = ReadStreamUsage(meter, prepared.Estimate);
            if (unread is null && countFailure is not null)
            {
                // The text read back whole, but the stream stopped at a chunk that could not be counted: what the provider
                // went on to bill for is not known.
                (usage, reported, unread) = (UnreadUsage.Of(prepared.Estimate, meter.Reported), false, countFailure);
            }
            LeaseOutcome outcome;
            if (cutOff)
            {
                usage = usage with { OutputTokens = Math.Max(usage.OutputTokens, meter.CountedOutputTokens) };
                outcome = new LeaseOutcome(UsageStatus.Cancelled, usage, reported, meter.CutOffReason(Policy.Name));
            }
            else if (completed)
            {
                outcome = new LeaseOutcome(UsageStatus.Success, usage, reported, null);
            }
            else if (failure is not null && !(failure is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                outcome = lease.Failed(failure, usage, reported);
            }
            else if (countFailure is not null)
            {
                outcome = new LeaseOutcome(UsageStatus.Cancelled, usage, reported, "GuardedAI stopped the stream: it could not count what arrived");
            }
            else
            {
                outcome = new LeaseOutcome(UsageStatus.Cancelled, usage, reported, "the stream was abandoned before it completed");
            }
            if (unread is not null) outcome = outcome with { Reason = WithUnread(unread, outcome.Reason) };
            // The idle watchdog may have settled it already while the consumer was away: then this does nothing.
            await lease.TrySettleAsync(outcome).ConfigureAwait(false);
            // A stream that ended but could not be read: the caller learns it, as a call's caller does. (Otherwise the
            // error that stopped the stream is already on its way, or the caller stopped reading.)
            if (unread is not null && completed) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(unread);
        }
        if (cutOff) yield return meter.CutOffUpdate(Policy.Name);
    }

    /// <inheritdoc/>
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        if (serviceKey is null)
        {
            if (serviceType == typeof(BudgetEngine)) return Engine;
            if (serviceType == typeof(BudgetPolicy)) return Policy;
        }
        return base.GetService(serviceType, serviceKey);
    }

    private PreparedCall Prepare(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        // A list constructor, not LINQ's ToList: a ReadyToRun method that calls LINQ loads System.Linq when first called.
        var list = messages as IList<ChatMessage> ?? new List<ChatMessage>(messages);
        // Bound the reservation: the call's output is capped, so it cannot cost more than was reserved.
        var cap = Policy.MaxOutputTokens ?? FallbackMaxOutputTokens;
        var (tenant, tags, remaining) = GuardCallContext.Read(options?.AdditionalProperties, Tenant, Tags);

        var model = options?.ModelId ?? _defaultModel;
        // Degradation: past the critical threshold, the call goes to the budget's cheaper model, and its record says so.
        string? degradedFrom = null;
        if (Policy.Degradation.DowngradeModel is { } cheaper && !string.Equals(model, cheaper, StringComparison.OrdinalIgnoreCase)
            && Engine.Parts.Thresholds.Levels.HighestPercent(Policy, Engine.TimeProvider.GetUtcNow()) >= Policy.Thresholds.CriticalAtPercent)
        {
            degradedFrom = model ?? "(default)";
            model = cheaper;
        }

        // The caller's options are never changed: they are copied when the guard changes something (the output cap, its own
        // keys taken out, the model), and passed down as they are when it does not.
        ChatOptions prepared;
        if (options is { MaxOutputTokens: { } requested } && requested <= cap && ReferenceEquals(remaining, options.AdditionalProperties) && degradedFrom is null)
        {
            prepared = options;
        }
        else if (options is null && remaining is null && degradedFrom is null)
        {
            // The common call with no options of its own: the guard's one capped instance, not a new one per call.
            prepared = _capped.For(cap, _reportChangedOptions ??= changed => EngineLog.InnerClientChangedOptions(Engine.Parts.Logger, Policy.Name,
                CappedOptions.Changed(changed, Policy.MaxOutputTokens ?? FallbackMaxOutputTokens)));
        }
        else
        {
            // Copied with the guard's keys already out (a tenant set per call): Clone would copy them into a new dictionary first.
            prepared = options is null ? new ChatOptions { AdditionalProperties = remaining } : ForwardedOptions.With(options, remaining);
            if (prepared.MaxOutputTokens is not { } asked || asked > cap) prepared.MaxOutputTokens = cap;
            if (degradedFrom is not null) prepared.ModelId = model;
        }
        var (estimate, denial) = ChatEstimator.Estimate(Engine, Policy, list, prepared, CounterFor(model), model);
        var context = _contexts.For(tenant, tags, prepared.ConversationId, degradedFrom);
        return new PreparedCall(list, prepared, estimate, denial, context, prepared.ConversationId);
    }

    private ITokenCounter CounterFor(string? model) =>
        string.Equals(model, _defaultModel, StringComparison.Ordinal) ? _counter : Engine.Parts.Tokenizers.ForModel(model);

    /// <summary>What a stream used, as <see cref="Reconcile"/> reads it; when that fails, <see cref="UnreadUsage"/>'s count and the error.</summary>
    private (TokenUsage Usage, bool Reported, Exception? Unread) ReadStreamUsage(StreamMeter meter, in UsageEstimate estimate)
    {
        try
        {
            var (usage, reported) = Reconcile(meter.Reported, estimate, meter.Text);
            return (usage, reported, null);
        }
        catch (Exception ex)
        {
            return (UnreadUsage.Of(estimate, meter.Reported), false, ex);
        }
    }

    private static string WithUnread(Exception? unread, string? reason) =>
        unread is null ? reason ?? string.Empty : reason is null ? UnreadUsage.Reason(unread) : UnreadUsage.Reason(unread) + "; " + reason;

    // Not inlined: GuardedCall.Settle's delegate call was devirtualized and this step (with the answer's count) pulled in,
    // which made that method clear ~1 KB of stack on every call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private CallUsage Reconcile(UsageDetails? reported, UsageEstimate estimate, string responseText) =>
        ResponseUsage.Read(reported, estimate, responseText, CounterFor(estimate.Model));

    /// <summary>The options passed down for calls that bring none (see <see cref="CappedOptions"/>).</summary>
    private readonly CappedOptions _capped = new();

    private Action<ChatOptions>? _reportChangedOptions;

    /// <summary>The contexts of this guard's calls, shared by calls that say the same about themselves.</summary>
    private readonly CallContexts _contexts;

    private readonly record struct PreparedCall(IList<ChatMessage> Messages, ChatOptions Options, UsageEstimate Estimate, BudgetDenial? Denial, ReservationContext Context, string? ConversationId);
}
