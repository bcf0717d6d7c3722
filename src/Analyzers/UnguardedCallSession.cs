using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// The state of GAI001 for one compilation: the calls waiting on fields, properties or DI, the values written to
/// client fields and properties (<see cref="ClientMemberWrites"/>), and the registrations of chat clients, embedding
/// generators, chat completion services and agents (<see cref="ServiceRegistrations"/>). Filled concurrently by
/// operation actions, read once in the compilation-end action — so no action ever scans the compilation.
/// </summary>
internal sealed class UnguardedCallSession
{
    /// <summary>Diagnostic property telling the code fix that <see cref="Diagnostic.AdditionalLocations"/> are <c>.Build</c> calls to budget.</summary>
    public const string CanAddUseBudgetProperty = "CanAddUseBudget";

    private readonly GuardSymbols _symbols;
    private readonly LlmEntryPoints _entryPoints;
    private readonly ClientOriginEvaluator _evaluator;
    private readonly string _compilationKind;
    private readonly ConcurrentQueue<PendingCall> _pendingCalls = new();
    private readonly ClientMemberWrites _memberWrites;
    private readonly ServiceRegistrations _registrations;

    public UnguardedCallSession(Compilation compilation, GuardSymbols symbols, LlmEntryPoints entryPoints, ClientCatalog catalog)
    {
        _symbols = symbols;
        _entryPoints = entryPoints;
        _evaluator = new ClientOriginEvaluator(symbols, catalog, entryPoints.AdviceFor);
        _memberWrites = new ClientMemberWrites(entryPoints, _evaluator);
        _registrations = new ServiceRegistrations(symbols, entryPoints, catalog, _evaluator);
        // A library never sees the application's registrations; messages say which of the two this is.
        _compilationKind = compilation.Options.OutputKind is OutputKind.DynamicallyLinkedLibrary or OutputKind.NetModule ? "library" : "project";
    }

    public void AnalyzeInvocation(OperationAnalysisContext context)
    {
        var invocation = (IInvocationOperation)context.Operation;
        var method = invocation.TargetMethod;

        _registrations.RecordIfRegistration(invocation);

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

    public void RecordMemberWrite(OperationAnalysisContext context) => _memberWrites.RecordWrite(context);

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

        var reported = context.Operation.Syntax;
        if (receiver is IConditionalAccessInstanceOperation conditionalInstance && FindConditionalAccess(conditionalInstance) is { } conditional)
        {
            // Report `client?.GetResponseAsync(...)` whole, not just `.GetResponseAsync(...)`.
            receiver = conditional.Operation;
            reported = conditional.Syntax;
        }

        var origin = receiver is null
            ? ClientOrigin.Unguarded("it is a static call, not made through a budgeted client")
            : match.Advice is not null
                ? ClientOrigin.Unguarded(UnguardedCallDiagnostic.DescribeSdkClient(receiver, match.Advice))
                : _evaluator.Evaluate(receiver);

        // Most calls in a guarded project are guarded: their message parts are never built.
        switch (origin.Kind)
        {
            case OriginKind.Unguarded:
                context.ReportDiagnostic(UnguardedCallDiagnostic.Create(DiagnosticDescriptors.UnguardedLlmCall, Pending(reported, method, receiver, origin), origin));
                break;
            case OriginKind.Deferred:
                _pendingCalls.Enqueue(Pending(reported, method, receiver, origin));
                break;
        }
    }

    private static PendingCall Pending(SyntaxNode reported, IMethodSymbol method, IOperation? receiver, ClientOrigin origin) =>
        new(reported.GetLocation(), UnguardedCallDiagnostic.DescribeMethod(method), UnguardedCallDiagnostic.DescribeReceiver(receiver), origin);

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

    /// <summary>Decides the calls that waited on fields, properties and DI, now that the whole compilation has been seen.</summary>
    public void ReportDeferred(CompilationAnalysisContext context)
    {
        if (_pendingCalls.IsEmpty)
            return;

        var resolver = new DeferredOriginResolver(_memberWrites, _registrations.All, _compilationKind);
        foreach (var call in _pendingCalls)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            var origin = resolver.Resolve(call.Origin);
            if (origin.Kind != OriginKind.Guarded)
                context.ReportDiagnostic(UnguardedCallDiagnostic.Create(DiagnosticDescriptors.UnguardedLlmCallCompilationEnd, call, origin));
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
}
