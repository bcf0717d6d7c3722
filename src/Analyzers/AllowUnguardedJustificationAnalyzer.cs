using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;

namespace GuardedAI.Analyzers;

/// <summary>
/// GAI009: <c>[AllowUnguardedLlmCalls]</c> with a null, empty or blank justification, wherever it is applied (assembly,
/// types, members, local functions and lambdas). Cost: without GuardedAI among the references it registers nothing; with
/// it, each attribute in the code costs one comparison of its name's text, and only an attribute written
/// <c>AllowUnguardedLlmCalls</c> or <c>AllowUnguardedLlmCallsAttribute</c> (any qualification) is bound. An attribute used
/// through a <c>using</c> alias of another name is not checked.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class AllowUnguardedJustificationAnalyzer : DiagnosticAnalyzer
{
    private const string ShortName = "AllowUnguardedLlmCalls";
    private const string FullName = ShortName + "Attribute";

    /// <inheritdoc />
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(DiagnosticDescriptors.MissingJustification);

    /// <inheritdoc />
    public override void Initialize(AnalysisContext context)
    {
        context.EnableConcurrentExecution();
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.RegisterCompilationStartAction(start =>
        {
            if (!AssemblyGate.References(start.Compilation, AssemblyGate.GuardedAI))
                return; // Nothing can carry the attribute: register nothing, cost nothing.
            var attributeType = start.Compilation.GetTypeByMetadataName(WellKnownTypeNames.AllowUnguardedLlmCallsAttribute);
            if (attributeType is null)
                return;
            start.RegisterSyntaxNodeAction(nodeContext => Analyze(nodeContext, attributeType), SyntaxKind.Attribute);
        });
    }

    private static void Analyze(SyntaxNodeAnalysisContext context, INamedTypeSymbol attributeType)
    {
        var syntax = (AttributeSyntax)context.Node;
        var name = syntax.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax aliasQualified => aliasQualified.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => null,
        };
        if (name is not (ShortName or FullName))
            return;

        if (context.SemanticModel.GetOperation(syntax, context.CancellationToken) is not IAttributeOperation { Operation: IObjectCreationOperation creation } ||
            !SymbolEqualityComparer.Default.Equals(creation.Constructor?.ContainingType, attributeType))
        {
            return;
        }

        string? justification = null;
        foreach (var argument in creation.Arguments)
        {
            if (argument.Value.ConstantValue is { HasValue: true, Value: string text })
                justification = text;
        }
        if (!string.IsNullOrWhiteSpace(justification))
            return;

        context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MissingJustification, syntax.GetLocation(), DescribeTarget(context, syntax)));
    }

    /// <summary>What the attribute is on, as the message names it: "the assembly", "M", "C()", "lambda in M".</summary>
    private static string DescribeTarget(SyntaxNodeAnalysisContext context, AttributeSyntax syntax)
    {
        if (syntax.Parent is not AttributeListSyntax list)
            return "?";
        if (list.Target?.Identifier.Kind() is SyntaxKind.AssemblyKeyword or SyntaxKind.ModuleKeyword)
            return "the assembly";

        var owner = list.Parent;
        ISymbol? symbol = owner switch
        {
            BaseFieldDeclarationSyntax field when field.Declaration.Variables.Count > 0 =>
                context.SemanticModel.GetDeclaredSymbol(field.Declaration.Variables[0], context.CancellationToken),
            LambdaExpressionSyntax lambda => context.SemanticModel.GetSymbolInfo(lambda, context.CancellationToken).Symbol,
            null => null,
            _ => context.SemanticModel.GetDeclaredSymbol(owner, context.CancellationToken),
        };
        return symbol switch
        {
            null => "?",
            IMethodSymbol { MethodKind: MethodKind.Constructor or MethodKind.StaticConstructor } constructor => constructor.ContainingType.Name + "()",
            IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda => "lambda in " + lambda.ContainingSymbol.Name,
            _ => symbol.Name,
        };
    }
}
