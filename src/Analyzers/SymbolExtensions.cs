using Microsoft.CodeAnalysis;

namespace GuardedAI.Analyzers;

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
