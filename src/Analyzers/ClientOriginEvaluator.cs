using System;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using static GuardedAI.Analyzers.OperationNavigation;

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
    private readonly BuilderPipelineCheck _pipeline;

    public ClientOriginEvaluator(GuardSymbols symbols, ClientCatalog catalog, Func<ITypeSymbol?, string?> adviceFor)
    {
        _symbols = symbols;
        _catalog = catalog;
        _adviceFor = adviceFor;
        _pipeline = new BuilderPipelineCheck(symbols, this);
    }

    public ClientOrigin Evaluate(IOperation? value) => Evaluate(value, 0);

    /// <summary>One step of the walk; <see cref="BuilderPipelineCheck"/> calls back here with the depth it reached.</summary>
    internal ClientOrigin Evaluate(IOperation? value, int depth)
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

            case IInvocationOperation invocation when DependencyInjectionSites.IsServiceLocator(invocation.TargetMethod):
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
                return DependencyInjectionSites.IsInjected(parameter.Parameter)
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
                if (builder is not null && _pipeline.HasBudget(builder, Root(invocation), depth))
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
        if (_pipeline.HasBudget(build.Instance, Root(build), depth))
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

    private ClientOrigin EvaluateLocal(ILocalSymbol local, IOperation root, int depth)
    {
        if (_symbols.IsGuardType(local.Type))
            return ClientOrigin.Guarded;

        ClientOrigin? result = null;
        foreach (var write in LocalWrites.Find(local, root))
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
}
