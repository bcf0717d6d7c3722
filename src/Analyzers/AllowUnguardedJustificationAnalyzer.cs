using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI009: <c>[AllowUnguardedLlmCalls]</c> with a null, empty or blank justification, wherever it is applied (assembly,
/// types, members, local functions and lambdas). Reads the attributes the compiler has already bound for each declared
/// symbol instead of binding every attribute of the compilation as an operation, so a project that never uses the
/// attribute pays one attribute-list lookup per declaration; without GuardedAI in the compilation it registers nothing.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AllowUnguardedJustificationAnalyzer : DiagnosticAnalyzer
{
    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.MissingJustification);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            var attributeType = start.Compilation.GetTypeByMetadataName(WellKnownTypeNames.AllowUnguardedLlmCallsAttribute);
            if (attributeType is null)
                return; // Nothing can carry the attribute: register nothing, cost nothing.

            start.RegisterSymbolAction(
                symbolContext => Check(symbolContext.Symbol, attributeType, symbolContext.ReportDiagnostic, symbolContext.CancellationToken),
                SymbolKind.NamedType, SymbolKind.Method, SymbolKind.Property, SymbolKind.Field);
            // `[assembly: ...]`: checked where it is written, one attribute list at a time.
            start.RegisterSyntaxNodeAction(nodeContext => CheckAssemblyAttributes(nodeContext, attributeType), SyntaxKind.AttributeList);
            // Local functions and lambdas are not declared symbols of the compilation: look at those that carry attributes.
            start.RegisterSyntaxNodeAction(
                nodeContext => CheckFunction(nodeContext, attributeType),
                SyntaxKind.LocalFunctionStatement, SyntaxKind.ParenthesizedLambdaExpression, SyntaxKind.SimpleLambdaExpression);
        });
    }

    private static void CheckAssemblyAttributes(SyntaxNodeAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var list = (AttributeListSyntax)context.Node;
        if (list.Target?.Identifier.Kind() is not (SyntaxKind.AssemblyKeyword or SyntaxKind.ModuleKeyword))
            return;
        var owner = list.Target.Identifier.IsKind(SyntaxKind.AssemblyKeyword) ? (ISymbol)context.Compilation.Assembly : context.SemanticModel.Compilation.SourceModule;
        Check(owner, attributeType, context.ReportDiagnostic, context.CancellationToken, within: list);
    }

    private static void CheckFunction(SyntaxNodeAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var attributeLists = context.Node switch
        {
            LocalFunctionStatementSyntax localFunction => localFunction.AttributeLists,
            LambdaExpressionSyntax lambda => lambda.AttributeLists,
            _ => default,
        };
        if (attributeLists.Count == 0)
            return;
        var symbol = context.Node is LocalFunctionStatementSyntax
            ? context.SemanticModel.GetDeclaredSymbol(context.Node, context.CancellationToken)
            : context.SemanticModel.GetSymbolInfo(context.Node, context.CancellationToken).Symbol;
        if (symbol is not null)
            Check(symbol, attributeType, context.ReportDiagnostic, context.CancellationToken);
    }

    private static void Check(
        ISymbol symbol, INamedTypeSymbol attributeType, System.Action<Diagnostic> report, System.Threading.CancellationToken cancellationToken,
        SyntaxNode? within = null)
    {
        foreach (var attribute in symbol.GetAttributes())
        {
            if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, attributeType))
                continue;
            if (within is not null && (attribute.ApplicationSyntaxReference?.SyntaxTree != within.SyntaxTree ||
                                       !within.Span.Contains(attribute.ApplicationSyntaxReference.Span)))
            {
                continue;
            }

            string? justification = null;
            foreach (var argument in attribute.ConstructorArguments)
            {
                if (argument.Kind == TypedConstantKind.Primitive && argument.Value is string text)
                    justification = text;
            }
            if (!string.IsNullOrWhiteSpace(justification))
                continue;

            var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken);
            if (syntax is null)
                continue;
            report(Diagnostic.Create(DiagnosticDescriptors.MissingJustification, syntax.GetLocation(), Describe(symbol)));
        }
    }

    private static string Describe(ISymbol symbol) => symbol switch
    {
        IAssemblySymbol or IModuleSymbol => "the assembly",
        IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor => constructor.ContainingType.Name + "()",
        IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda => "lambda in " + lambda.ContainingSymbol.Name,
        _ => symbol.Name,
    };
}
