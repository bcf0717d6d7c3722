using GuardedAI.Generator.Emitting;
using GuardedAI.Generator.Model;
using GuardedAI.Generator.Parsing;
using GuardedAI.Schema;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GuardedAI.Generator;

/// <summary>
/// Turns each <c>[LlmBudget]</c> partial interface into a guarded, typed LLM client: the interface becomes an
/// <c>IChatClient</c> with a static <c>Create</c>, and <c>GuardedXxx</c> implements it over <c>BudgetChatClient</c>.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class LlmBudgetGenerator : IIncrementalGenerator
{

    /// <summary>Tracking names of the pipeline's steps, for the incremental-caching tests.</summary>
    internal static class Steps
    {
        public const string Parse = nameof(Parse);
        public const string Interfaces = nameof(Interfaces);
    }

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<InterfaceModel> interfaces = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                RuntimeTypeNames.LlmBudgetAttribute,
                predicate: static (node, _) => node is InterfaceDeclarationSyntax,
                transform: static (context, cancellationToken) => InterfaceParser.Parse(context, cancellationToken))
            .WithTrackingName(Steps.Parse)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(Steps.Interfaces);

        context.RegisterSourceOutput(interfaces, static (context, model) =>
            context.AddSource(model.HintName, SourceEmitter.Emit(model)));
    }
}
