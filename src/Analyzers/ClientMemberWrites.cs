using System.Collections.Concurrent;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// The origins of the values written to the client fields and properties declared in source, gathered concurrently by
/// operation actions and read at compilation end by <see cref="DeferredOriginResolver"/>.
/// </summary>
internal sealed class ClientMemberWrites
{
    private readonly LlmEntryPoints _entryPoints;
    private readonly ClientOriginEvaluator _evaluator;
    private readonly ConcurrentDictionary<ISymbol, ConcurrentQueue<ClientOrigin>> _writes = new(SymbolEqualityComparer.Default);

    public ClientMemberWrites(LlmEntryPoints entryPoints, ClientOriginEvaluator evaluator)
    {
        _entryPoints = entryPoints;
        _evaluator = evaluator;
    }

    public void RecordWrite(OperationAnalysisContext context)
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

    /// <summary>The origins of every value written to <paramref name="member"/> (its original definition); false when none was recorded.</summary>
    public bool TryGetWrites(ISymbol member, out ConcurrentQueue<ClientOrigin> writes) => _writes.TryGetValue(member, out writes);

    private void Record(ISymbol? member, IOperation value)
    {
        // Only members declared in source are traced (a referenced assembly's property is judged by its type), so writes
        // to anything else are dropped before the type check.
        if (member is null || member.Locations.Length == 0 || !member.Locations[0].IsInSource || !_entryPoints.IsClientType(member.GetMemberType()))
            return;
        var writes = _writes.GetOrAdd(member.OriginalDefinition, _ => new ConcurrentQueue<ClientOrigin>());
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
}
