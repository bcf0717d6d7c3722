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
/// client fields and properties, and the <c>IChatClient</c> registrations. Filled concurrently by operation actions,
/// read once in the compilation-end action — so no action ever scans the compilation.
/// </summary>
internal sealed class UnguardedCallSession
{
    /// <summary>Diagnostic property telling the code fix that <see cref="Diagnostic.AdditionalLocations"/> are <c>.Build</c> calls to budget.</summary>
    public const string CanAddUseBudgetProperty = "CanAddUseBudget";

    private readonly GuardSymbols _symbols;
    private readonly LlmEntryPoints _entryPoints;
    private readonly ClientOriginEvaluator _evaluator;
    private readonly ConcurrentQueue<PendingCall> _pendingCalls = new();
    private readonly ConcurrentDictionary<ISymbol, ConcurrentQueue<ClientOrigin>> _memberWrites = new(SymbolEqualityComparer.Default);
    private readonly ConcurrentQueue<Registration> _registrations = new();

    public UnguardedCallSession(GuardSymbols symbols, LlmEntryPoints entryPoints)
    {
        _symbols = symbols;
        _entryPoints = entryPoints;
        _evaluator = new ClientOriginEvaluator(symbols);
    }

    public void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        if (_symbols.IChatClient is not null && IsServiceRegistrationCandidate(method))
            RecordRegistration(invocation);

        if (_entryPoints.IsEntryPoint(method))
            AnalyzeCall(context, method, ClientOriginEvaluator.GetReceiver(invocation));
    }

    /// <summary><c>Func&lt;string, ChatOptions?, CancellationToken, Task&lt;ChatResponse&gt;&gt; ask = client.GetResponseAsync;</c></summary>
    public void AnalyzeMethodReference(OperationAnalysisContext context)
    {
        var reference = (IMethodReferenceOperation)context.Operation;
        if (_entryPoints.IsEntryPoint(reference.Method))
            AnalyzeCall(context, reference.Method, reference.Instance);
    }

    private void AnalyzeCall(OperationAnalysisContext context, IMethodSymbol method, IOperation? receiver)
    {
        var containingType = context.ContainingSymbol as INamedTypeSymbol ?? context.ContainingSymbol.ContainingType;

        // Inside a chat client or embedding generator (a provider adapter, a middleware) the call forwards a request
        // that the pipeline around it budgets; the guard belongs where the pipeline is used.
        if (_symbols.IsClientImplementation(containingType) || _symbols.IsAllowed(context.Operation, context.ContainingSymbol))
            return;

        var location = context.Operation.Syntax.GetLocation();
        if (receiver is IConditionalAccessInstanceOperation conditionalInstance && FindConditionalAccess(conditionalInstance) is { } conditional)
        {
            // Report `client?.GetResponseAsync(...)` whole, not just `.GetResponseAsync(...)`.
            receiver = conditional.Operation;
            location = conditional.Syntax.GetLocation();
        }

        var origin = receiver is null
            ? ClientOrigin.Unguarded("it is a static call, not made through a budgeted client")
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
        if (member is null || !_entryPoints.IsClientType(member.GetMemberType()))
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

        var services = ResolveServices();
        var memo = new Dictionary<ISymbol, ClientOrigin>(SymbolEqualityComparer.Default);
        foreach (var call in _pendingCalls)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var origin = Resolve(call.Origin, services, memo, new HashSet<ISymbol>(SymbolEqualityComparer.Default));
            if (origin.Kind != OriginKind.Guarded)
                context.ReportDiagnostic(CreateDiagnostic(DiagnosticDescriptors.UnguardedLlmCallCompilationEnd, call, origin));
        }
    }

    private ClientOrigin Resolve(ClientOrigin origin, ClientOrigin? services, Dictionary<ISymbol, ClientOrigin> memo, HashSet<ISymbol> visiting)
    {
        if (origin.Kind != OriginKind.Deferred)
            return origin;

        var result = ClientOrigin.Guarded;
        foreach (var member in origin.Members)
        {
            result = ClientOrigin.Both(result, ResolveMember(member, services, memo, visiting));
            if (result.Kind == OriginKind.Unguarded)
                return result;
        }

        if (origin.DependsOnServices)
            result = ClientOrigin.Both(result, services ?? ClientOrigin.Unguarded("comes from dependency injection"));
        return result;
    }

    private ClientOrigin ResolveMember(ISymbol member, ClientOrigin? services, Dictionary<ISymbol, ClientOrigin> memo, HashSet<ISymbol> visiting)
    {
        if (memo.TryGetValue(member, out var known))
            return known;
        if (!visiting.Add(member))
            return ClientOrigin.Guarded; // A cycle adds no new source of values: the other writes decide.

        ClientOrigin result;
        if (!_memberWrites.TryGetValue(member, out var writes) || writes.IsEmpty)
        {
            result = ClientOrigin.Unguarded($"comes from '{member.Name}', which is never assigned a budgeted client in this compilation");
        }
        else
        {
            result = ClientOrigin.Guarded;
            foreach (var write in writes)
            {
                var resolved = Resolve(write, services, memo, visiting);
                if (resolved.Kind == OriginKind.Unguarded)
                {
                    result = ClientOrigin.Both(ClientOrigin.Unguarded($"comes from '{member.Name}', which {resolved.Reason}"), resolved);
                    break;
                }
                result = ClientOrigin.Both(result, resolved);
            }
        }

        visiting.Remove(member);
        memo[member] = result;
        return result;
    }

    /// <summary>A DI-supplied IChatClient is guarded only if every registration in the compilation goes through UseBudget.</summary>
    private ClientOrigin ResolveServices()
    {
        var registrations = _registrations.ToArray();
        if (registrations.Length == 0)
            return ClientOrigin.Unguarded("comes from dependency injection, and no IChatClient registration in this compilation goes through UseBudget");

        var memo = new Dictionary<ISymbol, ClientOrigin>(SymbolEqualityComparer.Default);
        foreach (var registration in registrations.OrderBy(r => r.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(r => r.Location.SourceSpan.Start))
        {
            // A registration whose factory itself depends on DI cannot prove anything: treat it as unguarded.
            var origin = Resolve(registration.Origin, ClientOrigin.Unguarded("is resolved from dependency injection"), memo, new HashSet<ISymbol>(SymbolEqualityComparer.Default));
            if (origin.Kind != OriginKind.Guarded)
            {
                var line = registration.Location.GetLineSpan();
                return ClientOrigin.Unguarded(
                    $"comes from dependency injection, and the IChatClient registration at {System.IO.Path.GetFileName(line.Path)}({line.StartLinePosition.Line + 1}) does not go through UseBudget");
            }
        }
        return ClientOrigin.Guarded;
    }

    private static bool IsServiceRegistrationCandidate(IMethodSymbol method) =>
        (method.Name.StartsWith("Add", StringComparison.Ordinal) || method.Name.StartsWith("TryAdd", StringComparison.Ordinal)) &&
        method.ContainingNamespace?.ToDisplayString().StartsWith("Microsoft.Extensions.DependencyInjection", StringComparison.Ordinal) == true;

    /// <summary>
    /// Records a registration of IChatClient: <c>AddChatClient</c>/<c>AddKeyedChatClient</c> (guarded when the builder they
    /// return calls UseBudget in the same expression), or <c>AddSingleton&lt;IChatClient&gt;</c>/<c>AddScoped</c>/<c>TryAdd…</c>
    /// and their <c>typeof(IChatClient)</c> forms (guarded when the implementation, instance or factory result is budgeted).
    /// </summary>
    private void RecordRegistration(IInvocationOperation invocation)
    {
        var method = invocation.TargetMethod;
        if (_symbols.IsBuilderType(method.ReturnType) && SymbolEqualityComparer.Default.Equals(method.ReturnType, _symbols.ChatClientBuilder))
        {
            var origin = FluentChainHasUseBudget(invocation) ? ClientOrigin.Guarded : EvaluateRegisteredValue(invocation, skipTypeOf: false);
            _registrations.Enqueue(new Registration(invocation.Syntax.GetLocation(), origin));
            return;
        }

        ITypeSymbol? implementation = null;
        var isChatClientService = false;
        if (method.TypeArguments.Length > 0 && _symbols.IsChatClientType(method.TypeArguments[0]))
        {
            isChatClientService = true;
            if (method.TypeArguments.Length > 1)
                implementation = method.TypeArguments[1];
        }
        else
        {
            var typeOfs = invocation.Arguments.Select(a => ClientOriginEvaluator.Unwrap(a.Value)).OfType<ITypeOfOperation>().ToArray();
            if (typeOfs.Length > 0 && _symbols.IsChatClientType(typeOfs[0].TypeOperand))
            {
                isChatClientService = true;
                if (typeOfs.Length > 1)
                    implementation = typeOfs[1].TypeOperand;
            }
        }

        if (!isChatClientService)
            return;

        var registered = implementation is not null
            ? (_symbols.IsGuardType(implementation) ? ClientOrigin.Guarded : ClientOrigin.Unguarded($"registers {implementation.Name}, which is not a budgeted client"))
            : EvaluateRegisteredValue(invocation, skipTypeOf: true);
        _registrations.Enqueue(new Registration(invocation.Syntax.GetLocation(), registered));
    }

    /// <summary>The instance or factory a registration hands to the container.</summary>
    private ClientOrigin EvaluateRegisteredValue(IInvocationOperation invocation, bool skipTypeOf)
    {
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter is null || argument.Parameter.Ordinal == 0 && invocation.TargetMethod.IsExtensionMethod)
                continue;
            var value = ClientOriginEvaluator.Unwrap(argument.Value);
            if (value is IDelegateCreationOperation or IAnonymousFunctionOperation)
                return _evaluator.Evaluate(value);
            if (skipTypeOf && value is ITypeOfOperation)
                continue;
            if (_entryPoints.IsClientType(argument.Parameter.Type) || _symbols.IsChatClientType(argument.Parameter.Type))
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
        var reason = origin.Reason ?? "is not a budgeted client";
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
        return Diagnostic.Create(descriptor, call.Location, builds, properties, call.Method, reason);
    }

    private static string DescribeMethod(IMethodSymbol method)
    {
        var definition = method.ReducedFrom ?? method;
        var owner = definition.IsExtensionMethod && definition.Parameters.Length > 0 ? definition.Parameters[0].Type.Name : definition.ContainingType.Name;
        return owner + "." + definition.Name;
    }

    private static string? DescribeReceiver(IOperation? receiver)
    {
        if (receiver is null)
            return null;
        var text = ClientOriginEvaluator.Unwrap(receiver).Syntax.ToString();
        return text.Length <= 60 ? text : text.Substring(0, 57) + "...";
    }

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
        public Registration(Location location, ClientOrigin origin)
        {
            Location = location;
            Origin = origin;
        }

        public Location Location { get; }
        public ClientOrigin Origin { get; }
    }
}
