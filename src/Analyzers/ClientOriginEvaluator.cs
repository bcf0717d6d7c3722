using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// Traces a client value back to where it was made, within one method body (locals, lambdas, local functions) and
/// symbolically beyond it (fields, properties and DI are <see cref="OriginKind.Deferred"/>). Never scans the
/// compilation: the cost is bounded by the size of the method that holds the value.
/// </summary>
internal sealed class ClientOriginEvaluator
{
    private const int MaxDepth = 8;
    private readonly GuardSymbols _symbols;
    private readonly ClientCatalog _catalog;
    private readonly Func<ITypeSymbol?, string?> _adviceFor;

    public ClientOriginEvaluator(GuardSymbols symbols, ClientCatalog catalog, Func<ITypeSymbol?, string?> adviceFor)
    {
        _symbols = symbols;
        _catalog = catalog;
        _adviceFor = adviceFor;
    }

    public ClientOrigin Evaluate(IOperation? value) => Evaluate(value, 0);

    private ClientOrigin Evaluate(IOperation? value, int depth)
    {
        if (value is null)
            return ClientOrigin.Unguarded("has no value the analysis can see");
        if (depth > MaxDepth)
            return ClientOrigin.Unguarded("is assigned through too many steps to follow");

        // Every level counts: `(IChatClient)guard` and `IChatClient c = guard` keep the guard's static type one level down.
        while (true)
        {
            if (_symbols.IsGuardType(value.Type))
                return ClientOrigin.Guarded;
            if (value is IConversionOperation conversion)
                value = conversion.Operand;
            else if (value is IParenthesizedOperation parenthesized)
                value = parenthesized.Operand;
            else
                break;
        }

        // A Semantic Kernel kernel runs on the chat services registered for it, however the kernel itself was made.
        if (_catalog.FindService(value.Type) is { AlwaysFromServices: true } alwaysFromServices)
            return ClientOrigin.FromServices(alwaysFromServices);

        switch (value)
        {
            case IInvocationOperation invocation when invocation.TargetMethod.Name == "Build" && _symbols.IsBuilderType(invocation.TargetMethod.ContainingType):
                return EvaluateBuild(invocation, depth);

            case IInvocationOperation invocation when IsServiceLocator(invocation.TargetMethod):
                return FromServices(invocation.Type);

            case IInvocationOperation invocation when _catalog.MatchWrapperCall(invocation.TargetMethod) is { } inner:
                return EvaluateWrapperCall(invocation, inner, depth);

            case IObjectCreationOperation creation when _catalog.IsWrapperConstructor(creation.Type as INamedTypeSymbol) &&
                                                        FindInnerClientArgument(creation.Arguments) is { } innerArgument:
                return EvaluateWrapped(innerArgument, depth);

            case ILocalReferenceOperation local:
                return EvaluateLocal(local.Local, Root(local), depth);

            case IFieldReferenceOperation field:
                return EvaluateMember(field.Field);

            case IPropertyReferenceOperation property when !property.Property.IsIndexer:
                return EvaluateMember(property.Property);

            case IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.PropertySet, AssociatedSymbol: IPropertySymbol property } }:
                // `set => _client = value;`: the field holds whatever the property is assigned.
                return EvaluateMember(property);

            case IParameterReferenceOperation parameter:
                return IsInjected(parameter.Parameter)
                    ? FromServices(parameter.Parameter.Type)
                    : ClientOrigin.Unguarded($"comes from parameter '{parameter.Parameter.Name}', which the analysis does not trace to its callers");

            case IConditionalOperation conditional:
                return ClientOrigin.Both(Evaluate(conditional.WhenTrue, depth + 1), Evaluate(conditional.WhenFalse, depth + 1));

            case ICoalesceOperation coalesce:
                return ClientOrigin.Both(Evaluate(coalesce.Value, depth + 1), Evaluate(coalesce.WhenNull, depth + 1));

            case IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda }:
                return EvaluateReturns(lambda.Body, depth);

            case IAnonymousFunctionOperation lambda:
                return EvaluateReturns(lambda.Body, depth);

            default:
                return Plain(value.Type);
        }
    }

    /// <summary>A value the analysis cannot trace further: a provider SDK client gets the advice of its catalogue row.</summary>
    private ClientOrigin Plain(ITypeSymbol? type)
    {
        if (type is null)
            return ClientOrigin.Unguarded("is not a budgeted client");
        if (_adviceFor(type) is { } advice)
        {
            var article = "AEIOU".IndexOf(type.Name.Length > 0 ? type.Name[0] : 'x') >= 0 ? "an" : "a";
            return ClientOrigin.Unguarded($"is {article} {type.Name} ({type.ContainingAssembly?.Name}), which no GuardedAI budget wraps; {advice}");
        }
        return ClientOrigin.Unguarded($"is a plain {type.Name}, not a budgeted client");
    }

    /// <summary>
    /// A value the container supplies. A chat client, an embedding generator, a chat completion service or an agent waits
    /// for the registration check (their registrations can be budgeted); any other client from DI (an SDK client) is not
    /// a budgeted client.
    /// </summary>
    private ClientOrigin FromServices(ITypeSymbol? type) =>
        _catalog.FindService(type) is { } service
            ? ClientOrigin.FromServices(service)
            : ClientOrigin.Unguarded($"is a plain {type?.Name} from dependency injection, not a budgeted client");

    /// <summary><c>chatClient.AsAIAgent()</c>, <c>agent.AsBuilder().Use(...).Build()</c>, <c>builder.BuildAIAgent()</c>.</summary>
    private ClientOrigin EvaluateWrapperCall(IInvocationOperation invocation, InnerClient inner, int depth)
    {
        switch (inner)
        {
            case InnerClient.Pipeline:
                var builder = GetReceiver(invocation);
                if (builder is not null && PipelineHasBudget(builder, Root(invocation), depth))
                    return ClientOrigin.Guarded;
                return ClientOrigin.UnbudgetedBuild(
                    "is built by a ChatClientBuilder pipeline that never calls UseBudget",
                    builder is not null && SymbolEqualityComparer.Default.Equals(Unwrap(builder).Type?.OriginalDefinition, _symbols.ChatClientBuilder) ? GetBuildLocation(invocation) : null);
            case InnerClient.Receiver:
                return EvaluateWrapped(GetReceiver(invocation), depth);
            default:
                return EvaluateWrapped(FindInnerClientArgument(invocation.Arguments), depth);
        }
    }

    /// <summary>A wrapper is as budgeted as the client it wraps; its reason names that client once.</summary>
    private ClientOrigin EvaluateWrapped(IOperation? inner, int depth) =>
        inner is null
            ? ClientOrigin.Unguarded("wraps a client the analysis cannot see")
            : Evaluate(inner, depth + 1).ThroughWrapper(MessageText.Describe(Unwrap(inner).Syntax));

    /// <summary>The client a wrapper's constructor takes: the first argument of a traced client type, or a factory returning one.</summary>
    private IOperation? FindInnerClientArgument(ImmutableArray<IArgumentOperation> arguments)
    {
        foreach (var argument in arguments)
        {
            if (_catalog.IsTracedClientType(argument.Parameter?.Type) && argument.ArgumentKind != ArgumentKind.DefaultValue)
                return argument.Value;
        }
        foreach (var argument in arguments)
        {
            if (Unwrap(argument.Value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                _catalog.IsTracedClientType(lambda.Symbol.ReturnType))
            {
                return lambda;
            }
        }
        return null;
    }

    /// <summary>The values a factory lambda can return (a DI factory, <c>Use(inner =&gt; ...)</c>).</summary>
    public ClientOrigin EvaluateReturns(IOperation body, int depth)
    {
        ClientOrigin? result = null;
        foreach (var descendant in DescendantsSkippingNestedFunctions(body))
        {
            if (descendant is IReturnOperation { ReturnedValue: { } returned })
            {
                var origin = Evaluate(returned, depth + 1);
                result = result is null ? origin : ClientOrigin.Both(result, origin);
            }
        }
        return result ?? ClientOrigin.Unguarded("is made by a function that returns no client");
    }

    private ClientOrigin EvaluateMember(ISymbol member)
    {
        if (_symbols.IsGuardType(member.GetMemberType()))
            return ClientOrigin.Guarded;

        foreach (var location in member.Locations)
        {
            if (location.IsInSource)
                return ClientOrigin.DependsOn(member.OriginalDefinition);
        }
        // Declared in a referenced assembly (anthropic.Messages, someLibrary.Client): nothing to trace.
        return Plain(member.GetMemberType());
    }

    private ClientOrigin EvaluateBuild(IInvocationOperation build, int depth)
    {
        if (PipelineHasBudget(build.Instance, Root(build), depth))
            return ClientOrigin.Guarded;

        // Only a ChatClientBuilder has UseBudget; an embedding pipeline cannot be fixed by inserting it.
        var fixable = SymbolEqualityComparer.Default.Equals(build.TargetMethod.ContainingType.OriginalDefinition, _symbols.ChatClientBuilder);
        return ClientOrigin.UnbudgetedBuild(
            $"is built by {Article(build.TargetMethod.ContainingType.Name)} {build.TargetMethod.ContainingType.Name} pipeline that never calls UseBudget",
            fixable ? GetBuildLocation(build) : null);
    }

    private static string Article(string word) => word.Length > 0 && "AEIOU".IndexOf(word[0]) >= 0 ? "an" : "a";

    /// <summary>The span the code fix rewrites: <c>receiver.Build</c> of <c>receiver.Build(...)</c> (or <c>.BuildAIAgent</c>).</summary>
    private static Location? GetBuildLocation(IInvocationOperation build) =>
        build.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax memberAccess } ? memberAccess.GetLocation() : null;

    /// <summary>Whether a builder pipeline calls UseBudget, or wraps a client that is already budgeted.</summary>
    private bool PipelineHasBudget(IOperation? builder, IOperation root, int depth)
    {
        for (var step = 0; builder is not null && step < 64; step++)
        {
            builder = Unwrap(builder);
            switch (builder)
            {
                case IInvocationOperation invocation:
                    var method = invocation.TargetMethod;
                    if (GuardSymbols.IsUseBudget(method) || IsUseOfGuard(invocation, depth))
                        return true;
                    var receiver = GetReceiver(invocation);
                    if (receiver is null)
                        return false;
                    if (!_symbols.IsBuilderType(Unwrap(receiver).Type))
                    {
                        // client.AsBuilder(): the pipeline wraps `client`.
                        return method.Name == "AsBuilder" && Evaluate(receiver, depth + 1).Kind == OriginKind.Guarded;
                    }
                    builder = receiver;
                    break;

                case IObjectCreationOperation creation:
                    foreach (var argument in creation.Arguments)
                    {
                        if (_symbols.IsChatClientType(argument.Parameter?.Type) && Evaluate(argument.Value, depth + 1).Kind == OriginKind.Guarded)
                            return true;
                    }
                    return false;

                case ILocalReferenceOperation local:
                    return LocalBuilderHasBudget(local.Local, root, depth);

                default:
                    return false;
            }
        }
        return false;
    }

    /// <summary><c>var b = new ChatClientBuilder(x); b.UseBudget("a");</c> — a statement on the builder local counts too.</summary>
    private bool LocalBuilderHasBudget(ILocalSymbol local, IOperation root, int depth)
    {
        foreach (var operation in root.Descendants())
        {
            if (operation is IInvocationOperation invocation && GuardSymbols.IsUseBudget(invocation.TargetMethod) &&
                GetReceiver(invocation) is { } receiver && Unwrap(receiver) is ILocalReferenceOperation reference &&
                SymbolEqualityComparer.Default.Equals(reference.Local, local))
            {
                return true;
            }
        }

        var any = false;
        foreach (var write in FindWrites(local, root))
        {
            if (write is null || !PipelineHasBudget(write, root, depth + 1))
                return false;
            any = true;
        }
        return any;
    }

    /// <summary><c>builder.Use(inner =&gt; new BudgetChatClient(inner, engine, policy))</c>.</summary>
    private bool IsUseOfGuard(IInvocationOperation invocation, int depth)
    {
        if (invocation.TargetMethod.Name != "Use")
            return false;
        foreach (var argument in invocation.Arguments)
        {
            if (Unwrap(argument.Value) is IDelegateCreationOperation { Target: IAnonymousFunctionOperation lambda } &&
                EvaluateReturns(lambda.Body, depth).Kind == OriginKind.Guarded)
            {
                return true;
            }
        }
        return false;
    }

    private ClientOrigin EvaluateLocal(ILocalSymbol local, IOperation root, int depth)
    {
        if (_symbols.IsGuardType(local.Type))
            return ClientOrigin.Guarded;

        ClientOrigin? result = null;
        foreach (var write in FindWrites(local, root))
        {
            var origin = write is null
                ? ClientOrigin.Unguarded($"is assigned through an out/ref argument, a pattern or a loop, which the analysis does not follow")
                : Evaluate(write, depth + 1);
            result = result is null ? origin : ClientOrigin.Both(result, origin);
            if (result.Kind == OriginKind.Unguarded)
                break;
        }
        return result ?? ClientOrigin.Unguarded($"is never assigned");
    }

    /// <summary>Every value written to <paramref name="local"/> in its body; null for a write the analysis cannot follow.</summary>
    private static IEnumerable<IOperation?> FindWrites(ILocalSymbol local, IOperation root)
    {
        foreach (var operation in root.Descendants())
        {
            switch (operation)
            {
                case IVariableDeclaratorOperation declarator when SymbolEqualityComparer.Default.Equals(declarator.Symbol, local):
                    var initializer = declarator.Initializer ?? (declarator.Parent as IVariableDeclarationOperation)?.Initializer;
                    if (initializer is not null)
                        yield return initializer.Value;
                    else if (declarator.Parent?.Parent is IForEachLoopOperation)
                        yield return null;
                    break;
                case ISimpleAssignmentOperation assignment when IsLocal(assignment.Target, local):
                    yield return assignment.Value;
                    break;
                case ICompoundAssignmentOperation compound when IsLocal(compound.Target, local):
                    yield return null;
                    break;
                case ICoalesceAssignmentOperation coalesce when IsLocal(coalesce.Target, local):
                    yield return coalesce.Value;
                    break;
                case IArgumentOperation { Parameter.RefKind: RefKind.Out or RefKind.Ref } argument when IsLocal(argument.Value, local):
                    yield return null;
                    break;
                case IDeclarationPatternOperation pattern when SymbolEqualityComparer.Default.Equals(pattern.DeclaredSymbol, local):
                    yield return null;
                    break;
                case IDeconstructionAssignmentOperation deconstruction when ContainsLocal(deconstruction.Target, local):
                    yield return null;
                    break;
                case IForEachLoopOperation loop when loop.Locals.Contains(local, SymbolEqualityComparer.Default):
                    yield return null;
                    break;
            }
        }
    }

    private static bool IsLocal(IOperation? operation, ILocalSymbol local) =>
        operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local);

    private static bool ContainsLocal(IOperation operation, ILocalSymbol local)
    {
        foreach (var descendant in operation.DescendantsAndSelf())
        {
            if (IsLocal(descendant, local))
                return true;
        }
        return false;
    }

    /// <summary>
    /// A parameter whose value dependency injection supplies: a constructor parameter (primary constructors included),
    /// a <c>[FromServices]</c>/<c>[FromKeyedServices]</c> parameter, or a parameter of a minimal-API handler lambda (<c>app.MapGet(..., (IChatClient chat) =&gt; ...)</c>).
    /// </summary>
    private static bool IsInjected(IParameterSymbol parameter)
    {
        foreach (var attribute in parameter.GetAttributes())
        {
            var name = attribute.AttributeClass?.Name;
            if (name is "FromServicesAttribute" or "FromKeyedServicesAttribute")
                return true;
        }

        if (parameter.ContainingSymbol is not IMethodSymbol method)
            return false;
        if (method.MethodKind == MethodKind.Constructor && !method.IsStatic && method.ContainingType.TypeKind is TypeKind.Class or TypeKind.Struct)
            return true;

        if (method.MethodKind == MethodKind.AnonymousFunction)
        {
            foreach (var reference in method.DeclaringSyntaxReferences)
            {
                if (reference.GetSyntax().Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax handlerCall } } &&
                    GetInvokedName(handlerCall.Expression) is { } invoked && invoked.StartsWith("Map", StringComparison.Ordinal))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private static string? GetInvokedName(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };

    /// <summary><c>sp.GetRequiredService&lt;IChatClient&gt;()</c> and friends, and Semantic Kernel's <c>kernel.GetRequiredService&lt;T&gt;()</c>.</summary>
    private static bool IsServiceLocator(IMethodSymbol method) =>
        method.Name is "GetService" or "GetRequiredService" or "GetKeyedService" or "GetRequiredKeyedService" &&
        (method.ContainingNamespace?.ToDisplayString() is "Microsoft.Extensions.DependencyInjection" or "System" ||
         method.ContainingType?.ToDisplayString() == WellKnownTypeNames.Kernel);

    /// <summary>The receiver of an instance call, or the <c>this</c> argument of an extension call in either form.</summary>
    public static IOperation? GetReceiver(IInvocationOperation invocation)
    {
        if (invocation.Instance is not null)
            return invocation.Instance;
        if (!invocation.TargetMethod.IsExtensionMethod)
            return null;
        foreach (var argument in invocation.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
                return argument.Value;
        }
        return null;
    }

    public static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            if (operation is IConversionOperation conversion)
                operation = conversion.Operand;
            else if (operation is IParenthesizedOperation parenthesized)
                operation = parenthesized.Operand;
            else
                return operation;
        }
    }

    /// <summary>The outermost operation of the body that holds <paramref name="operation"/> (lambdas and local functions included).</summary>
    public static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
            operation = operation.Parent;
        return operation;
    }

    private static IEnumerable<IOperation> DescendantsSkippingNestedFunctions(IOperation root)
    {
        var stack = new Stack<IOperation>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var current = stack.Pop();
            yield return current;
            foreach (var child in current.ChildOperations)
            {
                if (child is not IAnonymousFunctionOperation and not ILocalFunctionOperation)
                    stack.Push(child);
            }
        }
    }
}

internal static class SymbolExtensions
{
    public static ITypeSymbol? GetMemberType(this ISymbol symbol) => symbol switch
    {
        IFieldSymbol field => field.Type,
        IPropertySymbol property => property.Type,
        ILocalSymbol local => local.Type,
        IParameterSymbol parameter => parameter.Type,
        _ => null,
    };
}
