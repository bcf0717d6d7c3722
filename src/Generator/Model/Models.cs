using GuardedAI.Schema;

namespace GuardedAI.Generator.Model;

// The generator's view of a [LlmBudget] interface. Only names, values and equatable collections: no ISymbol,
// SyntaxNode or Compilation, so that an edit elsewhere produces an equal model and the output step is cached; and no
// ready-made C# expressions: the emitter alone formats values as C# (Emitting/Literals.cs).

/// <summary>A guarded interface and everything needed to emit its client.</summary>
/// <param name="HintName">The generated file's name.</param>
/// <param name="Namespace">The interface's namespace, or null for the global namespace.</param>
/// <param name="ContainingTypes">Types the interface is nested in, outermost first.</param>
/// <param name="InterfaceName">The interface's simple name, e.g. <c>ISupportBot</c>.</param>
/// <param name="InterfaceFullName">The interface's global::-qualified name.</param>
/// <param name="Accessibility">The interface's declared accessibility keyword(s), reused for the client class.</param>
/// <param name="ClientName">The generated class's name, e.g. <c>GuardedSupportBot</c>.</param>
/// <param name="ClientFullName">The generated class's global::-qualified name.</param>
/// <param name="IsChatClientDeclared">True when the user already derived the interface from <c>IChatClient</c>.</param>
/// <param name="HidesInheritedCreate">True when a base interface also has the static <c>Create</c>, so ours is declared <c>new</c>.</param>
/// <param name="Registration">The DI extension to emit, or null when the interface cannot be named from a top-level class.</param>
/// <param name="Policy">The budget, as compile-time values.</param>
/// <param name="Methods">The typed prompt methods, the inherited ones included.</param>
internal sealed record InterfaceModel(
    string HintName,
    string? Namespace,
    EquatableArray<ContainingTypeModel> ContainingTypes,
    string InterfaceName,
    string InterfaceFullName,
    string Accessibility,
    string ClientName,
    string ClientFullName,
    bool IsChatClientDeclared,
    bool HidesInheritedCreate,
    RegistrationModel? Registration,
    PolicyModel Policy,
    EquatableArray<MethodModel> Methods);

/// <summary>A type the interface is nested in, e.g. <c>partial class Outer&lt;T&gt;</c>.</summary>
/// <param name="Keyword">"class", "struct", "interface", "record" or "record struct".</param>
/// <param name="NameWithTypeParameters">The name as it appears in a declaration, e.g. <c>Outer&lt;T&gt;</c>.</param>
internal sealed record ContainingTypeModel(string Keyword, string NameWithTypeParameters);

/// <summary>The <c>AddFoo</c> service-collection extension.</summary>
/// <param name="ClassName">e.g. <c>SupportBotServiceCollectionExtensions</c>.</param>
/// <param name="MethodName">e.g. <c>AddSupportBot</c>.</param>
/// <param name="Accessibility">"public" or "internal": the interface's effective accessibility.</param>
internal sealed record RegistrationModel(string ClassName, string MethodName, string Accessibility);

/// <summary>The arguments given on <c>[LlmBudget]</c>, as values; the emitter turns them into builder calls.</summary>
/// <param name="Name">The budget name (null when the argument is null).</param>
/// <param name="HasModel">True when <c>Model</c> was given (possibly as null).</param>
/// <param name="Model">The model id.</param>
/// <param name="Tier">The <c>BudgetTier</c> value, or null when not given.</param>
/// <param name="Settings">Every limit, cap and threshold given, in schema (declaration) order.</param>
/// <param name="Mode">The <c>EnforcementMode</c> value, or null when not given.</param>
internal sealed record PolicyModel(
    string? Name,
    bool HasModel,
    string? Model,
    int? Tier,
    EquatableArray<PolicySetting> Settings,
    int? Mode = null);

/// <summary>One numeric <c>[LlmBudget]</c> argument.</summary>
/// <param name="Property">What it sets (src/Shared/BudgetSchema.cs; one instance per property, compared by reference).</param>
/// <param name="Value">The value as written.</param>
internal sealed record PolicySetting(BudgetProperty Property, BudgetNumber Value);

/// <summary>A number of an attribute argument: <c>[LlmBudget]</c>'s properties are <c>int</c>, <c>long</c> or <c>double</c>.</summary>
/// <param name="Type"><see cref="BudgetValueType.Int32"/>, <see cref="BudgetValueType.Int64"/> or <see cref="BudgetValueType.Double"/>.</param>
/// <param name="Integer">The value of an integer.</param>
/// <param name="Real">The value of a double.</param>
internal readonly record struct BudgetNumber(BudgetValueType Type, long Integer, double Real)
{
    /// <summary>The number a compile-time constant holds, or null when it is not an int, long or double.</summary>
    public static BudgetNumber? From(object? value) => value switch
    {
        int number => new BudgetNumber(BudgetValueType.Int32, number, 0),
        long number => new BudgetNumber(BudgetValueType.Int64, number, 0),
        double number => new BudgetNumber(BudgetValueType.Double, 0, number),
        _ => null,
    };
}

/// <summary>How a typed method talks to the model.</summary>
internal enum PromptKind
{
    /// <summary><c>Task&lt;string&gt;</c>: the response text.</summary>
    Text,
    /// <summary><c>Task&lt;T&gt;</c>: structured output deserialized from JSON.</summary>
    Structured,
    /// <summary><c>IAsyncEnumerable&lt;string&gt;</c>: the streamed text.</summary>
    Stream,
}

/// <summary>A <c>[LlmPrompt]</c> method.</summary>
/// <param name="Name">The method name (escaped when a keyword).</param>
/// <param name="ReturnType">The declared return type, global::-qualified, with nullable annotations.</param>
/// <param name="ResultType">For <see cref="PromptKind.Structured"/>, the <c>T</c> of <c>Task&lt;T&gt;</c>; otherwise the element/result type.</param>
/// <param name="Parameters">All parameters in declaration order.</param>
/// <param name="Prompt">The parsed user-message template.</param>
/// <param name="System">The parsed system-message template, or null for none.</param>
/// <param name="CancellationTokenParameter">The name of the CancellationToken parameter, or null.</param>
/// <param name="OptionsParameter">The name of the ChatOptions parameter, or null.</param>
internal sealed record MethodModel(
    string Name,
    PromptKind Kind,
    string ReturnType,
    string ResultType,
    EquatableArray<ParameterModel> Parameters,
    EquatableArray<TemplateSegment> Prompt,
    EquatableArray<TemplateSegment>? System,
    string? CancellationTokenParameter,
    string? OptionsParameter);

/// <summary>A method parameter as it is redeclared on the implementation.</summary>
/// <param name="Name">The name, escaped with @ when it is a keyword.</param>
/// <param name="Type">The global::-qualified type with nullable annotations.</param>
/// <param name="DefaultValue">The default value, or null when the parameter has none.</param>
/// <param name="IsParams">Declared with <c>params</c>.</param>
/// <param name="IsCancellationToken">The parameter is the call's CancellationToken.</param>
internal sealed record ParameterModel(string Name, string Type, DefaultValueModel? DefaultValue, bool IsParams, bool IsCancellationToken);

/// <summary>A parameter's default value as the compiler has it.</summary>
/// <param name="Value">The constant (a boxed string, char, bool or number; the underlying value of an enum), or null.</param>
/// <param name="AcceptsNull">The parameter's type is a reference type or <c>Nullable&lt;T&gt;</c>, so a null default is <c>null</c> rather than <c>default</c>.</param>
/// <param name="EnumType">For an enum (or nullable enum) parameter, the enum's global::-qualified name.</param>
/// <param name="EnumMember">The enum member with that value (escaped when a keyword), or null when none has it.</param>
internal sealed record DefaultValueModel(object? Value, bool AcceptsNull, string? EnumType, string? EnumMember);

/// <summary>A piece of a prompt template: literal text, or a placeholder bound to a parameter.</summary>
/// <param name="Text">The literal text (braces already unescaped), or the parameter's C# name for a placeholder.</param>
/// <param name="IsPlaceholder">True for a <c>{parameter}</c> placeholder.</param>
internal sealed record TemplateSegment(string Text, bool IsPlaceholder);
