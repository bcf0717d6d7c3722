using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// The registrations of chat clients, embedding generators, chat completion services and agents in one compilation,
/// gathered concurrently by operation actions and read at compilation end by <see cref="DeferredOriginResolver"/>.
/// </summary>
internal sealed class ServiceRegistrations
{
    private readonly GuardSymbols _symbols;
    private readonly LlmEntryPoints _entryPoints;
    private readonly ClientCatalog _catalog;
    private readonly ClientOriginEvaluator _evaluator;
    private readonly ConcurrentQueue<ServiceRegistration> _registrations = new();

    public ServiceRegistrations(GuardSymbols symbols, LlmEntryPoints entryPoints, ClientCatalog catalog, ClientOriginEvaluator evaluator)
    {
        _symbols = symbols;
        _entryPoints = entryPoints;
        _catalog = catalog;
        _evaluator = evaluator;
    }

    /// <summary>Every registration recorded so far, in no particular order.</summary>
    public IEnumerable<ServiceRegistration> All => _registrations;

    /// <summary>Records <paramref name="invocation"/> when it is a registration of a traced service.</summary>
    public void RecordIfRegistration(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (IsServiceRegistrationCandidate(method) || IsBuilderRegistration(method))
            RecordRegistration(invocation);
    }

    /// <summary>
    /// <c>AddChatClient</c>-style helpers from any library (Microsoft.Extensions.AI's, .NET Aspire's
    /// <c>builder.AddOpenAIClientFromConfiguration("chat").AddChatClient()</c>, ...): an <c>Add…</c> method that returns the
    /// ChatClientBuilder or EmbeddingGeneratorBuilder of what it registers.
    /// </summary>
    private bool IsBuilderRegistration(IMethodSymbol method) =>
        method.Name.StartsWith("Add", StringComparison.Ordinal) && _symbols.IsBuilderType(method.ReturnType);

    // Called for every invocation named Add… (list.Add included): compares namespace names without building strings.
    private static bool IsServiceRegistrationCandidate(IMethodSymbol method) =>
        (method.Name.StartsWith("Add", StringComparison.Ordinal) || method.Name.StartsWith("TryAdd", StringComparison.Ordinal)) &&
        (IsInDependencyInjectionNamespace(method.ContainingNamespace) || ClientCatalog.FindConnectorRegistration(method) is not null);

    /// <summary>Microsoft.Extensions.DependencyInjection or a namespace inside it (…DependencyInjection.Extensions).</summary>
    private static bool IsInDependencyInjectionNamespace(INamespaceSymbol? ns)
    {
        for (; ns is not null && !ns.IsGlobalNamespace; ns = ns.ContainingNamespace)
        {
            if (ns.Name == "DependencyInjection" && ns.ContainingNamespace is { Name: "Extensions" } extensions &&
                extensions.ContainingNamespace is { Name: "Microsoft" } microsoft && microsoft.ContainingNamespace is { IsGlobalNamespace: true })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Records a registration of a traced service (IChatClient, IEmbeddingGenerator, IChatCompletionService, AIAgent):
    /// <c>AddChatClient</c>/<c>AddEmbeddingGenerator</c> and their keyed forms (guarded when the builder they return calls
    /// UseBudget in the same expression), <c>AddSingleton&lt;IChatClient&gt;</c>/<c>AddScoped</c>/<c>TryAdd…</c> and their
    /// <c>typeof(IChatClient)</c> forms (guarded when the implementation, instance or factory result is budgeted), and SDK
    /// connector helpers such as <c>AddOpenAIChatCompletion</c> (never guarded).
    /// </summary>
    private void RecordRegistration(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (_symbols.IsBuilderType(method.ReturnType))
        {
            var kind = SymbolEqualityComparer.Default.Equals(method.ReturnType.OriginalDefinition, _symbols.ChatClientBuilder)
                ? ServiceKinds.ChatClient
                : ServiceKinds.EmbeddingGenerator;
            var origin = FluentChainHasUseBudget(invocation) ? ClientOrigin.Guarded : EvaluateRegisteredValue(invocation, skipTypeOf: false);
            _registrations.Enqueue(new ServiceRegistration(invocation.Syntax.GetLocation(), kind, origin, connector: null));
            return;
        }

        if (ClientCatalog.FindConnectorRegistration(method) is { } connector)
        {
            _registrations.Enqueue(new ServiceRegistration(invocation.Syntax.GetLocation(), connector.Kind,
                ClientOrigin.Unguarded("registers the provider directly"), connector: method.Name));
            return;
        }

        ITypeSymbol? implementation = null;
        ServiceRow? service = null;
        if (method.TypeArguments.Length > 0 && _catalog.FindService(method.TypeArguments[0]) is { Registers: not ServiceKinds.None } generic)
        {
            service = generic;
            if (method.TypeArguments.Length > 1)
                implementation = method.TypeArguments[1];
        }
        else
        {
            var typeOfs = invocation.Arguments.Select(a => OperationNavigation.Unwrap(a.Value)).OfType<ITypeOfOperation>().ToArray();
            if (typeOfs.Length > 0 && _catalog.FindService(typeOfs[0].TypeOperand) is { Registers: not ServiceKinds.None } typeOf)
            {
                service = typeOf;
                if (typeOfs.Length > 1)
                    implementation = typeOfs[1].TypeOperand;
            }
        }

        if (service is null)
            return;

        var registered = implementation is not null
            ? (_symbols.IsGuardType(implementation) ? ClientOrigin.Guarded : ClientOrigin.Unguarded($"registers {implementation.Name}, which is not a budgeted client"))
            : EvaluateRegisteredValue(invocation, skipTypeOf: true);
        _registrations.Enqueue(new ServiceRegistration(invocation.Syntax.GetLocation(), service.Registers, registered, connector: null));
    }

    /// <summary>The instance or factory a registration hands to the container.</summary>
    private ClientOrigin EvaluateRegisteredValue(IInvocationOperation invocation, bool skipTypeOf)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null || argument.Parameter.Ordinal == 0 && invocation.TargetMethod.IsExtensionMethod)
                continue;
            var value = OperationNavigation.Unwrap(argument.Value);
            if (value is IDelegateCreationOperation or IAnonymousFunctionOperation)
                return _evaluator.Evaluate(value);
            if (skipTypeOf && value is ITypeOfOperation)
                continue;
            if (_entryPoints.IsClientType(argument.Parameter.Type) || _catalog.IsTracedClientType(argument.Parameter.Type))
                return _evaluator.Evaluate(argument.Value);
        }
        return ClientOrigin.Unguarded("registers a client the analysis cannot see");
    }

    /// <summary><c>services.AddChatClient(inner).UseFunctionInvocation().UseBudget("x")</c>: UseBudget anywhere on the returned builder.</summary>
    private bool FluentChainHasUseBudget(IInvocationOperation registration)
    {
        IOperation current = registration;
        while (true)
        {
            var parent = current.Parent;
            while (parent is IConversionOperation)
                parent = parent.Parent;

            IInvocationOperation? next = parent switch
            {
                IInvocationOperation instanceCall when instanceCall.Instance is not null => instanceCall,
                IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation extensionCall } when extensionCall.TargetMethod.IsExtensionMethod => extensionCall,
                _ => null,
            };
            if (next is null)
                return false;
            if (GuardSymbols.IsUseBudget(next.TargetMethod))
                return true;
            if (!_symbols.IsBuilderType(next.TargetMethod.ReturnType))
                return false;
            current = next;
        }
    }
}
