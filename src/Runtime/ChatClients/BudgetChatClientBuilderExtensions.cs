using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace GuardedAI;

/// <summary>Adds a <see cref="BudgetChatClient"/> to a <see cref="ChatClientBuilder"/> pipeline.</summary>
/// <remarks>Call it last, after <c>UseFunctionInvocation()</c> and other middleware, so the guard sits next to the provider.</remarks>
public static class BudgetChatClientBuilderExtensions
{
    /// <summary>Guards the pipeline with the budget named <paramref name="budgetName"/>, registered with the
    /// <see cref="BudgetEngine"/> in the builder's services (see <c>AddGuardedAI</c>).</summary>
    public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, string budgetName, Action<BudgetChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(budgetName);
        return builder.Use((inner, services) =>
        {
            var (engine, policy) = BudgetServices.Resolve(services, budgetName);
            return Create(inner, engine, policy, configure);
        });
    }

    /// <summary>Guards the pipeline with <paramref name="policy"/> on <paramref name="engine"/>.</summary>
    public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, BudgetEngine engine, BudgetPolicy policy, Action<BudgetChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        return builder.Use(inner => Create(inner, engine, policy, configure));
    }

    /// <summary>Guards the pipeline with <paramref name="policy"/> on the <see cref="BudgetEngine"/> in the builder's services.</summary>
    public static ChatClientBuilder UseBudget(this ChatClientBuilder builder, BudgetPolicy policy, Action<BudgetChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(policy);
        return builder.Use((inner, services) => Create(inner,
            services.GetService<BudgetEngine>() ?? throw new InvalidOperationException("UseBudget(policy) needs a BudgetEngine in the service provider: call services.AddGuardedAI(...)."),
            policy, configure));
    }

    /// <summary>
    /// Puts every provider request of one user call — a whole tool loop — under the run limits of <paramref name="policy"/>
    /// on <paramref name="engine"/>. Call it before <c>UseFunctionInvocation()</c>, with <c>UseBudget</c> after it.
    /// </summary>
    public static ChatClientBuilder UseRunBudget(this ChatClientBuilder builder, BudgetEngine engine, BudgetPolicy policy, Action<RunBudgetChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(policy);
        return builder.Use(inner => CreateRun(inner, engine, policy, configure));
    }

    /// <summary>Puts each user call's tool loop under the run limits of the budget named <paramref name="budgetName"/>, on the
    /// engine in the builder's services.</summary>
    public static ChatClientBuilder UseRunBudget(this ChatClientBuilder builder, string budgetName, Action<RunBudgetChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(budgetName);
        return builder.Use((inner, services) =>
        {
            var (engine, policy) = BudgetServices.Resolve(services, budgetName);
            return CreateRun(inner, engine, policy, configure);
        });
    }

    private static RunBudgetChatClient CreateRun(IChatClient inner, BudgetEngine engine, BudgetPolicy policy, Action<RunBudgetChatClient>? configure)
    {
        var client = new RunBudgetChatClient(inner, engine, policy);
        configure?.Invoke(client);
        return client;
    }

    private static BudgetChatClient Create(IChatClient inner, BudgetEngine engine, BudgetPolicy policy, Action<BudgetChatClient>? configure)
    {
        var client = new BudgetChatClient(inner, engine, policy);
        configure?.Invoke(client);
        return client;
    }
}
