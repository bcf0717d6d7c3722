using System.Runtime.CompilerServices;
using System.Text;
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

    /// <summary>The output cap applied when neither the call nor the policy sets one, so no reservation is unbounded.</summary>
    public const int FallbackMaxOutputTokens = 4096;

    private readonly string? _defaultModel;
    private readonly ITokenCounter _counter;
    private readonly string? _provider;

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
        _provider = metadata?.ProviderName;
        _defaultModel = policy.Model ?? metadata?.DefaultModelId;
        // Resolved once: the tokenizer of the client's model serves every call that does not name another model.
        _counter = engine.Tokenizers.ForModel(_defaultModel);
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
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(messages, options);
        var reservation = await Engine.ReserveAsync(Policy, prepared.Estimate, prepared.Context, cancellationToken).ConfigureAwait(false);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(prepared.Messages, prepared.Options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The prompt may already have been sent and billed: count it.
            await Engine.ReleaseAsync(reservation, UsageStatus.Cancelled, "cancelled by the caller", new TokenUsage(prepared.Estimate.InputTokens, 0)).ConfigureAwait(false);
            throw;
        }
        catch (Exception ex)
        {
            await Engine.ReleaseAsync(reservation, UsageStatus.Failed, Describe(ex)).ConfigureAwait(false);
            throw;
        }

        var (usage, reported) = Reconcile(response.Usage, prepared.Estimate, response.Text);
        await Engine.CommitAsync(reservation, usage, reported).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc/>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var prepared = Prepare(messages, options);
        var reservation = await Engine.ReserveAsync(Policy, prepared.Estimate, prepared.Context, cancellationToken).ConfigureAwait(false);

        UsageDetails? reportedUsage = null;
        var text = new StringBuilder();
        Exception? failure = null;
        var completed = false;
        IAsyncEnumerator<ChatResponseUpdate>? stream = null;
        // A consumer that stops reading and never disposes the enumerator: count what arrived, free the rest, stop the provider.
        await using var idle = new StreamIdleWatchdog(Engine.TimeProvider, Engine.Options.StreamIdleTimeout, async () =>
        {
            var (consumed, wasReported) = Reconcile(reportedUsage, prepared.Estimate, text.ToString());
            await Engine.CommitAsync(reservation, consumed, wasReported, UsageStatus.Cancelled, $"the stream was not read for {BudgetEngine.FormatDuration(Engine.Options.StreamIdleTimeout)}; GuardedAI cut it").ConfigureAwait(false);
            if (stream is not null) await stream.DisposeAsync().ConfigureAwait(false);
        });
        try
        {
            stream = base.GetStreamingResponseAsync(prepared.Messages, prepared.Options, cancellationToken).GetAsyncEnumerator(cancellationToken);
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

                foreach (var content in update.Contents)
                {
                    switch (content)
                    {
                        case UsageContent usage:
                            (reportedUsage ??= new UsageDetails()).Add(usage.Details);
                            break;
                        case TextContent t:
                            text.Append(t.Text);
                            break;
                        case TextReasoningContent r:
                            text.Append(r.Text);
                            break;
                    }
                }
                idle.Handing();
                yield return update;
                idle.Resumed();
            }
            completed = true;
        }
        finally
        {
            if (stream is not null)
            {
                try { await stream.DisposeAsync().ConfigureAwait(false); }
                catch (Exception ex) { failure ??= ex; }
            }

            // Whatever happened, what was consumed is counted: a stream abandoned half-way is not free.
            var (usage, reported) = Reconcile(reportedUsage, prepared.Estimate, text.ToString());
            if (completed)
            {
                await Engine.CommitAsync(reservation, usage, reported).ConfigureAwait(false);
            }
            else if (failure is not null && !(failure is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                await Engine.ReleaseAsync(reservation, UsageStatus.Failed, Describe(failure), usage).ConfigureAwait(false);
            }
            else
            {
                await Engine.CommitAsync(reservation, usage, reported, UsageStatus.Cancelled, "the stream was abandoned before it completed").ConfigureAwait(false);
            }
        }
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
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        var prepared = options?.Clone() ?? new ChatOptions();

        // Bound the reservation: the call's output is capped, so it cannot cost more than was reserved.
        var cap = Policy.MaxOutputTokens ?? FallbackMaxOutputTokens;
        if (prepared.MaxOutputTokens is not { } requested || requested > cap) prepared.MaxOutputTokens = cap;

        var (tenant, tags, remaining) = GuardCallContext.Read(prepared.AdditionalProperties, Tenant, Tags);
        prepared.AdditionalProperties = remaining;

        var model = prepared.ModelId ?? _defaultModel;
        var counter = string.Equals(model, _defaultModel, StringComparison.Ordinal) ? _counter : Engine.Tokenizers.ForModel(model);
        var estimate = Engine.Estimate(Policy, list, prepared, counter, model);
        var context = new ReservationContext { Tenant = tenant, Provider = _provider, Tags = tags };
        return new PreparedCall(list, prepared, estimate, context);
    }

    private (TokenUsage Usage, bool Reported) Reconcile(UsageDetails? reported, UsageEstimate estimate, string responseText) =>
        ResponseUsage.Read(reported, estimate, responseText, string.Equals(estimate.Model, _defaultModel, StringComparison.Ordinal) ? _counter : Engine.Tokenizers.ForModel(estimate.Model));

    private static string Describe(Exception ex) => $"{ex.GetType().Name}: {ex.Message}";

    private sealed record PreparedCall(IList<ChatMessage> Messages, ChatOptions Options, UsageEstimate Estimate, ReservationContext Context);
}
