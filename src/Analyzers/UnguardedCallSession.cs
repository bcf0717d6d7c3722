using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// The state of GAI001 for one compilation: the calls waiting on fields, properties or DI, the values written to
/// client fields and properties, and the registrations of chat clients, embedding generators, chat completion
/// services and agents. Filled concurrently by operation actions,
/// read once in the compilation-end action — so no action ever scans the compilation.
/// </summary>
internal sealed class UnguardedCallSession
{
    /// <summary>Diagnostic property telling the code fix that <see cref="Diagnostic.AdditionalLocations"/> are <c>.Build</c> calls to budget.</summary>
    public const string CanAddUseBudgetProperty = "CanAddUseBudget";

    private readonly GuardSymbols _symbols;
    private readonly LlmEntryPoints _entryPoints;
    private readonly ClientCatalog _catalog;
    private readonly ClientOriginEvaluator _evaluator;
    private readonly string _compilationKind;
    private readonly ConcurrentQueue<PendingCall> _pendingCalls = new();
    private readonly ConcurrentDictionary<ISymbol, ConcurrentQueue<ClientOrigin>> _memberWrites = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentQueue<Registration> _registrations = new();

    public UnguardedCallSession(Compilation compilation, GuardSymbols symbols, LlmEntryPoints entryPoints, ClientCatalog catalog)
    {
        _symbols = symbols;
        _entryPoints = entryPoints;
        _catalog = catalog;
        _evaluator = new ClientOriginEvaluator(symbols, catalog, entryPoints.AdviceFor);
        // A library never sees the application's registrations; messages say which of the two this is.
        _compilationKind = compilation.Options.OutputKind is OutputKind.DynamicallyLinkedLibrary or OutputKind.NetModule ? "library" : "project";
    }

    public void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        if (IsServiceRegistrationCandidate(method) || IsBuilderRegistration(method))
            RecordRegistration(invocation);

        if (_entryPoints.Match(method) is { } match)
            AnalyzeCall(context, method, match, OperationNavigation.GetReceiver(invocation));
    }

    /// <summary><c>Func&lt;string, ChatOptions?, CancellationToken, Task&lt;ChatResponse&gt;&gt; ask = client.GetResponseAsync;</c></summary>
    public void AnalyzeMethodReference(OperationAnalysisContext context)
    {
        var reference = (IMethodReferenceOperation)context.Operation;
        if (_entryPoints.Match(reference.Method) is { } match)
            AnalyzeCall(context, reference.Method, match, reference.Instance);
    }

    private void AnalyzeCall(OperationAnalysisContext context, IMethodSymbol method, EntryPointMatch match, IOperation? receiver)
    {
        var containingType = context.ContainingSymbol as INamedTypeSymbol ?? context.ContainingSymbol.ContainingType;

        // The SDK calling itself (its extensions, its service classes, its tool runner) forwards a user's call; inside a
        // client implementation (a provider adapter, a middleware, an agent decorator, an SDK service class) the call
        // forwards a request that the pipeline around it budgets. The guard belongs where the client is used.
        if (match.IsSdkOwnCode || IsClientImplementation(containingType) || IsExtensionForwarding(context.ContainingSymbol, receiver) ||
            _symbols.IsAllowed(context.Operation, context.ContainingSymbol))
        {
            return;
        }

        var location = context.Operation.Syntax.GetLocation();
        if (receiver is IConditionalAccessInstanceOperation conditionalInstance && FindConditionalAccess(conditionalInstance) is { } conditional)
        {
            // Report `client?.GetResponseAsync(...)` whole, not just `.GetResponseAsync(...)`.
            receiver = conditional.Operation;
            location = conditional.Syntax.GetLocation();
        }

        var origin = receiver is null
            ? ClientOrigin.Unguarded("it is a static call, not made through a budgeted client")
            : match.Advice is not null
                ? ClientOrigin.Unguarded(DescribeSdkClient(receiver, match.Advice))
                : _evaluator.Evaluate(receiver);

        var call = new PendingCall(location, DescribeMethod(method), DescribeReceiver(receiver), origin);
        switch (origin.Kind)
        {
            case OriginKind.Unguarded:
                context.ReportDiagnostic(CreateDiagnostic(DiagnosticDescriptors.UnguardedLlmCall, call, origin));
                break;
            case OriginKind.Deferred:
                _pendingCalls.Enqueue(call);
                break;
        }
    }

    /// <summary>
    /// <c>public static Task&lt;AgentResponse&gt; RunAsync(this AIAgent agent, ...) =&gt; agent.RunAsync(...)</c>: an extension
    /// overload of an entry point forwarding to its receiver. It is an entry point itself, reported where it is called.
    /// </summary>
    private bool IsExtensionForwarding(ISymbol containingSymbol, IOperation? receiver) =>
        containingSymbol is IMethodSymbol { IsExtensionMethod: true } extension &&
        receiver is not null &&
        OperationNavigation.Unwrap(receiver) is IParameterReferenceOperation { Parameter.Ordinal: 0 } parameter &&
        SymbolEqualityComparer.Default.Equals(parameter.Parameter.ContainingSymbol, extension) &&
        _entryPoints.Match(extension) is not null;

    private bool IsClientImplementation(INamedTypeSymbol? type) =>
        type is not null && type.TypeKind != TypeKind.Interface && _entryPoints.IsClientType(type);

    /// <summary>"is a ChatClient (OpenAI), which no GuardedAI budget wraps; call it as an IChatClient ...": the receiver's origin does not matter.</summary>
    private static string DescribeSdkClient(IOperation receiver, string advice)
    {
        var type = OperationNavigation.Unwrap(receiver).Type ?? receiver.Type;
        var name = type?.Name ?? "client";
        var assembly = type?.ContainingAssembly?.Name;
        var from = string.IsNullOrEmpty(assembly) ? "" : $" ({assembly})";
        return $"is {Article(name)} {name}{from}, which no GuardedAI budget wraps; {advice}";
    }

    private static string Article(string word) => word.Length > 0 && "AEIOU".IndexOf(word[0]) >= 0 ? "an" : "a";

    public void RecordMemberWrite(OperationAnalysisContext context)
    {
        switch (context.Operation)
        {
            case ISimpleAssignmentOperation assignment:
                Record(GetMember(assignment.Target), assignment.Value);
                break;
            case ICoalesceAssignmentOperation coalesce:
                Record(GetMember(coalesce.Target), coalesce.Value);
                break;
            case IFieldInitializerOperation fieldInitializer:
                foreach (var field in fieldInitializer.InitializedFields)
                    Record(field, fieldInitializer.Value);
                break;
            case IPropertyInitializerOperation propertyInitializer:
                foreach (var property in propertyInitializer.InitializedProperties)
                    Record(property, propertyInitializer.Value);
                break;
            case IReturnOperation { ReturnedValue: { } returned } when
                context.ContainingSymbol is IMethodSymbol { MethodKind: MethodKind.PropertyGet, AssociatedSymbol: IPropertySymbol property } &&
                !IsInNestedFunction(context.Operation):
                // `IChatClient Client => _client;` — a computed property is what its getter returns.
                Record(property, returned);
                break;
        }
    }

    private void Record(ISymbol? member, IOperation value)
    {
        // Only members declared in source are traced (a referenced assembly's property is judged by its type), so writes
        // to anything else are dropped before the type check.
        if (member is null || member.Locations.Length == 0 || !member.Locations[0].IsInSource || !_entryPoints.IsClientType(member.GetMemberType()))
            return;
        var writes = _memberWrites.GetOrAdd(member.OriginalDefinition, _ => new ConcurrentQueue<ClientOrigin>());
        writes.Enqueue(_evaluator.Evaluate(value));
    }

    private static ISymbol? GetMember(IOperation target) => target switch
    {
        IFieldReferenceOperation field => field.Field,
        IPropertyReferenceOperation { Property.IsIndexer: false } property => property.Property,
        _ => null,
    };

    private static bool IsInNestedFunction(IOperation operation)
    {
        for (var current = operation.Parent; current is not null; current = current.Parent)
        {
            if (current is IAnonymousFunctionOperation or ILocalFunctionOperation)
                return true;
        }
        return false;
    }

    /// <summary>Decides the calls that waited on fields, properties and DI, now that the whole compilation has been seen.</summary>
    public void ReportDeferred(CompilationAnalysisContext context)
    {
        if (_pendingCalls.IsEmpty)
            return;

        var resolver = new Resolver(this);
        foreach (var call in _pendingCalls)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var origin = resolver.Resolve(call.Origin);
            if (origin.Kind != OriginKind.Guarded)
                context.ReportDiagnostic(CreateDiagnostic(DiagnosticDescriptors.UnguardedLlmCallCompilationEnd, call, origin));
        }
    }

    /// <summary>
    /// Resolves deferred origins at compilation end: fields and properties through every write recorded for them, services
    /// through every registration of their kinds. Memoised; cycles (a field assigned from itself, a registration whose
    /// factory asks the container for the same service) add no new source of values.
    /// </summary>
    private sealed class Resolver
    {
        private readonly UnguardedCallSession _session;
        private readonly Registration[] _registrations;
        private readonly Dictionary<ISymbol, ClientOrigin> _members = new(SymbolEqualityComparer.Default);
        private readonly HashSet<ISymbol> _visitingMembers = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ServiceKinds, ClientOrigin> _services = new();
        private readonly HashSet<ServiceKinds> _visitingServices = new();

        public Resolver(UnguardedCallSession session)
        {
            _session = session;
            _registrations = session._registrations
                .OrderBy(r => r.Location.SourceTree?.FilePath, StringComparer.Ordinal)
                .ThenBy(r => r.Location.SourceSpan.Start)
                .ToArray();
        }

        public ClientOrigin Resolve(ClientOrigin origin)
        {
            if (origin.Kind != OriginKind.Deferred)
                return origin;

            var result = ClientOrigin.Guarded;
            foreach (var member in origin.Members)
            {
                result = ClientOrigin.Both(result, ResolveMember(member));
                if (result.Kind == OriginKind.Unguarded)
                    break;
            }
            foreach (var service in result.Kind == OriginKind.Unguarded ? ImmutableArray<ServiceRow>.Empty : origin.Services)
            {
                result = ClientOrigin.Both(result, ResolveService(service));
                if (result.Kind == OriginKind.Unguarded)
                    break;
            }
            return origin.Via is null ? result : result.ThroughWrapper(origin.Via);
        }

        private ClientOrigin ResolveMember(ISymbol member)
        {
            if (_members.TryGetValue(member, out var known))
                return known;
            if (!_visitingMembers.Add(member))
                return ClientOrigin.Guarded; // A cycle adds no new source of values: the other writes decide.

            ClientOrigin result;
            if (!_session._memberWrites.TryGetValue(member, out var writes) || writes.IsEmpty)
            {
                result = ClientOrigin.Unguarded($"comes from '{member.Name}', which is never assigned a budgeted client in this compilation");
            }
            else
            {
                result = ClientOrigin.Guarded;
                foreach (var write in writes)
                {
                    var resolved = Resolve(write);
                    if (resolved.Kind == OriginKind.Unguarded)
                    {
                        result = ClientOrigin.Both(ClientOrigin.Unguarded($"comes from '{member.Name}', which {resolved.Reason}"), resolved);
                        break;
                    }
                    result = ClientOrigin.Both(result, resolved);
                }
            }

            _visitingMembers.Remove(member);
            _members[member] = result;
            return result;
        }

        /// <summary>
        /// A value from DI (or a kernel's services) is guarded only if the compilation registers at least one service of
        /// the kinds it resolves from and every such registration is budgeted.
        /// </summary>
        private ClientOrigin ResolveService(ServiceRow service)
        {
            var kinds = service.ResolvesFrom;
            if (!_services.TryGetValue(kinds, out var result))
            {
                if (!_visitingServices.Add(kinds))
                    return ClientOrigin.Unguarded("is resolved from dependency injection by the registration that provides it");
                result = ResolveRegistrations(kinds);
                _visitingServices.Remove(kinds);
                _services[kinds] = result;
            }
            if (result.Kind == OriginKind.Guarded)
                return result;

            var source = service.AlwaysFromServices
                ? $"runs on the chat services registered for it"
                : "comes from dependency injection";
            return result.WithReason($"{source}, and {result.Reason}");
        }

        /// <summary>The registrations of <paramref name="kinds"/>: guarded, or unguarded with "…registration at F(12) does not …".</summary>
        private ClientOrigin ResolveRegistrations(ServiceKinds kinds)
        {
            var any = false;
            foreach (var registration in _registrations)
            {
                if ((registration.Kind & kinds) == 0)
                    continue;
                any = true;
                var origin = Resolve(registration.Origin);
                if (origin.Kind != OriginKind.Guarded)
                {
                    var line = registration.Location.GetLineSpan();
                    var row = ClientCatalog.RowFor(registration.Kind);
                    var what = registration.Connector is not null
                        ? $"({registration.Connector}) registers the provider directly, with no budget"
                        : $"does not {row?.Requirement ?? "go through UseBudget"}";
                    return ClientOrigin.Unguarded(
                        $"the {row?.DisplayName ?? "client"} registration at {System.IO.Path.GetFileName(line.Path)}({line.StartLinePosition.Line + 1}) {what}");
                }
            }
            if (any)
                return ClientOrigin.Guarded;

            var names = string.Join(" or ", EntryPointCatalog.Services.Where(r => r.Registers != ServiceKinds.None && (r.Registers & kinds) != 0).Select(r => r.DisplayName));
            return ClientOrigin.Unguarded(_session._compilationKind == "library"
                ? $"this library registers no {names} (the application's registrations cannot be seen from here)"
                : $"no {names} is registered in this project");
        }
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
            _registrations.Enqueue(new Registration(invocation.Syntax.GetLocation(), kind, origin, connector: null));
            return;
        }

        if (ClientCatalog.FindConnectorRegistration(method) is { } connector)
        {
            _registrations.Enqueue(new Registration(invocation.Syntax.GetLocation(), connector.Kind,
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
        _registrations.Enqueue(new Registration(invocation.Syntax.GetLocation(), service.Registers, registered, connector: null));
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

    private static IConditionalAccessOperation? FindConditionalAccess(IConditionalAccessInstanceOperation instance)
    {
        IOperation previous = instance;
        for (var current = instance.Parent; current is not null; previous = current, current = current.Parent)
        {
            if (current is IConditionalAccessOperation conditional && conditional.WhenNotNull == previous)
                return conditional;
        }
        return null;
    }

    private static Diagnostic CreateDiagnostic(DiagnosticDescriptor descriptor, PendingCall call, ClientOrigin origin)
    {
        var reason = MessageText.OneLine(origin.Reason ?? "is not a budgeted client");
        if (call.Receiver is not null)
        {
            // "'_plain' comes from '_plain', which is built ..." says the name twice: drop the first hop.
            var redundant = $"comes from '{call.Receiver}', which ";
            if (reason.StartsWith(redundant, StringComparison.Ordinal))
                reason = reason.Substring(redundant.Length);
            reason = $"'{call.Receiver}' {reason}";
        }
        var builds = origin.UnbudgetedBuilds.Where(l => l.IsInSource).Distinct().ToImmutableArray();
        var properties = builds.IsEmpty
            ? ImmutableDictionary<string, string?>.Empty
            : ImmutableDictionary<string, string?>.Empty.Add(CanAddUseBudgetProperty, "true");
        return Diagnostic.Create(descriptor, call.Location, builds, properties, MessageText.OneLine(call.Method), reason);
    }

    private static string DescribeMethod(IMethodSymbol method)
    {
        var definition = method.ReducedFrom ?? method;
        var owner = definition.IsExtensionMethod && definition.Parameters.Length > 0 ? definition.Parameters[0].Type.Name : definition.ContainingType.Name;
        return owner + "." + definition.Name;
    }

    private static string? DescribeReceiver(IOperation? receiver) =>
        receiver is null ? null : MessageText.Describe(OperationNavigation.Unwrap(receiver).Syntax);

    private sealed class PendingCall
    {
        public PendingCall(Location location, string method, string? receiver, ClientOrigin origin)
        {
            Location = location;
            Method = method;
            Receiver = receiver;
            Origin = origin;
        }

        public Location Location { get; }
        public string Method { get; }
        public string? Receiver { get; }
        public ClientOrigin Origin { get; }
    }

    private sealed class Registration
    {
        public Registration(Location location, ServiceKinds kind, ClientOrigin origin, string? connector)
        {
            Location = location;
            Kind = kind;
            Origin = origin;
            Connector = connector;
        }

        public Location Location { get; }
        public ServiceKinds Kind { get; }
        public ClientOrigin Origin { get; }

        /// <summary>The SDK helper that registered a provider directly (<c>AddOpenAIChatCompletion</c>), if it was one.</summary>
        public string? Connector { get; }
    }
}
