using System;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.Analyzers;

/// <summary>Where a value comes from the container: an injected parameter, or a service-locator call.</summary>
internal static class DependencyInjectionSites
{
    /// <summary>
    /// A parameter whose value dependency injection supplies: a constructor parameter (primary constructors included),
    /// a <c>[FromServices]</c>/<c>[FromKeyedServices]</c> parameter, or a parameter of a minimal-API handler lambda (<c>app.MapGet(..., (IChatClient chat) =&gt; ...)</c>).
    /// </summary>
    public static bool IsInjected(IParameterSymbol parameter)
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

    /// <summary><c>sp.GetRequiredService&lt;IChatClient&gt;()</c> and friends, and Semantic Kernel's <c>kernel.GetRequiredService&lt;T&gt;()</c>.</summary>
    public static bool IsServiceLocator(IMethodSymbol method) =>
        method.Name is "GetService" or "GetRequiredService" or "GetKeyedService" or "GetRequiredKeyedService" &&
        (method.ContainingNamespace?.ToDisplayString() is "Microsoft.Extensions.DependencyInjection" or "System" ||
         method.ContainingType?.ToDisplayString() == WellKnownTypeNames.Kernel);

    private static string? GetInvokedName(ExpressionSyntax expression) => expression switch
    {
        MemberAccessExpressionSyntax memberAccess => memberAccess.Name.Identifier.ValueText,
        SimpleNameSyntax name => name.Identifier.ValueText,
        _ => null,
    };
}
